"""Bad-input drill: generated updates and callback bodies never cause a 500 or move money."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genbot.testing.app import SECRET, make_app
from plugins.payments.callback import signature_of

pytestmark = pytest.mark.drill
CALLBACK_SECRET = "fuzz-secret"

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from(
    ["/start", "/start ref_1", "💰 Баланс", "🖼 Изображения", "\u202e\u200b", "x" * 5000,
     "'; DROP TABLE users; --", "/adjust 1 +1000000 x"])
ids = st.integers(min_value=-(2**63), max_value=2**64) | st.sampled_from(
    [0, 1, 2**31, 2**63 - 1, 2**63, 2**64, -1])
scalars = st.none() | st.booleans() | ids | st.floats(allow_nan=True) | texts
users = st.fixed_dictionaries({"id": ids}, optional={
    "is_bot": st.booleans(), "first_name": scalars, "username": scalars, "last_name": scalars})
chats = st.fixed_dictionaries({"id": ids}, optional={"type": st.sampled_from(["private", "group", 5])})
messages = st.fixed_dictionaries({}, optional={
    "message_id": ids, "date": ids, "chat": chats | scalars, "from": users | scalars, "text": scalars,
    "photo": st.lists(st.fixed_dictionaries({"file_id": texts}), max_size=2) | scalars,
    "successful_payment": st.fixed_dictionaries({"currency": texts, "total_amount": ids}) | scalars})
callbacks = st.fixed_dictionaries({}, optional={
    "id": scalars, "from": users | scalars, "data": texts | scalars, "chat_instance": scalars,
    "message": messages | scalars})
update_bodies = st.fixed_dictionaries({"update_id": ids | scalars}, optional={
    "message": messages | scalars, "callback_query": callbacks | scalars,
    "pre_checkout_query": st.fixed_dictionaries({"id": scalars, "from": users | scalars,
                                                 "currency": scalars, "total_amount": scalars,
                                                 "invoice_payload": scalars}) | scalars})
callback_bodies = st.fixed_dictionaries({}, optional={
    "payment_id": scalars, "user_id": scalars, "amount_rub": scalars | st.sampled_from(
        ["NaN", "1e309", "-1", "0", "99999999999", "1.001", " 5 ", "١٠"]),
    "status": scalars | st.sampled_from(["succeeded", "pending", "weird"])})


@pytest.fixture(scope="module")
def served(pg, bot_api, tmp_path_factory):
    from genbot.testing.postgres import TEMPLATE
    database = pg.create(template=TEMPLATE)
    app, client = make_app(database, bot_api, tmp_path=tmp_path_factory.mktemp("fuzz"),
                           PAYMENT_CALLBACK_SECRET=CALLBACK_SECRET, ADMIN_IDS="1")
    yield app, client
    app.close()
    pg.drop(database.dbname)


@pytest.fixture(scope="module")
def bot_api():
    from genbot.testing.bot_api import BotApiStandIn
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()


def money(app):
    return app.db.fetch_one("SELECT COALESCE(SUM(balance_rub), 0), (SELECT COUNT(*) FROM payment_transactions) "
                            "FROM balances")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=update_bodies)
def test_generated_updates_never_500(served, body):
    app, client = served
    before = money(app)
    response = client.post("/webhook", data=json.dumps(body, default=str),
                           content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code in (200, 400)
    assert money(app) == before  # no update of a user can move money by itself


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=callback_bodies, sign=st.booleans())
def test_generated_callbacks_never_500_and_only_valid_ones_credit(served, body, sign):
    app, client = served
    raw = json.dumps(body, default=str).encode()
    before = money(app)
    headers = {"X-Signature": signature_of(CALLBACK_SECRET, raw)} if sign else {}
    response = client.post("/payments/callback", data=raw, headers=headers)
    assert response.status_code in (200, 400, 403)
    valid = (sign and isinstance(body.get("payment_id"), str) and type(body.get("user_id")) is int
             and body.get("status") == "succeeded" and response.status_code == 200
             and response.get_json().get("credited"))
    if not valid:
        assert money(app) == before
    else:
        assert money(app)[0] - before[0] == Decimal(body["amount_rub"])


@pytest.mark.parametrize("update_id", [2**63, 2**64, -1])
def test_update_ids_beyond_bigint_are_400(served, update_id):
    _, client = served
    response = client.post("/webhook", json={"update_id": update_id},
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400
