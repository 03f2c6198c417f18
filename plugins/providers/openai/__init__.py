"""openai: a generation provider (being written; offers nothing yet)."""

from __future__ import annotations

from genbot import hookimpl


@hookimpl
def plugin_settings():
    return {"api_key": ""}


@hookimpl
def generation_providers(app, settings):
    return []
