"""The example third-party plugin (examples/genbot-notes), installed as a package."""

from __future__ import annotations

import importlib.metadata
import json

import pytest

from core.migrations import Migrator
from core.plugins import DEGRADED, DISABLED, ENABLED
from tests.support import updates
from tests.support.app import exchange, make_app, texts
from tests.support.pg import url_for
from tests.support.serve import base_env, run_cli

UNAVAILABLE = "⚠️ База временно недоступна"


def test_it_is_installed_under_the_entry_point_group():
    names = {e.name: e.value for e in importlib.metadata.entry_points(group="genbot.plugins")}
    assert names.get("notes") == "genbot_notes.plugin"


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)
    yield app, lambda update: texts(exchange(client, bot_api, update))
    app.close()


def test_listed_enabled_and_working(bot):
    app, send = bot
    notes = app.plugins.plugins["notes"]
    assert (notes.state, notes.source, notes.version) == (ENABLED, "package genbot-notes", "0.1.0")
    assert send(updates.message(1, "/note купить молоко")) == ["📝 Заметка сохранена."]
    assert "• купить молоко" in send(updates.message(1, "📝 Заметки"))[0]


def test_degraded_when_its_table_is_dropped_and_back_after_migrate(bot):
    app, send = bot
    app.db.execute("DROP TABLE notes")
    app.plugins.probe(app.db)
    assert app.plugins.plugins["notes"].state == DEGRADED
    assert app.plugins.plugins["notes"].reason == "table notes missing"
    assert send(updates.message(1, "📝 Заметки")) == [UNAVAILABLE]
    Migrator(app.db.settings, app.plugins.migration_dirs()).apply()
    app.plugins.probe(app.db)
    assert app.plugins.plugins["notes"].state == ENABLED
    assert "Заметок пока нет" in send(updates.message(1, "📝 Заметки"))[0]


def test_disabled_from_plugins_toml(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           plugins_toml="[notes]\nenabled = false\n")
    try:
        assert app.plugins.plugins["notes"].state == DISABLED
        sent = exchange(client, bot_api, updates.message(1, "/start"))
        labels = [b["text"] for row in sent[-1]["reply_markup"]["keyboard"] for b in row]
        assert "📝 Заметки" not in labels
        assert texts(exchange(client, bot_api, updates.message(1, "/note x"))) == \
            ["Такой команды нет. Список команд — /help."]
    finally:
        app.close()


def test_run_py_plugins_lists_it(db_settings, tmp_path):
    result = run_cli("plugins", "--json", env=base_env(DATABASE_URL=url_for(db_settings)),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["notes"]["source"] == "package genbot-notes"
    assert listed["notes"]["state"] == "enabled"
    assert "menu_buttons" in listed["notes"]["hooks"]
    table = run_cli("plugins", env=base_env(DATABASE_URL=url_for(db_settings)), cwd=tmp_path)
    assert "notes" in table.stdout and "plugins: 7 loaded, 7 enabled" in table.stdout
