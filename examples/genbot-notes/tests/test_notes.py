"""The notes plugin, tested as its author would: with genbot's shipped harness, against
a real PostgreSQL, talking to the bot as Telegram users do.

    pip install genbot[test] -e .
    python -m pytest
"""

from __future__ import annotations

from core.migrations import Migrator
from genbot.testing import Bot

UNAVAILABLE = "⚠️ База временно недоступна"


def texts(sent: list[dict]) -> list[str]:
    return [m["text"] for m in sent if m.get("method") == "sendMessage"]


def menu(sent: list[dict]) -> list[str]:
    return [b["text"] for row in sent[-1]["reply_markup"]["keyboard"] for b in row]


def test_a_note_is_kept_and_listed(bot):
    notes = bot.app.plugins.plugins["notes"]
    assert (notes.state, notes.source) == ("enabled", "package genbot-notes")
    assert "📝 Заметки" in menu(bot.say(1, "/start"))
    assert texts(bot.say(1, "/note купить молоко")) == ["📝 Заметка сохранена."]
    assert texts(bot.say(1, "📝 Заметки")) == ["📝 Ваши последние заметки:\n• купить молоко"]
    assert texts(bot.say(2, "📝 Заметки")) == ["Заметок пока нет. Добавьте: /note текст"]


def test_english_users_get_english(bot):
    assert texts(bot.say(3, "/note buy milk", language_code="en")) == ["📝 Note saved."]
    assert "📝 Notes" in menu(bot.say(3, "/start", language_code="en"))


def test_the_length_setting_from_plugins_toml(db_settings, bot_api, tmp_path):
    short = Bot(db_settings, bot_api, tmp_path=tmp_path, plugins_toml="[notes]\nmax_length = 5\n")
    try:
        assert texts(short.say(1, "/note слишком длинно")) == ["Заметка длиннее 5 символов. Сократите её."]
        assert short.app.db.fetch_one("SELECT count(*) FROM notes") == (0,)
    finally:
        short.close()


def test_degraded_without_its_table_and_back_after_migrate(bot):
    bot.app.db.execute("DROP TABLE notes")
    bot.app.plugins.probe(bot.app.db)
    assert bot.app.plugins.plugins["notes"].state == "degraded"
    assert texts(bot.say(1, "📝 Заметки")) == [UNAVAILABLE]
    Migrator(bot.app.db.settings, bot.app.plugins.migration_dirs()).apply()
    bot.app.plugins.probe(bot.app.db)
    assert texts(bot.say(1, "📝 Заметки")) == ["Заметок пока нет. Добавьте: /note текст"]


def test_switched_off_in_plugins_toml(db_settings, bot_api, tmp_path):
    off = Bot(db_settings, bot_api, tmp_path=tmp_path, plugins_toml="[notes]\nenabled = false\n")
    try:
        assert "📝 Заметки" not in menu(off.say(1, "/start"))
        assert texts(off.say(1, "/note x")) == ["Такой команды нет. Список команд — /help."]
    finally:
        off.close()
