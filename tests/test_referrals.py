"""Referral rules: only brand-new users, once, never themselves; the reward paid once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from core.balances import ledger_differences
from core.web import create_web_app
from tests.support import updates
from tests.support.app import exchange, make_app, post_update, texts


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)
    yield app, client
    app.close()


@pytest.fixture
def signup_reward(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=(
        '[referrals]\nreward_rub = "25.00"\nreward_on = "signup"\n'))
    yield app, client
    app.close()


def referrer_of(app, user_id):
    row = app.db.fetch_one("SELECT referrer_id FROM referrals WHERE referred_id = %s", (user_id,))
    return row[0] if row else None


def test_a_new_user_is_referred_and_the_reward_waits_for_the_first_topup(served):
    app, client = served
    post_update(client, updates.message(100, "/start"))
    body = post_update(client, updates.message(101, "/start ref_100")).get_json()
    assert "Привет" in body["text"]
    assert referrer_of(app, 101) == 100
    assert app.balances.get(100) == Decimal("0.00")
    app.balances.credit(101, "300")
    app.balances.credit(101, "300")
    assert app.balances.get(100) == Decimal("50.00")  # once, at the first top-up
    assert app.db.fetch_one("SELECT reward_rub FROM referrals WHERE referred_id = 101") == (Decimal("50.00"),)
    assert app.db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = 100") == \
        [(Decimal("50.00"), "referral")]
    assert ledger_differences(app.db) == []


def test_self_referral_is_ignored(served):
    app, client = served
    assert "Привет" in post_update(client, updates.message(102, "/start ref_102")).get_json()["text"]
    assert referrer_of(app, 102) is None


def test_an_existing_user_cannot_be_referred(served):
    app, client = served
    post_update(client, updates.message(103, "/start"))
    post_update(client, updates.message(104, "/start"))
    post_update(client, updates.message(104, "/start ref_103"))
    assert referrer_of(app, 104) is None


def test_a_user_is_referred_once(served):
    app, client = served
    post_update(client, updates.message(105, "/start"))
    post_update(client, updates.message(106, "/start"))
    post_update(client, updates.message(107, "/start ref_105"))
    post_update(client, updates.message(107, "/start ref_106"))
    assert referrer_of(app, 107) == 105


def test_circular_referral_is_refused(served):
    app, client = served
    post_update(client, updates.message(108, "/start"))
    post_update(client, updates.message(109, "/start ref_108"))
    from plugins.referrals import record_referral
    settings = app.plugins.plugins["referrals"].settings
    assert record_referral(app, settings, 109, 108) is False
    assert referrer_of(app, 108) is None


@pytest.mark.parametrize("payload", [
    "ref_abc", "ref_0", "ref_-5", "ref_", "ref_99999999999999999999", "ref_1 2", "REF_5",
    "'; DROP TABLE referrals; --", "ref_😀", "x" * 500, "ref_424242",
])
def test_garbage_payloads_just_start(served, payload):
    app, client = served
    body = post_update(client, updates.message(110, f"/start {payload}")).get_json()
    assert "Привет" in body["text"]
    assert app.db.fetch_one("SELECT count(*) FROM referrals") == (0,)


def test_twenty_concurrent_starts_with_a_link_reward_at_most_once(signup_reward):
    app, client = signup_reward
    post_update(client, updates.message(200, "/start"))
    barrier, statuses = threading.Barrier(20, timeout=30), []
    web = create_web_app(app)  # built once: CPython 3.11 can trip building one per thread at once

    def deliver(i):
        local = web.test_client()
        barrier.wait()
        statuses.append(post_update(local, updates.message(201, "/start ref_200")).status_code)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert statuses == [200] * 20
    assert app.db.fetch_one("SELECT count(*) FROM referrals WHERE referred_id = 201") == (1,)
    assert app.balances.get(200) == Decimal("25.00")
    assert app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = 200") == (1,)
    assert ledger_differences(app.db) == []


def test_the_partner_screen_shows_link_and_earnings(signup_reward, bot_api):
    app, client = signup_reward
    post_update(client, updates.message(300, "/start"))
    post_update(client, updates.message(301, "/start ref_300"))
    post_update(client, updates.message(302, "/start ref_300"))
    [text] = texts(exchange(client, bot_api, updates.message(300, "🤝 Партнёрка")))
    assert "https://t.me/genbot_test_bot?start=ref_300" in text
    assert "Приглашено: 2" in text and "Заработано: 50.00 ₽" in text
