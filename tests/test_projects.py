"""💼 Мои проекты through the bot: create, list, open, rename, history, delete."""

from __future__ import annotations

import threading

import pytest

from genbot.testing import updates
from genbot.testing.app import exchange, inline_buttons, make_app, messages, texts
from plugins.projects import ProjectError, create_project, save_to_project

USER, OTHER = 700, 701


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           plugins_toml="[projects]\nmax_projects = 2\nname_limit = 20\n")

    def send(update):
        return exchange(client, bot_api, update)

    yield app, send
    app.close()


def project_ids(app, user_id=USER):
    return [r[0] for r in app.db.fetch_all("SELECT id FROM projects WHERE user_id = %s ORDER BY id", (user_id,))]


def test_the_whole_cycle(bot):
    app, send = bot
    [empty] = send(updates.message(USER, "💼 Мои проекты"))
    assert "Проектов пока нет" in empty["text"]
    assert inline_buttons(empty) == {"➕ Новый проект": "prj:new"}

    assert "название проекта" in texts(send(updates.callback(USER, "prj:new")))[0]
    sent = send(updates.message(USER, "Кампания\nРеклама для кофейни"))
    assert texts(sent)[0] == "✅ Проект создан."
    [pid] = project_ids(app)
    assert "📁 Кампания\nРеклама для кофейни" in texts(sent)[1]

    [listing] = send(updates.message(USER, "💼 Мои проекты"))
    assert inline_buttons(listing)["📁 Кампания"] == f"prj:open:{pid}"

    send(updates.callback(USER, f"prj:ren:{pid}"))
    assert texts(send(updates.message(USER, "Кофейня «Зерно»")))[0] == "✅ Проект переименован."
    assert app.db.fetch_one("SELECT name FROM projects WHERE id = %s", (pid,)) == ("Кофейня «Зерно»",)

    for i in range(7):
        assert save_to_project(app, USER, pid, "demo-image", {"prompt": f"кадр {i}"},
                               {"urls": [f"file://{i}.png"]}, "success")
    [page1] = messages(send(updates.callback(USER, f"prj:hist:{pid}:0")))
    assert "страница 1 из 2" in page1["text"] and page1["text"].count("• ") == 5
    assert inline_buttons(page1)["➡️"] == f"prj:hist:{pid}:1"
    [page2] = messages(send(updates.callback(USER, f"prj:hist:{pid}:1")))
    assert "страница 2 из 2" in page2["text"] and page2["text"].count("• ") == 2
    assert "кадр 0" in page2["text"]

    [confirm] = messages(send(updates.callback(USER, f"prj:del:{pid}")))
    assert "Удалить проект «Кофейня «Зерно»» и всю его историю (7)" in confirm["text"]
    assert texts(send(updates.callback(USER, f"prj:delok:{pid}")))[0].startswith("🗑")
    assert project_ids(app) == []
    assert app.db.fetch_one("SELECT count(*) FROM project_history") == (0,)


def test_names_are_checked_and_the_user_told_what_to_do(bot):
    app, send = bot
    send(updates.callback(USER, "prj:new"))
    assert "длиннее 20 символов" in texts(send(updates.message(USER, "x" * 21)))[0]
    assert "не может быть пустым" in texts(send(updates.message(USER, "   ")))[0]
    assert project_ids(app) == []
    send(updates.message(USER, "x'); DROP TABLE --"))
    assert app.db.fetch_one("SELECT name FROM projects WHERE user_id = %s", (USER,)) == \
        ("x'); DROP TABLE --",)


def test_the_project_limit(bot):
    app, send = bot
    for name in ("Первый", "Второй", "Третий"):
        send(updates.callback(USER, "prj:new"))
        sent = send(updates.message(USER, name))
    assert "это предел" in texts(sent)[0]
    assert len(project_ids(app)) == 2


def test_twelve_creates_at_once_stop_at_the_limit(bot):
    """The user's row lock (app.users.lock) queues concurrent creates: the count each
    reads is the one it inserts after, so the cap of 2 holds."""
    app, _ = bot
    settings = app.plugins.plugins["projects"].settings
    barrier, outcomes = threading.Barrier(12, timeout=30), []

    def create(i):
        barrier.wait()
        try:
            outcomes.append(create_project(app, settings, USER, f"Проект {i}"))
        except ProjectError:
            outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(project_ids(app)) == 2
    assert outcomes.count("refused") == 10


def test_cancel_leaves_the_naming_step(bot):
    app, send = bot
    send(updates.callback(USER, "prj:new"))
    assert "отменено" in texts(send(updates.message(USER, "/cancel")))[0]
    # The text is no project name now: it is taken as a prompt.
    assert "Что создать по описанию «Просто текст»?" in texts(send(updates.message(USER, "Просто текст")))[0]
    assert project_ids(app) == []


def test_another_users_project_is_not_found(bot):
    app, send = bot
    send(updates.callback(USER, "prj:new"))
    send(updates.message(USER, "Мой"))
    [pid] = project_ids(app)
    for data in (f"prj:open:{pid}", f"prj:ren:{pid}", f"prj:del:{pid}", f"prj:delok:{pid}",
                 f"prj:hist:{pid}:0"):
        assert "не найден" in texts(send(updates.callback(OTHER, data)))[0]
    assert project_ids(app) == [pid]
    assert not save_to_project(app, OTHER, pid, "demo", {}, None, "success")


@pytest.mark.parametrize("data", ["prj:open:abc", "prj:hist", "prj:zzz:1", "prj:open:"])
def test_malformed_project_buttons_get_an_answer(bot, data):
    _, send = bot
    assert send(updates.callback(USER, data))
