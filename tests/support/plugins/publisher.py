"""A plugin publishing hooks of its own (a class of hookspecs): ``/jot <text>`` saves a
note and tells every plugin through ``note_saved``; ``note_title`` asks for a title."""

from genbot import Command, hookimpl, hookspec


class NoteHooks:
    @hookspec
    def note_saved(self, app, settings, user_id, text):
        """A note was saved. ``user_id``: whose; ``text``: what. Returns nothing."""

    @hookspec(firstresult=True)
    def note_title(self, app, settings, text):
        """A title for a note. ``text``: the note. Returns a text or None."""


def save_note(ctx, args):
    titles = ctx.app.hook("note_title", text=args)
    ctx.app.hook("note_saved", user_id=ctx.user_id, text=args)
    ctx.reply(f"📝 {titles[0] if titles else args}")


@hookimpl
def plugin_hookspecs():
    return NoteHooks


@hookimpl
def bot_commands(app, settings):
    return [Command("jot", save_note)]
