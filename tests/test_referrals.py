"""Referral rules: only brand-new users, once, never themselves; rewards only from real
payments, never more than the configured share, taken back with a refund."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.ops.cleanup import run_cleanup
from core.ops.doctor import run_checks
from core.ops.migrations import Migrator
from core.serve.web import create_web_app
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, post_update, texts
from plugins.payments.callback import signature_of
from plugins.payments.credit import credit_payment
from plugins.referrals import record_referral
from tests.test_payments import invoice_for, pay_stars

ADMIN, CALLBACK_SECRET = 1, "referral-callback-secret"


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)
    yield app, client
    app.close()


@pytest.fixture
def fixed_reward(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=(
        '[referrals]\nreward_rub = "25.00"\n'))
    yield app, client
    app.close()


@pytest.fixture
def paying(db_settings, bot_api, tmp_path):
    """Referrals at the default 10 % share, with the payments a user can make."""
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, ADMIN_IDS=str(ADMIN),
                           PAYMENT_CALLBACK_SECRET=CALLBACK_SECRET, plugins_toml=(
                               '[payments]\nstars_rub_per_star = "1.50"\n'))
    yield app, client
    app.close()


def pay(client, user_id: int, amount: str, payment_id: str) -> None:
    """A real payment reported by the provider's signed callback."""
    raw = json.dumps({"payment_id": payment_id, "user_id": user_id, "amount_rub": amount,
                      "status": "succeeded"}).encode()
    assert client.post("/payments/callback", data=raw,
                       headers={"X-Signature": signature_of(CALLBACK_SECRET, raw)}).status_code == 200


def referrer_of(app, user_id):
    row = app.db.fetch_one("SELECT referrer_id FROM referrals WHERE referred_id = %s", (user_id,))
    return row[0] if row else None


def test_a_new_user_is_referred_and_each_real_payment_earns_the_share(paying, bot_api):
    app, client = paying
    post_update(client, updates.message(100, "/start"))
    body = post_update(client, updates.message(101, "/start ref_100")).get_json()
    assert "Привет" in body["text"]
    assert referrer_of(app, 101) == 100
    assert app.balances.get(100) == Decimal("0.00")
    pay(client, 101, "300.00", "p-1")
    pay(client, 101, "300.00", "p-1")  # the provider repeats itself: no second reward
    pay(client, 101, "99.99", "p-2")
    assert app.balances.get(100) == Decimal("39.99")  # 30.00 + 9.99 (rounded down)
    assert app.db.fetch_one("SELECT reward_rub FROM referrals WHERE referred_id = 101") == (Decimal("39.99"),)
    assert app.db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = 100 "
                            "ORDER BY id") == [(Decimal("30.00"), "referral"), (Decimal("9.99"), "referral")]
    assert ledger_differences(app.db) == []


def test_only_real_payments_earn_rewards(paying, bot_api):
    app, client = paying
    post_update(client, updates.message(110, "/start"))
    post_update(client, updates.message(111, "/start ref_110"))
    exchange(client, bot_api, updates.message(ADMIN, "/adjust 111 +500 подарок"))
    assert app.balances.get(111) == Decimal("500.00")
    app.balances.credit(111, "50.00", kind="refund", reason="a refund is not a payment")
    app.balances.credit(111, "50.00", kind="referral", reason="nor is a reward")
    assert app.balances.get(110) == Decimal("0.00")
    assert app.db.fetch_one("SELECT count(*) FROM referral_rewards") == (0,)


def test_three_invited_users_paying_the_minimum_earn_only_the_share(paying, bot_api):
    app, client = paying
    post_update(client, updates.message(120, "/start"))
    for invited in (121, 122, 123):
        post_update(client, updates.message(invited, "/start ref_120"))
        exchange(client, bot_api, updates.callback(invited, "pay:m:stars:10"))
        invoice = invoice_for(bot_api, invited)
        pay_stars(lambda u: exchange(client, bot_api, u), bot_api, invited, invoice["payload"],
                  json.loads(invoice["prices"])[0]["amount"], f"min-{invited}")
    paid = app.db.fetch_one("SELECT SUM(amount_rub) FROM payments WHERE status = 'credited'")[0]
    assert paid == Decimal("30.00")
    assert app.balances.get(120) == Decimal("3.00") <= paid * Decimal("0.10")


def test_with_a_fixed_reward_the_minimum_payments_earn_nothing(fixed_reward):
    app, client = fixed_reward
    post_update(client, updates.message(130, "/start"))
    for invited in (131, 132, 133):
        post_update(client, updates.message(invited, "/start ref_130"))
        credit_as_payment(app, invited, "10.00", f"fx-{invited}")
    assert app.balances.get(130) == Decimal("0.00")
    credit_as_payment(app, 131, "20.00", "fx-more")  # 30 ₽ in all: more than the 25 ₽ reward
    credit_as_payment(app, 131, "500.00", "fx-even-more")
    assert app.balances.get(130) == Decimal("25.00")  # once
    assert ledger_differences(app.db) == []


def credit_as_payment(app, user_id, amount, external_id):
    credit_payment(app, source="provider", external_id=external_id, user_id=user_id,
                   amount_rub=Decimal(amount))


def invited_pays_150_in_stars(client, bot_api, referrer: int, invited: int, charge: str):
    """``invited`` comes by ``referrer``'s link and pays a 150 ₽ Stars invoice."""
    send = lambda update: exchange(client, bot_api, update)  # noqa: E731
    post_update(client, updates.message(referrer, "/start"))
    post_update(client, updates.message(invited, f"/start ref_{referrer}"))
    send(updates.callback(invited, "pay:m:stars:150"))
    pay_stars(send, bot_api, invited, invoice_for(bot_api, invited)["payload"], 100, charge)
    return send


