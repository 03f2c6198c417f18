"""The notes plugin: ``/note text`` keeps a note, 📝 Заметки shows the last ones."""

from pathlib import Path

from genbot import Button, Command, hookimpl, t


def add_note(ctx, args: str, settings) -> None:
    text = args.strip()
    if not text:
        ctx.reply(t("notes_usage"))
        return
    if len(text) > settings["max_length"]:
        ctx.reply(t("notes_too_long", limit=settings["max_length"]))
        return
    ctx.app.db.execute("INSERT INTO notes (user_id, text) VALUES (%s, %s)", (ctx.user_id, text))
    ctx.reply(t("notes_saved"))


def list_notes(ctx, settings) -> None:
    rows = ctx.app.db.fetch_all(
        "SELECT text FROM notes WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
        (ctx.user_id, settings["shown"]))
    if not rows:
        ctx.reply(t("notes_empty"))
        return
    ctx.reply(t("notes_list") + "\n" + "\n".join(f"• {text}" for (text,) in rows))


@hookimpl
def plugin_tables():
    return ["notes"]


@hookimpl
def plugin_settings():
    return {"max_length": 500, "shown": 5}


@hookimpl
def plugin_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def plugin_texts():
    return {"ru": {
        "notes_button": "📝 Заметки",
        "notes_usage": "Напишите заметку после команды: /note купить молоко",
        "notes_too_long": "Заметка длиннее {limit} символов. Сократите её.",
        "notes_saved": "📝 Заметка сохранена.",
        "notes_empty": "Заметок пока нет. Добавьте: /note текст",
        "notes_list": "📝 Ваши последние заметки:",
    }, "en": {  # a second language: users whose Telegram speaks English get these
        "notes_button": "📝 Notes",
        "notes_usage": "Write the note after the command: /note buy milk",
        "notes_too_long": "The note is longer than {limit} characters. Shorten it.",
        "notes_saved": "📝 Note saved.",
        "notes_empty": "No notes yet. Add one: /note text",
        "notes_list": "📝 Your latest notes:",
    }}


@hookimpl
def menu_buttons(app, settings):
    return [Button(t("notes_button"), lambda ctx: list_notes(ctx, settings), order=70)]


@hookimpl
def bot_commands(app, settings):
    return [Command("note", lambda ctx, args: add_note(ctx, args, settings))]
