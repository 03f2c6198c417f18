"""A plugin whose declaration hook raises: it must fail, not run half-configured."""

from core.host.hookspecs import Button, hookimpl


@hookimpl
def plugin_settings():
    raise RuntimeError("settings could not be read")


@hookimpl
def menu_buttons(app, settings):
    return [Button("🧨 Полуживой", lambda ctx: ctx.reply("half alive"))]
