"""One update, one way through: the sender written once, the conversation state read
once and dispatched by its flow's name (issue 15).

Statements are counted with a cursor wrapper around the app's own pool, so what is
counted is what the app sends to the real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, texts

USER = 1500
READ_STATE = "SELECT flow, data FROM conversation_state"


@pytest.fixture
def statements(monkeypatch):
    """The SQL every app made in this test sends, in order."""
    sent: list[str] = []
    counting_cursor = Database._counting_cursor

    def recording_cursor(database):
        class RecordingCursor(counting_cursor(database)):
            def execute(self, query, vars=None):
                sent.append(query.decode() if isinstance(query, bytes) else str(query))
                return super().execute(query, vars)
        return RecordingCursor

    monkeypatch.setattr(Database, "_counting_cursor", recording_cursor)
    return sent


@pytest.fixture
def bot(statements, db_settings, bot_api, tmp_path):
    # projects and payments both keep flows: before issue 15 each read the state again.
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           plugins_toml="[projects]\n[payments]\nprovider_token = \"test\"\n")
    assert {"projects", "payments"} <= {p["name"] for p in app.plugins.as_json()
                                        if p["state"] == "enabled"}

    def send(update) -> tuple[list[dict], list[str]]:
        """What the bot sent for the update, and the statements it ran for it."""
        before = len(statements)
        sent = exchange(client, bot_api, update)
        return sent, statements[before:]

    yield app, send
    app.close()


def about_state(run: list[str]) -> list[str]:
    return [sql for sql in run if "conversation_state" in sql]


def test_an_unmatched_text_reads_the_state_once_and_is_offered_as_a_prompt(bot):
    app, send = bot
    send(updates.message(USER, "/start"))
    sent, run = send(updates.message(USER, "кот в шляпе"))
    assert "кот в шляпе" in texts(sent)[0]  # the last resort offered it as a prompt
    reads = [sql for sql in run if sql.startswith(READ_STATE)]
    assert len(reads) == 1
    # The one other statement on the table keeps the offer for its button.
    assert [sql for sql in about_state(run) if not sql.startswith(READ_STATE)] == [
        sql for sql in run if sql.startswith("INSERT INTO conversation_state")]
    assert app.conversations.get(USER)[0] == "gen:offer"


def test_a_command_reads_no_state(bot):
    _app, send = bot
    send(updates.message(USER, "/start"))
    _sent, run = send(updates.message(USER, "/help"))
    assert about_state(run) == []


@pytest.mark.parametrize("start, typed, answer", [
    (updates.callback(USER, "prj:new"), "Кампания", "✅ Проект создан."),
    (updates.callback(USER, "pay:custom"), "100000000", "Сумма"),
])
def test_text_inside_a_plugins_flow_reads_the_state_once(bot, start, typed, answer):
    _app, send = bot
    send(updates.message(USER, "/start"))
    send(start)
    sent, run = send(updates.message(USER, typed))
    assert answer in texts(sent)[0]
    assert len([sql for sql in run if sql.startswith(READ_STATE)]) == 1


def test_text_inside_a_draft_reads_the_state_once(bot):
    app, send = bot
    model = next(m for m in app.offer.listed.models.values()
                 if m.free and [f.type for f in m.inputs][:1] == ["text"])
    send(updates.message(USER, "/start"))
    send(updates.callback(USER, f"gen:m:{model.id}"))
    assert app.conversations.get(USER)[0] == "gen"
    _sent, run = send(updates.message(USER, "кот в шляпе"))
    assert len([sql for sql in run if sql.startswith(READ_STATE)]) == 1
    # The draft took the prompt: it moved on (or became a job), never offered as stray text.
    state = app.conversations.get(USER)
    assert state is None or state[0] == "gen" and state[1]["inputs"]["prompt"] == "кот в шляпе"


def test_a_flow_of_a_degraded_plugin_answers_the_outage_message(bot):
    app, send = bot
    send(updates.message(USER, "/start"))
    send(updates.callback(USER, "prj:new"))
    app.db.execute("ALTER TABLE projects RENAME TO projects_away")
    app.plugins.probe(app.db)
    sent, _run = send(updates.message(USER, "Кампания"))
    # Not offered as a prompt: the user was naming a project.
    assert texts(sent) == ["⚠️ База временно недоступна"]
    assert app.conversations.get(USER)[0] == "projects:new"


def test_a_handlers_writes_are_what_later_reads_of_the_same_update_see(bot):
    app, send = bot
    send(updates.message(USER, "/start"))
    with app.conversations.one_update():
        assert app.conversations.get(USER) is None
        app.conversations.set(USER, "projects:new", {"step": 1})
        assert app.conversations.get(USER) == ("projects:new", {"step": 1})
        app.conversations.get(USER)[1]["step"] = 2  # a copy: edits reach the store via set only
        assert app.conversations.get(USER) == ("projects:new", {"step": 1})
        assert not app.conversations.clear(USER, "gen")  # another flow: still there
        assert app.conversations.get(USER) == ("projects:new", {"step": 1})
        assert app.conversations.clear(USER, "projects:new")
        assert app.conversations.get(USER) is None
    assert app.conversations.get(USER) is None


def test_a_new_senders_row_is_written_once_by_the_claim(bot, statements):
    app, send = bot
    _sent, run = send(updates.message(USER + 1, "/start"))
    writes = [sql for sql in run if "INTO users" in sql]
    assert len(writes) == 1 and "processed_updates" in writes[0]  # the claim's own statement
    assert app.db.fetch_one("SELECT 1 FROM users WHERE user_id = %s", (USER + 1,))
    _sent, run = send(updates.message(USER + 1, "/help"))
    assert [sql for sql in run if "INTO users" in sql] == []  # cached: nobody writes it


def test_one_function_ends_a_job():
    """Worker, provider callback, cancel, sweeper and cleanup all go through
    Lifecycle.end: it is the only caller of JobQueue.settle outside the queue."""
    root = Path(__file__).resolve().parent.parent
    callers = [f"{path.relative_to(root)}:{number}"
               for folder in ("core", "plugins")
               for path in sorted((root / folder).rglob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "jobs.settle(" in line]
    assert len(callers) == 1 and callers[0].startswith("core/generation/lifecycle.py:")
