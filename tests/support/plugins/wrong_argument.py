"""A plugin whose hook asks for an argument the hook does not have."""

from genbot import hookimpl


@hookimpl
def menu_buttons(app, colour):
    return []
