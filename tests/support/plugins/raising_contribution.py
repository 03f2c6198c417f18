"""A plugin whose menu button is fine but whose commands raise: it fails whole, and its
button must not be left behind."""

from core.host.hookspecs import Button, hookimpl


@hookimpl
def menu_buttons(app, settings):
    return [Button("🪤 Ловушка", lambda ctx: ctx.reply("left behind"))]


@hookimpl
def bot_commands(app, settings):
    raise RuntimeError("commands could not be built")
