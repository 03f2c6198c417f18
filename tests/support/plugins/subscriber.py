"""A plugin implementing another plugin's hooks (publisher's), loaded before it."""

from genbot import hookimpl

heard: list = []


@hookimpl
def note_saved(settings, user_id, text):
    heard.append((user_id, text, dict(settings)))


@hookimpl
def note_title(text):
    return text.upper()


@hookimpl
def plugin_settings():
    return {"tag": "sub"}
