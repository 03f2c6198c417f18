"""The job queue is fair between users and caps how many jobs one user has at once."""

from __future__ import annotations

import itertools
import threading

import pytest

from core.accounts.users import ensure_user_id
from core.generation.contract import GenerationOutput
from core.generation.jobs import Ending, TooManyActiveJobs
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, texts
from tests.support.flows import draft


@pytest.fixture
def app(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, MAX_ACTIVE_JOBS="3",
                           FREE_DAILY_QUOTA="1000")
    app.client = client
    yield app
    app.close()


_drafts = itertools.count()


def queue(app, user_id: int, count: int, model_id: str = "demo-text") -> list[int]:
    model = app.catalog.get(model_id)
    ids = []
    for n in range(count):
        with app.db.transaction() as tx:
            ensure_user_id(app.db, app.user_cache, user_id)
            ids.append(app.jobs.create(tx, user_id=user_id, chat_id=user_id, model=model,
                                       inputs={"prompt": f"{n}"}, draft_key=f"{user_id}:{next(_drafts)}")[0])
    return ids


def test_a_users_backlog_does_not_delay_another_users_next_job(app):
    app.jobs.max_active = None  # a backlog as large as before the cap existed
    backlog = queue(app, 1, 50)
    newcomer = queue(app, 2, 1)
    # One worker takes the backlog's first job; the next claim is the newcomer's,
    # although fifty older jobs wait.
    assert app.jobs.claim("w").id == backlog[0]
    assert app.jobs.claim("w").id == newcomer[0]
    later = queue(app, 3, 2)
    assert app.jobs.claim("w").id == later[0]  # user 3 runs nothing yet; user 1 runs one
    # Every user with queued jobs runs one already: first in, first out.
    assert app.jobs.claim("w").id == backlog[1]
    assert app.jobs.claim("w").id == backlog[2]
    # A user whose job ended is served first again.
    app.jobs.settle(later[0], Ending.succeeded(GenerationOutput("text", text="x")))
    assert app.jobs.claim("w").id == later[1]


def test_a_user_may_have_three_jobs_at_once_and_is_told_why_not_a_fourth(app, bot_api):
    queue(app, 5, 3)
    with pytest.raises(TooManyActiveJobs):
        queue(app, 5, 1)
    token = draft(lambda u: exchange(app.client, bot_api, u), 5, "demo-text", "четвёртая")
    sent = exchange(app.client, bot_api, updates.callback(5, f"gen:go:{token}"))
    alerts = [m for m in sent if m.get("method") == "answerCallbackQuery"]
    assert "не больше 3 генераций" in alerts[-1]["text"]
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE user_id = 5") == (3,)
    # One ends: the same confirm button now works (the draft was kept).
    app.jobs.settle(app.jobs.claim("w").id, Ending.succeeded(GenerationOutput("text", text="x")))
    exchange(app.client, bot_api, updates.callback(5, f"gen:go:{token}"))
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE user_id = 5") == (4,)
    assert not any("не больше" in text for text in texts(sent[:-1]))


def test_concurrent_confirms_of_different_drafts_never_pass_the_cap(app):
    barrier = threading.Barrier(8, timeout=30)
    model = app.catalog.get("demo-text")
    ensure_user_id(app.db, app.user_cache, 6)
    refused = []

    def confirm(n):
        barrier.wait()
        try:
            with app.db.transaction() as tx:
                app.jobs.create(tx, user_id=6, chat_id=6, model=model, inputs={"prompt": str(n)},
                                draft_key=f"6:draft-{n}")
        except TooManyActiveJobs:
            refused.append(n)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 5
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE user_id = 6") == (3,)
