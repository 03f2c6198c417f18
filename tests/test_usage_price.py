"""A text model priced by usage: the catalog's words for it, the hold (the most the request
can cost), the capture (what the provider reports, never more than the hold) and the
rest released — one seeded random run over many usage figures through ``end_job``."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.bot.texts import language
from core.generation.catalog import CatalogError, parse_catalog
from core.generation.jobs import Ending
from core.generation.ordering import price_text
from genbot import GenerationOutput, Usage
from genbot.testing.app import make_app

USAGE_MODEL = '''
[[model]]
id = "chat"
title = "Чат"
category = "text"
provider = "demo"
usage_price = { input_per_1k_rub = "0.50", output_per_1k_rub = "1.50", max_tokens = 1000 }
timeout_s = 60
inputs = [{ name = "prompt", type = "text", label = "Вопрос", max_length = 2000 }]
'''


def test_the_hold_is_the_most_a_request_can_cost():
    model = parse_catalog(USAGE_MODEL).get("chat")
    assert not model.free and model.usage.max_tokens == 1000
    # 12 bytes of prompt + 100 tokens of framing at 0.50 ₽, 1000 tokens of answer at 1.50 ₽:
    # 0.056 + 1.5 = 1.556, rounded up to the kopeck.
    assert model.price_for({"prompt": "привет мир"}) == Decimal("1.56")
    # Listed at the most any prompt within max_length can hold (4 bytes a character).
    assert model.price_rub == model.usage.most_for(4 * 2000) == Decimal("5.55")
    assert model.usage.charge(Usage(100, 200), Decimal("1.56")) == Decimal("0.35")
    assert model.usage.charge(Usage(10**6, 10**6), Decimal("1.56")) == Decimal("1.56")
    assert model.usage.charge(None, Decimal("1.56")) == Decimal("1.56")


@pytest.mark.parametrize("old,new,message", [
    ("usage_price =", 'price_rub = "3.00"\nusage_price =', "either 'price_rub' or 'usage_price'"),
    ('category = "text"', 'category = "image"', "for text models only"),
    ('usage_price = { input_per_1k_rub = "0.50", output_per_1k_rub = "1.50", max_tokens = 1000 }',
     'usage_price = "cheap"', "usage_price must be a table"),
])
def test_a_wrong_usage_price_names_the_model_and_the_field(old, new, message):
    with pytest.raises(CatalogError, match=message):
        parse_catalog(USAGE_MODEL.replace(old, new, 1))


@pytest.mark.parametrize("table,message", [
    ('{ input_per_1k_rub = 0.5, output_per_1k_rub = "1", max_tokens = 10 }', "input_per_1k_rub"),
    ('{ input_per_1k_rub = "0", output_per_1k_rub = "0", max_tokens = 10 }', "both prices are 0"),
    ('{ input_per_1k_rub = "1", output_per_1k_rub = "1", max_tokens = 0 }', "max_tokens"),
    ('{ input_per_1k_rub = "1", output_per_1k_rub = "-1", max_tokens = 5 }', "output_per_1k_rub"),
    ('{ input_per_1k_rub = "1", output_per_1k_rub = "1", max_tokens = 5, tip = 1 }', "unknown field"),
])
def test_usage_price_fields_are_checked(table, message):
    text = USAGE_MODEL.replace(
        '{ input_per_1k_rub = "0.50", output_per_1k_rub = "1.50", max_tokens = 1000 }', table)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(text)


def test_a_photo_input_cannot_be_priced_by_usage():
    text = USAGE_MODEL.replace('inputs = [', 'inputs = [{ name = "photo", type = "image", label = "Фото" },')
    with pytest.raises(CatalogError, match="text inputs only"):
        parse_catalog(text)


@pytest.fixture
def app(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(USAGE_MODEL, encoding="utf-8")
    app, _client = make_app(db_settings, bot_api, CATALOG_FILE=str(catalog), BOT_API_RATE="0")
    yield app
    app.close()


@pytest.mark.parametrize("seed", [7, 2026])
def test_a_random_run_never_charges_more_than_the_hold(app, seed):
    rng = random.Random(seed)
    model = app.catalog.get("chat")
    start = Decimal("10000.00")
    user = 9000 + seed
    app.balances.credit(user, str(start))
    charged = Decimal("0")
    for i in range(150):
        prompt = "я" * rng.randint(1, 2000)
        with app.db.transaction() as tx:
            job_id, _ = app.jobs.create(tx, user_id=user, chat_id=user, model=model,
                                        inputs={"prompt": prompt}, draft_key=f"{user}:{i}")
        hold = model.price_for({"prompt": prompt})
        assert app.balances.summary(user) == (start - charged - hold, hold)
        assert app.jobs.claim("random-run").id == job_id
        usage = rng.choice([None, Usage(rng.randint(0, 5000), rng.randint(0, 3000)),
                            Usage(0, 0), Usage(10**7, 10**7)])
        job = app.lifecycle.end(job_id, Ending.succeeded(GenerationOutput("text", text="ответ", usage=usage)),
                                deadline_s=0.5)
        cost = hold if usage is None else model.usage.cost(usage.input_tokens, usage.output_tokens)
        assert job.price_rub == min(cost, hold) <= hold
        charged += job.price_rub
        assert app.balances.summary(user) == (start - charged, Decimal("0"))
    deductions = app.db.fetch_one("SELECT COALESCE(-SUM(amount_rub), 0) FROM payment_transactions "
                                  "WHERE user_id = %s AND type = 'deduction'", (user,))[0]
    assert deductions == charged
    assert ledger_differences(app.db) == []


def test_the_price_is_told_as_the_most_it_can_cost():
    model = parse_catalog(USAGE_MODEL).get("chat")
    with language("ru"):
        assert price_text(model) == "по токенам, до 5,55 ₽"  # in the list of models
        assert price_text(model, {"prompt": "привет мир"}) == "до 1,56 ₽"  # on the confirm screen
    with language("en"):
        assert price_text(model, {"prompt": "hello"}) == "up to 1.56 ₽"
