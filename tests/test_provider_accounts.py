"""A provider account that cannot be used fails a job at once, not after its deadline.

Real `run.py serve` and an OpenAI-compatible stand-in answering as OpenAI documents an
account out of credit (429 ``insufficient_quota``): the job fails at once, its hold goes
back, the operator reads one ERROR naming the provider, and /readyz and `genbot doctor`
show the provider failing until one of its jobs succeeds. A rate limit (429
``rate_limit_exceeded``) is still waited out and retried.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from genbot.testing.waiting import wait_until
from tests.support.flows import http_sender, order
from tests.support.openai_standin import OpenAIStandIn
from tests.support.serve import ServeProcess, openai_env, run_cli
from tests.test_openai import CATALOG

pytestmark = pytest.mark.slow
USER = 6500
START = Decimal("100.00")
METRICS = "metrics-token-for-the-provider-test"


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    standin = OpenAIStandIn().start()
    env = openai_env(db_settings, bot_api, tmp_path, standin, CATALOG, METRICS_TOKEN=METRICS)
    server = ServeProcess(env, cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)
    Balances(db, UserCache()).credit(USER, str(START))
    server.wait_ready()
    yield server, db, standin, env
    server.stop()
    standin.stop()
    db.close()


def ask(server, bot_api, question: str) -> None:
    send = http_sender(server.url, bot_api)
    order(send, USER, "chat", question)


def last_job(db, after: int = 0):
    """The newest job (newer than job ``after``) once its user was told."""
    return wait_until(lambda: db.fetch_one(
        "SELECT id, status, failure_reason, error_code, EXTRACT(EPOCH FROM finished_at - started_at) "
        "FROM generation_jobs WHERE notified AND id > %s ORDER BY id DESC LIMIT 1", (after,)),
        60, "no job was told")


def providers(server) -> dict:
    return requests.get(server.url + "/readyz", headers={"Authorization": f"Bearer {METRICS}"},
                        timeout=10).json()["providers"]


def doctor(env, cwd) -> dict:
    done = run_cli("doctor", "--json", env=env, cwd=cwd)
    return {f["check"]: f for f in json.loads(done.stdout)["findings"]}


def test_an_account_out_of_credit_fails_the_job_at_once_and_is_shown_until_a_job_succeeds(
        served, bot_api, tmp_path):
    server, db, standin, env = served
    standin.refuse("chat", *[(429, "insufficient_quota")] * 10)
    ask(server, bot_api, "Расскажи про море")
    job_id, status, reason, code, seconds = last_job(db)
    assert (status, reason, code) == ("failed", "account", "openai_insufficient_quota")
    assert seconds < 5  # one answer, no retries: before, the job waited out its 60 s
    assert len(standin.requests_to("/v1/chat/completions")) == 1
    told = bot_api.wait_for_text("сервис генерации сейчас недоступен", chat_id=USER)
    assert "Деньги не списаны" in told["text"]
    assert Balances(db, UserCache()).summary(USER) == (START, Decimal("0"))
    errors = [line for line in server.log().splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "provider openai cannot be used" in errors[0] \
        and "out of credit" in errors[0] and f"Job {job_id}" in errors[0], errors
    assert providers(server)["openai"]["state"] == "failing"
    finding = doctor(env, tmp_path)["providers"]
    assert finding["severity"] == "warning" and "openai failing since" in finding["message"]

    # The operator topped the account up: the next job works, and the provider is well again.
    standin.refusals.clear()
    ask(server, bot_api, "А теперь про горы")
    assert last_job(db, after=job_id)[1] == "succeeded"
    assert providers(server)["openai"] == {"state": "ok"}
    assert doctor(env, tmp_path)["providers"]["severity"] == "ok"
    assert ledger_differences(db) == []


def test_a_rate_limit_is_still_waited_out_and_retried(served, bot_api):
    server, db, standin, _env = served
    standin.refuse("chat", 429)  # rate_limit_exceeded, with retry-after: 1
    ask(server, bot_api, "Расскажи про море")
    assert last_job(db)[1] == "succeeded"
    assert len(standin.requests_to("/v1/chat/completions")) == 2
    assert not [line for line in server.log().splitlines() if " ERROR " in line]
    assert providers(server)["openai"] == {"state": "ok"}
