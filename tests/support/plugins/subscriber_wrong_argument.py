"""A plugin implementing another plugin's hook with a parameter it does not have."""

from genbot import hookimpl


@hookimpl
def note_saved(text, mood):
    raise AssertionError("refused at load: never called")
