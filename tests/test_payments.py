"""Payments in process: the top-up menu, invoices, pre-checkout, Stars, refunds, cleanup."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.generation.contract import GenerationOutput
from core.generation.jobs import Ending
from core.ops.cleanup import run_cleanup
from core.ops.doctor import run_checks
from core.ops.migrations import Migrator
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, post_update, texts
from plugins.payments.callback import signature_of
from tests.support.flows import generate

USER, ADMIN = 900, 1
SECRET = "cb-secret"


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, ADMIN_IDS=str(ADMIN),
                           PAYMENT_CALLBACK_SECRET=SECRET, plugins_toml=(
                               '[payments]\nprovider_token = "test-provider-token"\n'
                               'stars_rub_per_star = "2.00"\nrefund_timeout_s = 0.5\n'
                               'refund_settle_after_s = 0\n'))
    yield app, (lambda update: exchange(client, bot_api, update)), client
    app.close()


def pre_checkout(user_id, payload, currency, total, update_id=None):
    update = updates.message(user_id, "x", update_id=update_id)
    del update["message"]
    update["pre_checkout_query"] = {"id": f"pcq{user_id}{total}", "from": updates.user(user_id),
                                    "currency": currency, "total_amount": total,
                                    "invoice_payload": payload}
    return update


def successful_payment(user_id, payload, currency, total, charge_id, update_id=None):
    update = updates.message(user_id, "x", update_id=update_id)
    del update["message"]["text"]
    update["message"]["successful_payment"] = {
        "currency": currency, "total_amount": total, "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": f"prov-{charge_id}"}
    return update


def pay_stars(send, bot_api, user_id, payload, stars, charge_id):
    """The user pays a Stars invoice: Telegram records it and sends successful_payment."""
    bot_api.star_payment(user_id, charge_id, stars)
    return send(successful_payment(user_id, payload, "XTR", stars, charge_id))


def invoice_for(bot_api, user_id):
    return bot_api.calls_to("sendInvoice", user_id)[-1]


def test_the_top_up_menu_and_a_card_invoice(bot, bot_api):
    app, send, _ = bot
    [menu] = [m for m in send(updates.message(USER, "💳 Пополнить")) if m.get("method") == "sendMessage"]
    assert "Выберите сумму" in menu["text"]
    send(updates.callback(USER, "pay:a:500"))
    send(updates.callback(USER, "pay:m:card:500"))
    invoice = invoice_for(bot_api, USER)
    assert invoice["currency"] == "RUB" and invoice["provider_token"] == "test-provider-token"
    assert json.loads(invoice["prices"])[0]["amount"] == 50000


@pytest.mark.parametrize("typed,answer", [
    ("-5", "Сумма должна быть"), ("0", "Сумма должна быть от 10 ₽ до 100 000 ₽"), ("abc", "Это не сумма"),
    ("NaN", "Это не сумма"), ("1e309", "Это не сумма"), ("9", "Сумма должна быть"),
    ("100001", "Сумма должна быть"), ("12.345", "Это не сумма"),
])
def test_custom_amounts_are_checked(bot, typed, answer):
    _, send, _ = bot
    send(updates.callback(USER, "pay:custom"))
    assert answer in texts(send(updates.message(USER, typed)))[0]


def test_a_custom_amount_leads_to_the_method_choice(bot):
    _, send, _ = bot
    send(updates.callback(USER, "pay:custom"))
    sent = texts(send(updates.message(USER, "250,50 ₽")))
    assert "Пополнить на 250,50 ₽. Как оплатить?" in sent[0]


def test_pre_checkout_accepts_the_invoice_and_refuses_tampering(bot, bot_api):
    _, send, _ = bot
    send(updates.callback(USER, "pay:m:card:500"))
    payload = invoice_for(bot_api, USER)["payload"]
    ok = send(pre_checkout(USER, payload, "RUB", 50000))[-1]
    assert ok["method"] == "answerPreCheckoutQuery" and ok["ok"] is True
    for tampered in (pre_checkout(USER, payload, "RUB", 100), pre_checkout(USER, payload, "USD", 50000),
                     pre_checkout(USER + 1, payload, "RUB", 50000), pre_checkout(USER, "forged", "RUB", 50000)):
        answer = send(tampered)[-1]
        assert answer["ok"] is False and "Счёт устарел" in answer["error_message"]


def test_successful_payment_delivered_twice_credits_once(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:card:500"))
    payload = invoice_for(bot_api, USER)["payload"]
    first = send(successful_payment(USER, payload, "RUB", 50000, "charge-1"))
    assert "Баланс пополнен на 500 ₽" in texts(first)[0]
    again = send(successful_payment(USER, payload, "RUB", 50000, "charge-1"))  # a new update id
    assert texts(again) == []
    assert app.balances.get(USER) == Decimal("500.00")
    assert app.db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s",
                            (USER,)) == [(Decimal("500.00"), "topup")]


def test_stars_credit_at_the_rate_and_refund_once(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:100"))
    invoice = invoice_for(bot_api, USER)
    assert invoice["currency"] == "XTR" and invoice.get("provider_token", "") == ""
    assert json.loads(invoice["prices"])[0]["amount"] == 50  # 100 ₽ at 2 ₽ a star
    pay_stars(send, bot_api, USER, invoice["payload"], 50, "stars-1")
    assert app.balances.get(USER) == Decimal("100.00")
    assert "возвращены" in texts(send(updates.message(ADMIN, "/refund stars-1")))[0]
    assert bot_api.calls_to("refundStarPayment")[-1]["telegram_payment_charge_id"] == "stars-1"
    assert "уже возвращён" in texts(send(updates.message(ADMIN, "/refund stars-1")))[0]
    assert len(bot_api.calls_to("refundStarPayment")) == 1
    assert app.balances.get(USER) == Decimal("0.00")
    assert "Такой команды нет" in texts(send(updates.message(USER, "/refund stars-1")))[0]
    assert ledger_differences(app.db) == []


def test_a_spent_stars_payment_is_not_refunded(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:100"))
    pay_stars(send, bot_api, USER, invoice_for(bot_api, USER)["payload"], 50, "stars-2")
    app.balances.debit(USER, "60.00", reason="spent on generations")
    assert "меньше суммы" in texts(send(updates.message(ADMIN, "/refund stars-2")))[0]
    assert app.db.fetch_one("SELECT status FROM payments WHERE external_id = 'stars-2'") == ("credited",)
    assert bot_api.calls_to("refundStarPayment") == []


def test_without_the_ledger_top_ups_stop_and_generations_go_on(bot, bot_api, caplog):
    app, send, client = bot
    app.balances.credit(USER, "100.00")
    app.db.execute("DROP TABLE payment_transactions")
    app.plugins.probe(app.db)
    assert app.plugins.plugins["payments"].state == "degraded"
    assert caplog.text.count("payment_transactions table missing") == 1
    assert texts(send(updates.message(USER, "💳 Пополнить"))) == ["⚠️ База временно недоступна"]
    raw = json.dumps({"payment_id": "x", "user_id": USER, "amount_rub": "10.00", "status": "succeeded"}).encode()
    assert client.post("/payments/callback", data=raw,
                       headers={"X-Signature": signature_of(SECRET, raw)}).status_code == 503
    app.start_workers()
    # The ledger fails closed: a paid model is refused as soon as it is chosen ...
    sent = send(updates.callback(USER, "gen:m:demo-image-hd"))
    assert [m.get("text") for m in sent if m.get("text")] == ["⚠️ База временно недоступна"]
    assert "payment_transactions" in caplog.text
    # ... and a confirm that got past that point holds nothing.
    app.conversations.set(USER, "gen", {"model": "demo-image-hd", "inputs": {"prompt": "x"},
                                         "step": 1, "token": "t0"})
    sent = send(updates.callback(USER, "gen:go:t0"))
    assert "⚠️ База временно недоступна" in [m.get("text") for m in sent]
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (0,)
    # Free generations go on.
    generate(send, USER, "demo-image", "бесплатно без журнала", ("choice", 0))
    bot_api.wait_for("sendPhoto", chat_id=USER)
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))


def test_startup_cleanup_settles_what_is_stale_and_leaves_what_is_fresh(bot, bot_api):
    app, _, _ = bot
    app.balances.credit(USER, "100.00")
    stale = app.balances.hold(USER, "10.00", reason="orphan")
    fresh = app.balances.hold(USER, "20.00", reason="fresh")
    app.db.execute("UPDATE balance_reservations SET created_at = NOW() - INTERVAL '2 hours' WHERE id = %s",
                   (stale.id,))
    model = app.catalog.get("demo-image-hd")
    with app.db.transaction() as tx:
        dead_job, _ = app.jobs.create(tx, user_id=USER, chat_id=USER, model=model,
                                      inputs={"prompt": "умер"}, draft_key="dead")
        live_job, _ = app.jobs.create(tx, user_id=USER, chat_id=USER, model=model,
                                      inputs={"prompt": "жив"}, draft_key="live")
    app.db.execute("UPDATE generation_jobs SET status = 'running', locked_by = 'elsewhere:1:x', "
                   "heartbeat_at = NOW() - INTERVAL '10 minutes', deadline_at = NOW() + INTERVAL '1 hour' "
                   "WHERE id = %s", (dead_job,))
    app.db.execute("INSERT INTO idempotency_records (key, scope, created_at) VALUES "
                   "('old', 'invoice', NOW() - INTERVAL '25 hours'), ('new', 'invoice', NOW())")
    counts = run_cleanup(app)
    assert counts["jobs_of_stopped_workers"] == 1
    assert counts["stale_holds_released"] == 1
    assert counts["idempotency_records_deleted"] == 1
    assert app.balances.reservation(stale.id).status == "released"
    assert app.balances.reservation(fresh.id).status == "held"
    assert app.jobs.get(dead_job).status == "failed" and app.jobs.get(live_job).status == "queued"
    assert app.db.fetch_all("SELECT key FROM idempotency_records") == [("new",)]
    bot_api.wait_for_text("прервалась", USER)
    assert app.balances.summary(USER) == (Decimal("65.00"), Decimal("35.00"))  # fresh + live job
    assert ledger_differences(app.db) == []
    assert run_cleanup(app)["stale_holds_released"] == 0  # a second run finds nothing


def test_a_randomized_mixed_run_keeps_the_ledger_exact(bot, bot_api):
    app, send, client = bot
    rng = random.Random(2026)
    users = [7000 + i for i in range(8)]
    for user in users:
        send(updates.message(user, "/start"))
    from core.accounts.balances import InsufficientFunds
    model = app.catalog.get("demo-image-hd")
    holds = []
    for step in range(300):
        user = rng.choice(users)
        action = rng.choice(["callback", "callback_replay", "hold", "capture", "release", "debit",
                             "referral", "refund", "stars"])
        if action.startswith("callback"):
            pid = f"rnd-{step if action == 'callback' else rng.randint(0, max(step, 1))}"
            raw = json.dumps({"payment_id": pid, "user_id": user,
                              "amount_rub": f"{rng.randint(1, 300)}.{rng.randint(0, 99):02d}",
                              "status": "succeeded"}).encode()
            assert client.post("/payments/callback", data=raw,
                               headers={"X-Signature": signature_of(SECRET, raw)}).status_code == 200
        elif action == "hold":
            try:
                with app.db.transaction() as tx:
                    job_id, _ = app.jobs.create(tx, user_id=user, chat_id=user, model=model,
                                                inputs={"prompt": str(step)}, draft_key=f"rnd-{step}")
                holds.append(job_id)
            except InsufficientFunds:
                pass
        elif action in ("capture", "release") and holds:
            job_id = holds.pop(rng.randrange(len(holds)))
            app.jobs.settle(job_id, Ending.succeeded(GenerationOutput("text", text="")) if action == "capture"
                            else Ending.failed("random", "released by the run"), expect=("queued",))
        elif action == "debit":
            try:
                app.balances.debit(user, f"{rng.randint(1, 50)}.00", reason="admin adjustment")
            except InsufficientFunds:
                pass
        elif action == "referral":
            app.balances.credit(user, "50.00", kind="referral", reason="random referral")
        elif action == "refund":
            app.balances.credit(user, "5.00", kind="refund", reason="random refund")
        elif action == "stars":
            send(successful_payment(user, "no-invoice", "XTR", rng.randint(1, 20), f"st-{step}"))
        if step % 25 == 0:
            assert ledger_differences(app.db) == [], f"after step {step} ({action})"
    assert ledger_differences(app.db) == []
    kinds = {r[0] for r in app.db.fetch_all("SELECT DISTINCT type FROM payment_transactions")}
    assert kinds == {"topup", "deduction", "referral", "refund"}


def test_doctor_is_clean_and_then_names_a_ledger_difference(bot, db_settings, tmp_path):
    from genbot.testing.postgres import url_for
    from tests.support.serve import base_env, run_cli
    app, _, _ = bot
    app.balances.credit(USER, "10.00")
    env = base_env(DATABASE_URL=url_for(db_settings))
    healthy = run_cli("doctor", env=env, cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stdout
    app.db.execute("UPDATE balances SET balance_rub = 99 WHERE user_id = %s", (USER,))
    broken = run_cli("doctor", "--json", env=env, cwd=tmp_path)
    assert broken.returncode == 2  # ledger differences are critical
    ledger = next(f for f in json.loads(broken.stdout)["findings"] if f["check"] == "ledger")
    assert ledger["severity"] == "critical"
    assert ledger["details"] == [{"user_id": USER, "balance": "99.00", "held": "0", "ledger": "10.00"}]


def test_a_table_gone_before_the_probe_notices_answers_503_naming_it(bot, caplog):
    app, _send, client = bot
    app.db.execute("DROP TABLE payments")  # the plugin is still "enabled": no probe ran yet
    raw = json.dumps({"payment_id": "gone-1", "user_id": USER, "amount_rub": "10.00",
                      "status": "succeeded"}).encode()
    response = client.post("/payments/callback", data=raw, headers={"X-Signature": signature_of(SECRET, raw)})
    assert response.status_code == 503  # the provider retries later; nothing was credited
    assert "retry later" in response.get_json()["error"]
    assert 'relation "payments" does not exist' in caplog.text
    assert app.balances.summary(USER) == (Decimal("0"), Decimal("0"))


# -- only what genbot invoiced is credited ------------------------------------------------

@pytest.mark.parametrize("case", ["unknown payload", "wrong currency", "wrong total", "other payer"])
def test_a_payment_that_matches_no_invoice_credits_nothing_and_waits_for_review(bot, bot_api, case):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:card:250"))
    payload = invoice_for(bot_api, USER)["payload"]
    payer, currency, total = USER, "RUB", 25000
    if case == "unknown payload":
        payload, currency, total = "made-up", "USD", 12345
    elif case == "wrong currency":
        currency = "EUR"
    elif case == "wrong total":
        total = 2500
    else:
        payer = USER + 1
    said = texts(send(successful_payment(payer, payload, currency, total, "odd-1")))
    assert "не совпал со счётом" in said[0] and "odd-1" in said[0]
    assert texts(send(successful_payment(payer, payload, currency, total, "odd-1"))) == []  # re-sent
    assert app.balances.summary(payer) == (Decimal("0"), Decimal("0"))
    assert app.db.fetch_all("SELECT status, amount_rub FROM payments") == [("review", None)]
    assert ledger_differences(app.db) == []
    [finding] = [f for f in run_checks(app.db, app.plugins, Migrator(app.db.settings), 60)
                 if f.check == "payments"]
    assert finding.severity == "warning" and "odd-1" in finding.details[0]

    assert "Такой команды нет" in texts(send(updates.message(payer, "/settle odd-1 credit 250")))[0]
    assert "зачислено 250 ₽" in texts(send(updates.message(ADMIN, "/settle odd-1 credit 250")))[0]
    assert "нет" in texts(send(updates.message(ADMIN, "/settle odd-1 credit 250")))[0]  # once
    assert app.balances.get(payer) == Decimal("250.00")
    assert app.db.fetch_all("SELECT status, amount_rub FROM payments") == [("credited", Decimal("250.00"))]
    assert ledger_differences(app.db) == []


def test_a_stars_payment_under_review_is_refunded_by_the_admin(bot, bot_api):
    app, send, _ = bot
    pay_stars(send, bot_api, USER, "made-up", 7, "odd-stars")
    assert app.db.fetch_one("SELECT status FROM payments") == ("review",)
    assert "возвращён" in texts(send(updates.message(ADMIN, "/settle odd-stars refund")))[0]
    assert bot_api.refunded_charges() == ["odd-stars"]
    assert app.db.fetch_one("SELECT status FROM payments") == ("refunded",)
    assert app.balances.summary(USER) == (Decimal("0"), Decimal("0"))


def test_a_stars_invoice_credits_its_roubles_exactly(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:25"))  # 25 ₽ at 2 ₽ a star: 13 stars
    invoice = invoice_for(bot_api, USER)
    assert json.loads(invoice["prices"])[0]["amount"] == 13
    pay_stars(send, bot_api, USER, invoice["payload"], 13, "stars-25")
    assert app.balances.get(USER) == Decimal("25.00")


# -- refunds that never guess -----------------------------------------------------------

class Crash(BaseException):
    """The process dies here."""


def test_a_crash_between_the_debit_and_the_refund_call_is_settled_from_telegrams_record(
        bot, bot_api, monkeypatch):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:100"))
    pay_stars(send, bot_api, USER, invoice_for(bot_api, USER)["payload"], 50, "stars-crash")
    real_call = app.telegram.call

    def crash_on_refund(method, params):
        if method == "refundStarPayment":
            raise Crash()
        return real_call(method, params)

    monkeypatch.setattr(app.telegram, "call", crash_on_refund)
    with pytest.raises(Crash):
        send(updates.message(ADMIN, "/refund stars-crash"))
    monkeypatch.setattr(app.telegram, "call", real_call)
    assert app.db.fetch_one("SELECT status FROM payments") == ("refunding",)
    assert app.balances.get(USER) == Decimal("0.00")  # debited, the Stars not yet returned
    assert "already" not in texts(send(updates.message(ADMIN, "/refund stars-crash")))[0]

    assert run_cleanup(app)["payments.uncertain_refunds_settled"] == 1
    # Telegram's record shows no refund: the user keeps the payment, and its roubles.
    assert bot_api.refunded_charges() == []
    assert app.db.fetch_one("SELECT status FROM payments") == ("credited",)
    assert app.balances.get(USER) == Decimal("100.00")
    assert ledger_differences(app.db) == []
    # ... and can be refunded properly now.
    assert "возвращены" in texts(send(updates.message(ADMIN, "/refund stars-crash")))[0]
    assert bot_api.refunded_charges() == ["stars-crash"]


def test_a_refund_that_timed_out_after_telegram_refunded_ends_refunded(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:100"))
    pay_stars(send, bot_api, USER, invoice_for(bot_api, USER)["payload"], 50, "stars-slow")
    bot_api.slow("refundStarPayment", 2.0)  # refunded at once, answered after our 0.5 s timeout
    assert "не ответил" in texts(send(updates.message(ADMIN, "/refund stars-slow")))[0]
    assert app.db.fetch_one("SELECT status FROM payments") == ("refunding",)
    bot_api.slow("refundStarPayment", 0)
    app.db.execute("UPDATE payments SET updated_at = NOW() - INTERVAL '2 minutes'")
    [finding] = [f for f in run_checks(app.db, app.plugins, Migrator(app.db.settings), 60)
                 if f.check == "payments"]
    assert finding.severity == "warning" and "1 refund(s) with an unknown outcome" in finding.message

    assert run_cleanup(app)["payments.uncertain_refunds_settled"] == 1
    assert bot_api.refunded_charges() == ["stars-slow"]
    assert app.db.fetch_one("SELECT status FROM payments") == ("refunded",)
    assert app.balances.get(USER) == Decimal("0.00")  # never both the Stars and the roubles
    assert ledger_differences(app.db) == []


def test_a_refund_telegram_refuses_restores_the_balance_at_once(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "pay:m:stars:100"))
    pay_stars(send, bot_api, USER, invoice_for(bot_api, USER)["payload"], 50, "stars-no")
    bot_api.fail("refundStarPayment", (400, "Bad Request: STARS_REFUND_FORBIDDEN"))
    assert "отказал" in texts(send(updates.message(ADMIN, "/refund stars-no")))[0]
    assert app.db.fetch_one("SELECT status FROM payments") == ("credited",)
    assert app.balances.get(USER) == Decimal("100.00")
    assert ledger_differences(app.db) == []


def test_a_payment_with_the_payments_plugin_switched_off_is_not_acknowledged(db_settings, bot_api,
                                                                               tmp_path, caplog):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           plugins_toml="[payments]\nenabled = false\n")
    try:
        response = post_update(client, successful_payment(USER, "old-invoice", "RUB", 10000, "orphan-1"))
        assert response.status_code == 503  # Telegram keeps it until payments is back
        assert "orphan-1" in caplog.text
    finally:
        app.close()
