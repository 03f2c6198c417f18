"""The plugin contract beyond imports: buttons plugins offer are genbot's own
``InlineButton`` (the previous release's pyTelegramBotAPI buttons still pass through),
and plugins publish hooks of their own (``plugin_hookspecs``) that others implement —
the payments plugin's ``payment_credited``, which referrals hears, among them."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from core.host.plugin_host import DISABLED, ENABLED, FAILED, PluginHost
from genbot import InlineButton
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, texts
from plugins.payments.credit import credit_payment
from tests.support.flows import generate, reply_markup
from tests.support.plugins import offering, payment_listener, subscriber

USER = 4100


def keyboard(params: dict) -> list[list[dict]]:
    return reply_markup(params).get("inline_keyboard", [])


def load(tmp_path: Path, *modules: str, **env) -> PluginHost:
    return PluginHost(tmp_path / "plugins.toml", env=env).load(
        extra=tuple(f"tests.support.plugins.{m}" for m in modules))


def states(host: PluginHost) -> dict[str, tuple[str, str]]:
    return {name: (p.state, p.reason) for name, p in host.plugins.items()}


# -- InlineButton ---------------------------------------------------------------------------

def test_an_inline_button_packs_its_button_data_and_needs_exactly_one_target():
    assert InlineButton("⭐", offering.Rate(7)).callback_data == "rate:7:5"
    assert InlineButton("⭐", "rate:7:5") == InlineButton("⭐", offering.Rate(7))
    assert InlineButton("🔗", url="https://x.example/").callback_data is None
    for bad in ({}, {"data": "a", "url": "https://x.example/"}, {"data": ""}, {"data": "x" * 65},
                {"data": offering.Rate(7, stars=10 ** 60)}):
        with pytest.raises(ValueError):
            InlineButton("⭐", **bad)
    with pytest.raises(ValueError):
        InlineButton("", "rate:1")


def test_result_buttons_reach_telegram_as_callback_data_and_urls(db_settings, bot_api, tmp_path, caplog):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, extra_plugins=(
        "tests.support.plugins.offering",), JOB_WORKERS="1", plugins_toml="[demo]\ndelay_s = 0.05\n")
    app.start_workers()
    try:
        caplog.set_level(logging.ERROR)
        generate(lambda update: exchange(client, bot_api, update), USER, "demo-image", "кот", ("choice", 0))
        [photo] = bot_api.wait_for("sendPhoto", chat_id=USER)
        job_id = app.db.fetch_one("SELECT id FROM generation_jobs WHERE user_id = %s", (USER,))[0]
        rows = keyboard(photo)
        # each plugin button a row of its own, between the core's first and last
        assert rows[0] == [{"text": "🔁 Повторить", "callback_data": f"gen:r:{job_id}"}]
        assert rows[1:4] == [[{"text": "⭐ Оценить", "callback_data": f"rate:{job_id}:5"}],
                             [{"text": "🔗 Галерея", "url": f"https://gallery.example/jobs/{job_id}"}],
                             [{"text": "📜 Старая кнопка", "callback_data": f"old:{job_id}"}]]
        assert rows[-1][0]["text"] == "🏠 Меню" and len(rows) == 5
        assert ("plugin offering: hook result_buttons returned '💩 не кнопка', not a "
                "genbot.InlineButton; left out") in caplog.text
    finally:
        app.close()


def test_topup_buttons_of_payments_and_of_a_plugin_reach_the_balance(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           extra_plugins=("tests.support.plugins.offering",))
    try:
        [balance] = exchange(client, bot_api, updates.message(USER, "💰 Баланс"))
        assert keyboard(balance)[:3] == [
            [{"text": "💳 Пополнить", "callback_data": "pay:menu"}],  # payments' InlineButton
            [{"text": "🏦 Оплата на сайте", "url": f"https://pay.example/u/{USER}"}],
            [{"text": "📜 Старое пополнение", "callback_data": "oldpay"}]]
    finally:
        app.close()


# -- hooks plugins publish ------------------------------------------------------------------

def test_a_plugin_implements_a_hook_another_publishes_and_is_called_with_its_arguments(
        db_settings, bot_api, tmp_path):
    subscriber.heard.clear()
    # the subscriber loads first: the publisher's hooks are known before either registers
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, extra_plugins=(
        "tests.support.plugins.subscriber", "tests.support.plugins.publisher"))
    try:
        plugins = app.plugins.plugins
        assert (plugins["subscriber"].state, plugins["publisher"].state) == (ENABLED, ENABLED)
        assert plugins["publisher"].publishes == ["note_saved", "note_title"]
        assert plugins["subscriber"].hooks == ["note_saved", "note_title", "plugin_settings"]
        assert texts(exchange(client, bot_api, updates.message(USER, "/jot купить хлеб"))) == [
            "📝 КУПИТЬ ХЛЕБ"]  # firstresult: the subscriber's title
        assert subscriber.heard == [(USER, "купить хлеб", {"tag": "sub"})]
        assert {"name": "publisher", "publishes": ["note_saved", "note_title"]}.items() <= \
            next(p for p in app.plugins.as_json() if p["name"] == "publisher").items()
    finally:
        app.close()


def test_another_plugins_hook_is_checked_like_genbots(tmp_path):
    host = load(tmp_path, "subscriber_typo", "subscriber_wrong_argument", "publisher")
    found = states(host)
    assert found["publisher"] == (ENABLED, "")
    assert found["subscriber_typo"] == (FAILED, "'note_saves' is not a genbot hook; did you mean 'note_saved'?")
    state, reason = found["subscriber_wrong_argument"]
    assert state == FAILED and "note_saved" in reason and "mood" in reason
    # genbot's own hooks are still checked as before
    assert states(load(tmp_path, "misspelled"))["misspelled"] == (
        FAILED, "'menu_button' is not a genbot hook; did you mean 'menu_buttons'?")


def test_without_its_publisher_a_plain_implementation_is_a_typo(tmp_path):
    assert states(load(tmp_path, "subscriber"))["subscriber"] == (FAILED, "'note_saved' is not a genbot hook")


def test_a_plugin_publishing_a_name_genbot_has_fails_and_nothing_else_does(tmp_path):
    host = load(tmp_path, "clashing_publisher")
    assert states(host)["clashing_publisher"] == (
        FAILED, "plugin_hookspecs raised ValueError: hook 'menu_buttons' is genbot's already")
    assert {p.state for n, p in host.plugins.items() if n != "clashing_publisher"} == {ENABLED}


# -- the payments plugin's hooks ------------------------------------------------------------

def test_payments_publishes_its_events_and_referrals_and_an_old_plugin_hear_them(
        db_settings, bot_api, tmp_path):
    payment_listener.heard.clear()
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           extra_plugins=("tests.support.plugins.payment_listener",))
    try:
        assert app.plugins.plugins["payments"].publishes == ["payment_credited", "payment_refunded"]
        assert app.plugins.plugins["payment_listener"].state == ENABLED
        exchange(client, bot_api, updates.message(4200, "/start"))
        exchange(client, bot_api, updates.message(4201, "/start ref_4200"))
        credit_payment(app, source="provider", external_id="hooks-1", user_id=4201,
                       amount_rub=Decimal("200.00"))
        assert app.balances.get(4200) == Decimal("20.00")  # the referrer's 10 %
        [payment] = payment_listener.heard
        assert (payment.external_id, payment.user_id, payment.amount_rub, payment.status) == (
            "hooks-1", 4201, Decimal("200.00"), "credited")
    finally:
        app.close()


@pytest.mark.parametrize("toml,env,payments", [
    ("[payments]\nenabled = false\n", {}, DISABLED),
    ('[payments]\nstars_rub_per_star = "many"\n', {}, FAILED),  # fails after publishing
    ("", {"GENBOT_LOAD_PLUGINS": "referrals,payment_listener"}, None),  # never imported
])
def test_without_payments_its_listeners_still_load(tmp_path, toml, env, payments):
    (tmp_path / "plugins.toml").write_text(toml, encoding="utf-8")
    host = load(tmp_path, "payment_listener", **env)
    found = states(host)
    assert found.get("payments", (None,))[0] == payments
    assert found["referrals"] == (ENABLED, "") and found["payment_listener"] == (ENABLED, "")
