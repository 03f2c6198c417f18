"""A plugin publishing a hook under a name genbot has already."""

from genbot import hookimpl, hookspec


class Hooks:
    @hookspec
    def menu_buttons(self, app, settings):
        """Menu buttons again. Returns a list."""


@hookimpl
def plugin_hookspecs():
    return Hooks
