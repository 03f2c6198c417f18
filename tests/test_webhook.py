"""POST /webhook as PRODUCT.md section 7 describes it, and the core's commands."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest

from core.serve.web import create_web_app
from genbot.testing import updates
from genbot.testing.app import SECRET, make_app, post_update


@pytest.fixture
def served(db_settings, bot_api):
    app, client = make_app(db_settings, bot_api)
    yield app, client
    app.close()


def keyboard_labels(body: dict) -> list[str]:
    markup = body["reply_markup"]
    return [button["text"] for row in markup["keyboard"] for button in row]


def test_start_answers_in_the_webhook_response_with_the_menu(served, bot_api):
    app, client = served
    response = post_update(client, updates.message(501, "/start", first_name="Аня"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["method"] == "sendMessage"
    assert body["chat_id"] == 501
    assert "Аня" in body["text"]
    assert {"💰 Баланс", "🆘 Помощь"} <= set(keyboard_labels(body))
    assert bot_api.calls == []  # no outbound round trip was needed
    assert app.db.fetch_one("SELECT first_name FROM users WHERE user_id = 501") == ("Аня",)
    assert app.db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = 501") == (Decimal("0.00"),)


def test_a_repeated_update_is_answered_200_and_not_processed_twice(served, bot_api):
    app, client = served
    update = updates.message(502, "/start")
    assert post_update(client, update).get_json()["method"] == "sendMessage"
    again = post_update(client, update)
    assert again.status_code == 200 and again.data == b""
    assert bot_api.calls == []


def test_concurrent_copies_of_one_update_are_processed_once(db_settings, bot_api):
    app, _ = make_app(db_settings, bot_api)
    update = updates.message(503, "/start")
    answered, barrier = [], threading.Barrier(16, timeout=30)
    web = create_web_app(app)  # built once: CPython 3.11 can trip building one per thread at once

    def deliver():
        client = web.test_client()
        barrier.wait()
        response = post_update(client, update)
        answered.append((response.status_code, bool(response.data)))

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    app.close()
    assert [status for status, _ in answered] == [200] * 16
    assert sum(1 for _, had_body in answered if had_body) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_wrong_or_missing_secret_is_403(served, secret):
    app, client = served
    response = post_update(client, updates.message(504, "/start"), secret=secret)
    assert response.status_code == 403
    assert app.db.fetch_one("SELECT count(*) FROM users WHERE user_id = 504") == (0,)


@pytest.mark.parametrize("body", [
    b"not json", b"{", b"[]", b"\"text\"", b"{}", b'{"update_id": "7"}', b'{"update_id": true}',
    b'{"update_id": -1}', b'{"update_id": 1.5}', b"\xff\xfe",
])
def test_malformed_bodies_are_400(served, body):
    _, client = served
    response = client.post("/webhook", data=body, content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400


def test_body_over_the_limit_is_413(served):
    _, client = served
    big = json.dumps({"update_id": 1, "pad": "x" * 2_000_000}).encode()
    response = client.post("/webhook", data=big, content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 413


def test_a_poison_update_is_logged_and_answered_200(served, caplog):
    _, client = served
    poison = {"update_id": 99, "message": {"message_id": 1, "text": "/start"}}  # no chat, no date
    response = post_update(client, poison)
    assert response.status_code == 200
    assert "update 99 failed" in caplog.text


def test_a_handler_exception_is_logged_answered_politely_and_200(served, caplog):
    app, client = served

    def broken(ctx, _args):
        raise RuntimeError("boom")

    app.router.command("broken", broken, owner="tests")
    response = post_update(client, updates.message(505, "/broken"))
    assert response.status_code == 200
    assert "Что-то пошло не так" in response.get_json()["text"]
    assert "tests handler broken failed" in caplog.text


def test_balance_shows_balance_and_held_money(served):
    app, client = served
    app.balances.credit(506, "250.00")
    app.balances.hold(506, "40")
    body = post_update(client, updates.message(506, "/balance")).get_json()
    assert "Ваш баланс: 210 ₽" in body["text"] and "Зарезервировано под идущие генерации: 40 ₽" in body["text"]
    assert "Бесплатных генераций сегодня: осталось 10 из 10" in body["text"]
    assert "+250 ₽  пополнение" in body["text"]  # the last changes
    buttons = {b["text"]: b["callback_data"] for row in body["reply_markup"]["inline_keyboard"] for b in row}
    assert buttons["💳 Пополнить"] == "pay:menu" and buttons["🗂 История"] == "hist:p:0"
    body = post_update(client, updates.message(506, "💰 Баланс")).get_json()
    assert "210 ₽" in body["text"]


@pytest.mark.parametrize("text,expected", [
    ("/help", "Как пользоваться"), ("🆘 Помощь", "Как пользоваться"),
    ("/cancel", "отменено"), ("/nonsense", "Такой команды нет"),
    # Text outside a flow is a prompt: a new user is asked where it goes, never "не понял".
    ("привет", "Что создать по описанию «привет»?"),
    ("'; DROP TABLE users; --", "Что создать по описанию «'; DROP TABLE users; --»?"),
])
def test_every_text_gets_an_answer(served, text, expected):
    _, client = served
    body = post_update(client, updates.message(507, text)).get_json()
    assert expected in body["text"]


def test_a_photo_outside_a_flow_gets_the_hint(served):
    _, client = served
    body = post_update(client, updates.photo(508, "f")).get_json()
    assert "Напишите, что создать, или выберите раздел" in body["text"]
    assert "gen:k:image" in json.dumps(body["reply_markup"])


def test_a_stale_callback_gets_a_friendly_answer(served):
    _, client = served
    body = post_update(client, updates.callback(509, "gone:123")).get_json()
    assert body["method"] == "answerCallbackQuery"
    assert "устарела" in body["text"]


def test_a_second_reply_sends_the_held_one_first_keeping_order(served, bot_api):
    app, client = served

    def chatty(ctx, _args):
        ctx.reply("first")
        ctx.reply("second")

    app.router.command("chatty", chatty)
    response = post_update(client, updates.message(510, "/chatty"))
    assert response.status_code == 200 and response.data == b""
    assert [c["text"] for c in bot_api.calls_to("sendMessage")] == ["first", "second"]


METRICS_TOKEN = "webhook-test-metrics-token"
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def operated(db_settings, bot_api):
    app, client = make_app(db_settings, bot_api, METRICS_TOKEN=METRICS_TOKEN)
    yield app, client
    app.close()


def test_healthz_and_readyz(operated):
    app, client = operated
    assert client.get("/healthz").status_code == 200
    public = client.get("/readyz")
    assert public.status_code == 200 and public.get_json() == {"status": "ready"}
    ready = client.get("/readyz", headers=OPERATOR)
    assert ready.status_code == 200
    assert ready.get_json()["database"] == "ok"
    assert ready.get_json()["plugins"]["projects"]["state"] == "enabled"


def test_readyz_is_503_without_the_users_table(operated):
    app, client = operated
    app.db.execute("DROP TABLE users CASCADE")
    public = client.get("/readyz")
    assert public.status_code == 503 and public.get_json() == {"status": "unavailable"}
    ready = client.get("/readyz", headers=OPERATOR)
    assert ready.status_code == 503
    assert "users" in ready.get_json()["schema"]["missing"]


def test_metrics_answer_only_the_bearer_of_the_token(operated):
    _, client = operated
    for headers in ({}, {"Authorization": "Bearer not-the-metrics-token"},
                    {"Authorization": f"Basic {METRICS_TOKEN}"}, {"Authorization": METRICS_TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert METRICS_TOKEN not in refused.get_data(as_text=True)
    scraped = client.get("/metrics", headers=OPERATOR)
    assert scraped.status_code == 200
    assert 'genbot_plugin_state{plugin="projects",state="enabled"} 1.0' in scraped.get_data(as_text=True)


def test_without_a_metrics_token_there_are_no_metrics_nor_details(served):
    _, client = served
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/readyz", headers={"Authorization": "Bearer "}).get_json() == {"status": "ready"}


def test_unknown_paths_and_methods_answer_json(served):
    _, client = served
    assert client.get("/nope").status_code == 404
    assert client.get("/webhook").status_code == 405


def test_each_update_costs_one_statement_new_or_cached_user(db_settings, bot_api):
    app, client = make_app(db_settings, bot_api)
    other_worker, other_client = make_app(db_settings, bot_api)  # its own, empty user cache
    try:
        before = app.db.queries
        post_update(client, updates.message(520, "/start", first_name="Новая"))
        assert app.db.queries - before == 1  # claim + user + balance row in one statement
        post_update(client, updates.message(520, "/start", first_name="Новая"))
        assert app.db.queries - before == 2  # cached: the claim alone
        before = other_worker.db.queries
        post_update(other_client, updates.message(520, "/start", first_name="Другая"))
        assert other_worker.db.queries - before == 1
        assert app.db.fetch_one("SELECT first_name FROM users WHERE user_id = 520") == ("Другая",)
        assert app.db.fetch_one("SELECT count(*) FROM balances WHERE user_id = 520") == (1,)
    finally:
        app.close()
        other_worker.close()


def test_a_repeated_update_from_a_new_sender_writes_nothing_twice(served):
    app, client = served
    update = updates.message(521, "/start")
    post_update(client, update)
    app.user_cache.forget()
    assert post_update(client, update).data == b""
    assert app.db.fetch_one("SELECT count(*) FROM users WHERE user_id = 521") == (1,)


def test_log_lines_carry_update_user_and_request_ids(served, caplog):
    app, client = served

    def noisy(ctx, _args):
        import logging
        logging.getLogger("genbot.test").warning("handled")

    app.router.command("noisy", noisy)
    from core.logs import ContextFields
    caplog.handler.addFilter(ContextFields())
    post_update(client, updates.message(530, "/noisy", update_id=777_001))
    record = next(r for r in caplog.records if r.getMessage() == "handled")
    assert (record.update_id, record.user_id) == (777_001, 530)
    assert record.request_id not in ("-", None)
