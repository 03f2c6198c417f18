"""A plugin with a typo in another plugin's hook: ``note_saves`` for ``note_saved``."""

from genbot import hookimpl


@hookimpl
def note_saves(text):
    raise AssertionError("no such hook: never called")
