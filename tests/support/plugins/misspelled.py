"""A plugin with a typo in a hook's name: ``menu_button`` for ``menu_buttons``."""

from core.host.hookspecs import Button, hookimpl


@hookimpl
def menu_button(app, settings):
    return [Button("📝 Опечатка", lambda ctx: ctx.reply("never shown"))]
