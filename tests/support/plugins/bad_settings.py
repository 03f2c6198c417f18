"""A plugin with one integer setting, to show a wrong value fails only this plugin."""

from core.host.hookspecs import hookimpl


@hookimpl
def plugin_settings():
    return {"limit": 10, "token": ""}