def test_a_refunded_payment_takes_its_reward_back(paying, bot_api):
    app, client = paying
    send = invited_pays_150_in_stars(client, bot_api, 140, 141, "ref-stars")
    assert app.balances.get(140) == Decimal("15.00")
    assert "возвращены" in texts(send(updates.message(ADMIN, "/refund ref-stars")))[0]
    assert app.balances.get(140) == Decimal("0.00")
    assert app.db.fetch_one("SELECT status, unrecovered_rub FROM referral_rewards") == \
        ("reversed", Decimal("0.00"))
    assert app.db.fetch_one("SELECT reward_rub FROM referrals WHERE referred_id = 141") == (Decimal("0.00"),)
    assert ledger_differences(app.db) == []


def test_a_reward_already_spent_is_recorded_and_shown_by_doctor(paying, bot_api):
    app, client = paying
    send = invited_pays_150_in_stars(client, bot_api, 150, 151, "spent-stars")
    app.balances.debit(150, "10.00", reason="spent on a generation")
    send(updates.message(ADMIN, "/refund spent-stars"))
    assert app.balances.get(150) == Decimal("0.00")
    assert app.db.fetch_one("SELECT status, unrecovered_rub FROM referral_rewards") == \
        ("unrecovered", Decimal("10.00"))
    [finding] = [f for f in run_checks(app.db, app.plugins, Migrator(app.db.settings), 60)
                 if f.check == "referral_rewards"]
    assert finding.severity == "warning" and "10.00" in finding.message
    assert ledger_differences(app.db) == []


def test_cleanup_rewards_a_payment_whose_announcement_was_lost(paying):
    app, client = paying
    post_update(client, updates.message(160, "/start"))
    post_update(client, updates.message(161, "/start ref_160"))
    app.plugins.plugins["referrals"].state = "disabled"  # the process died before the hook ran
    pay(client, 161, "200.00", "lost-1")
    app.plugins.plugins["referrals"].state = "enabled"
    assert app.balances.get(160) == Decimal("0.00")
    assert run_cleanup(app)["referrals.payments_caught_up"] == 1
    assert app.balances.get(160) == Decimal("20.00")
    assert run_cleanup(app)["referrals.payments_caught_up"] == 0


def test_cleanup_takes_back_the_reward_of_a_refund_whose_announcement_was_lost(paying, bot_api):
    app, client = paying
    send = invited_pays_150_in_stars(client, bot_api, 170, 171, "lost-refund")
    credit_as_payment(app, 171, "100.00", "kept")  # not refunded: its reward stays
    assert app.balances.get(170) == Decimal("25.00")
    app.plugins.plugins["referrals"].state = "disabled"  # the process died before the hook ran
    assert "возвращены" in texts(send(updates.message(ADMIN, "/refund lost-refund")))[0]
    app.plugins.plugins["referrals"].state = "enabled"
    assert app.balances.get(170) == Decimal("25.00")
    assert run_cleanup(app)["referrals.payments_caught_up"] == 1
    assert app.balances.get(170) == Decimal("10.00")
    assert app.db.fetch_all("SELECT payment_external_id, status FROM referral_rewards ORDER BY id") == \
        [("lost-refund", "reversed"), ("kept", "paid")]
    assert run_cleanup(app)["referrals.payments_caught_up"] == 0
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


def test_twenty_concurrent_starts_with_a_link_refer_once(fixed_reward):
    app, client = fixed_reward
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
    assert app.balances.get(200) == Decimal("0.00")  # signing up earns nothing
    assert ledger_differences(app.db) == []


def test_the_partner_screen_shows_link_terms_and_earnings(fixed_reward, bot_api):
    app, client = fixed_reward
    post_update(client, updates.message(300, "/start"))
    post_update(client, updates.message(301, "/start ref_300"))
    post_update(client, updates.message(302, "/start ref_300"))
    credit_as_payment(app, 301, "100.00", "screen-1")
    [text] = texts(exchange(client, bot_api, updates.message(300, "🤝 Партнёрка")))
    assert "https://t.me/genbot_test_bot?start=ref_300" in text
    assert "больше чем на 25 ₽" in text
    assert "Приглашено: 2" in text and "Заработано: 25 ₽" in text


def run_at_once(count: int, work) -> None:
    barrier = threading.Barrier(count, timeout=30)

    def run(i):
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_twelve_referrers_recorded_at_once_leave_one(served):
    """The referred user's row lock (app.users.lock) queues them: the first wins."""
    app, client = served
    for user_id in range(400, 413):
        post_update(client, updates.message(user_id, "/start"))
    settings, results = app.plugins.plugins["referrals"].settings, []
    run_at_once(12, lambda i: results.append(record_referral(app, settings, 401 + i, 400)))
    assert sorted(results) == [False] * 11 + [True]
    assert app.db.fetch_one("SELECT count(*) FROM referrals WHERE referred_id = 400") == (1,)


def test_ten_payments_at_once_earn_the_fixed_reward_once(fixed_reward):
    app, client = fixed_reward
    post_update(client, updates.message(420, "/start"))
    post_update(client, updates.message(421, "/start ref_420"))
    run_at_once(10, lambda i: credit_as_payment(app, 421, "30.00", f"at-once-{i}"))
    assert app.balances.get(420) == Decimal("25.00")
    assert app.db.fetch_one("SELECT count(*), SUM(amount_rub) FROM referral_rewards") == \
        (10, Decimal("25.00"))
    assert ledger_differences(app.db) == []
