"""The signed provider callback against a real `run.py serve`, hammered concurrently."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from plugins.payments.callback import signature_of
from tests.support.serve import ServeProcess, serve_env

pytestmark = pytest.mark.slow
CALLBACK_SECRET = "provider-callback-secret"


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    env = serve_env(db_settings, bot_api, WEB_CONCURRENCY=2, WEB_THREADS=16, DB_POOL_MIN=None,
                    PAYMENT_CALLBACK_SECRET=CALLBACK_SECRET, JOB_WORKERS=0)
    server = ServeProcess(env, cwd=tmp_path)
    server.wait_ready()
    db = Database(db_settings, minconn=0, maxconn=4)
    yield server, db
    server.stop()
    db.close()


def body(payment_id, user_id, amount, status="succeeded") -> bytes:
    return json.dumps({"payment_id": payment_id, "user_id": user_id, "amount_rub": amount,
                       "status": status}).encode()


_sessions = threading.local()


def post(url, raw: bytes, signature: str | None = "sign") -> int:
    session = getattr(_sessions, "session", None) or requests.Session()
    _sessions.session = session
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Signature"] = signature_of(CALLBACK_SECRET, raw)
    elif signature is not None:
        headers["X-Signature"] = signature
    return session.post(url + "/payments/callback", data=raw, headers=headers, timeout=30).status_code


def test_200_copies_of_one_callback_credit_once(served, bot_api):
    server, db = served
    raw = body("pay-single", 4001, "150.00")
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(lambda _: post(server.url, raw), range(200)))
    assert statuses == [200] * 200
    assert Balances(db, UserCache()).get(4001) == Decimal("150.00")
    assert db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = 4001") == (1,)
    bot_api.wait_for_text("Баланс пополнен на 150 ₽", 4001)
    assert len(bot_api.calls_to("sendMessage", 4001)) == 1  # the user is told once


def test_1000_distinct_callbacks_10_copies_each_interleaved(served):
    server, db = served
    rng = random.Random(5)
    payments = [(f"pay-{i}", 5000 + i % 50, f"{rng.randint(1, 5000)}.{rng.randint(0, 99):02d}")
                for i in range(1000)]
    deliveries = [body(*p) for p in payments for _ in range(10)]
    rng.shuffle(deliveries)
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(lambda raw: post(server.url, raw), deliveries))
    assert statuses == [200] * len(deliveries)
    expected: dict[int, Decimal] = {}
    for _, user, amount in payments:
        expected[user] = expected.get(user, Decimal("0")) + Decimal(amount)
    got = dict(db.fetch_all("SELECT user_id, balance_rub FROM balances WHERE user_id >= 5000"))
    assert got == expected
    assert db.fetch_one("SELECT count(*) FROM payments") == (1000,)
    assert ledger_differences(db) == []


BAD = [
    (body("p1", 1, "10.00"), "0" * 64, 403),
    (body("p1", 1, "10.00"), None, 403),
    (body("p1", 1, "10.00"), signature_of(CALLBACK_SECRET, body("p1", 1, "99999.00")), 403),
    (body("p1", 1, "-10.00"), "sign", 400),
    (body("p1", 1, "0"), "sign", 400),
    (body("p1", 1, "100000000000"), "sign", 400),
    (body("p1", 1, "100001.00"), "sign", 400),
    (body("p1", 1, "NaN"), "sign", 400),
    (body("p1", 1, "1e309"), "sign", 400),
    (body("p1", 1, "ten"), "sign", 400),
    (json.dumps({"payment_id": "p1", "user_id": 1, "amount_rub": 10.5, "status": "succeeded"}).encode(), "sign", 400),
    (body("p1", 1, "10.00", status="mystery"), "sign", 400),
    (body("p1", "1", "10.00"), "sign", 400),
    (body("p1", -1, "10.00"), "sign", 400),
    (body("", 1, "10.00"), "sign", 400),
    (b"not json at all", "sign", 400),
    (b"[1, 2]", "sign", 400),
    (b"x" * 10_000_000, "sign", 413),
]
BAD_IDS = ["wrong-signature", "no-signature", "signature-of-another-body", "negative", "zero",
           "huge", "over-max", "nan", "1e309", "not-a-number", "float", "unknown-status",
           "user-id-string", "user-id-negative", "empty-payment-id", "not-json", "json-array",
           "10-MB"]


@pytest.mark.parametrize("raw,signature,status", BAD, ids=BAD_IDS)
def test_bad_callbacks_get_their_status_and_change_nothing(served, raw, signature, status):
    server, db = served
    assert post(server.url, raw, signature) == status
    assert db.fetch_one("SELECT count(*) FROM payments") == (0,)
    assert db.fetch_one("SELECT count(*) FROM payment_transactions") == (0,)
    assert db.fetch_one("SELECT COALESCE(SUM(balance_rub), 0) FROM balances") == (Decimal("0"),)


def test_non_succeeded_statuses_are_answered_and_credit_nothing(served):
    server, db = served
    for status in ("pending", "canceled", "failed", "waiting_for_capture"):
        assert post(server.url, body(f"p-{status}", 7, "10.00", status=status)) == 200
    assert db.fetch_one("SELECT count(*) FROM payments") == (0,)
    assert post(server.url, body("p-late", 7, "10.00")) == 200  # then it succeeds: credited
    assert Balances(db, UserCache()).get(7) == Decimal("10.00")
