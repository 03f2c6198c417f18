"""The openai provider against the OpenAI stand-in over HTTP: the shared contract, a text
answer streamed into one Telegram message and charged by usage, an image drawn and a
user's photo edited, a refused key, and the bot with no provider configured."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from core.generation.catalog import parse_catalog
from core.generation.jobs import Ending
from core.host.plugin_host import FAILED, PluginHost
from genbot.testing import updates
from genbot.testing.app import Bot, inline_buttons
from genbot.testing.conformance import ProviderConformance, Scenario
from genbot.testing.postgres import url_for
from genbot.testing.waiting import wait_until
from plugins.providers import openai
from tests.support.flows import answer, confirm_token, http_sender, order
from tests.support.openai_standin import WORDS, OpenAIStandIn, token
from tests.support.serve import ServeProcess, base_env, openai_env, run_cli

USER = 6100
START = Decimal("500.00")
CATALOG = '''
[[model]]
id = "chat"
title = "Чат"
category = "text"
provider = "openai"
provider_model = "gpt-4o-mini"
usage_price = { input_per_1k_rub = "1.00", output_per_1k_rub = "2.00", max_tokens = 1500 }
timeout_s = 60
inputs = [{ name = "prompt", type = "text", label = "Ваш вопрос", max_length = 2000 }]

[[model]]
id = "flat-chat"
title = "Чат по цене"
category = "text"
price_rub = "3.00"
provider = "openai"
provider_model = "gpt-4o-mini"
timeout_s = 60
inputs = [{ name = "prompt", type = "text", label = "Ваш вопрос" }]

[[model]]
id = "picture"
title = "Картинка"
category = "image"
price_rub = "20.00"
provider = "openai"
provider_model = "gpt-image-1"
timeout_s = 60
inputs = [
  { name = "image", type = "image", label = "Фото или «Пропустить»", optional = true },
  { name = "prompt", type = "text", label = "Что нарисовать?" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"], default = "1:1" },
]

[[model]]
id = "sketch"
title = "Набросок"
category = "image"
price_rub = "0"
provider = "demo"
timeout_s = 30
inputs = [{ name = "prompt", type = "text", label = "Опишите" }]
'''
MODELS = parse_catalog(CATALOG)


def settings_for(standin, **extra) -> dict:
    return {**openai.plugin_settings(), "api_key": standin.key, "base_url": standin.url,
            "max_retries": 2, "request_timeout_s": 10.0, **extra}


def toml_for(standin, key: str | None = None) -> str:
    return f'[openai]\napi_key = "{key or standin.key}"\nbase_url = "{standin.url}"\nmax_retries = 2\n'


@pytest.fixture
def standin():
    standin = OpenAIStandIn().start()
    yield standin
    standin.stop()


# -- the shared contract ----------------------------------------------------------------------

class TestOpenAIConformance(ProviderConformance):
    @pytest.fixture(params=["chat", "picture"])
    def scenario(self, standin, request):
        model = MODELS.get(request.param)
        route = "chat" if model.category == "text" else "images"

        def make(behaviour):
            if behaviour == "fail":
                standin.refuse(route, 400)
            elif behaviour == "hang":
                standin.lag_s = 3600
            elif behaviour in ("busy", "down"):
                standin.refuse(route, 429 if behaviour == "busy" else 500)
            provider = openai.OpenAIProvider(settings_for(standin), lambda file_id: (b"", "image/jpeg"))
            return Scenario(provider, model, {"prompt": "расскажи о море", "aspect_ratio": "3:2"})

        return make


def test_a_stream_is_read_as_it_comes_and_its_usage_reported(standin):
    standin.answer_tokens = 40
    model = MODELS.get("chat")
    case = Scenario(openai.OpenAIProvider(settings_for(standin), None), model, {"prompt": "о море"})
    output = case.generate()
    assert output.text == "".join(token(i) for i in range(40)).strip()
    assert len(case.streamed) == 40  # every token passed on: the core decides what to show
    assert (output.usage.input_tokens, output.usage.output_tokens) == (12, 40)
    [call] = standin.requests_to("/v1/chat/completions")
    body = call.json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 1500  # the hold covers exactly this much answer
    assert body["messages"] == [{"role": "user", "content": "о море"}]


def test_a_429_waits_as_long_as_retry_after_says(standin):
    standin.refuse("chat", 429)
    case = Scenario(openai.OpenAIProvider(settings_for(standin), None), MODELS.get("flat-chat"),
                    {"prompt": "привет"})
    case.generate()
    first, second = standin.requests_to("/v1/chat/completions")
    assert second.at - first.at >= 0.95  # retry-after: 1


# -- through the bot ----------------------------------------------------------------------------

@pytest.fixture
def bot(db_settings, bot_api, tmp_path, standin):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    bot = Bot(db_settings, bot_api, plugins_toml=toml_for(standin), tmp_path=tmp_path,
              CATALOG_FILE=str(catalog), JOB_HEARTBEAT="0.2", BOT_API_RATE="0")
    bot.app.start_workers()
    bot.app.balances.credit(USER, str(START))
    bot_api.add_file("ph-1", b"\xff\xd8\xff\xe0 a user's photo")
    yield bot
    bot.close()


def finished_job(bot, after: int = 0):
    """The user's last job (newer than job ``after``) once the user has been told."""
    row = wait_until(lambda: bot.app.db.fetch_one(
        "SELECT id FROM generation_jobs WHERE user_id = %s AND notified AND id > %s "
        "ORDER BY id DESC LIMIT 1", (USER, after)), 30, "the job was not told")
    return bot.app.jobs.get(row[0])


def test_a_text_answer_streams_into_one_message_and_is_charged_for_its_usage(bot, bot_api, standin):
    standin.answer_tokens, standin.tokens_per_s = 300, 100.0  # 3 s of writing
    standin.prompt_tokens = 400
    confirm = answer(bot.send, USER, "chat", "Расскажи про море")
    bot.tap(USER, f"gen:go:{confirm_token(confirm)}")
    # Before confirming: the most it can cost — 34 bytes of prompt, 16 of the chat's framing
    # and 100 overhead tokens at 1 ₽ per 1000, and 1500 tokens of answer at 2 ₽ per 1000.
    assert "до 3,15 ₽" in confirm[-1]["text"]
    job = finished_job(bot)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    answer_text = "".join(token(i) for i in range(300)).strip()
    assert job.result["text"] == answer_text
    # Charged what was used: 400 tokens asked (0.40 ₽) + 300 answered (0.60 ₽).
    assert job.price_rub == Decimal("1.00")
    assert bot.app.balances.summary(USER) == (START - Decimal("1.00"), Decimal("0"))
    assert ledger_differences(bot.app.db) == []
    edits = [p for p in bot_api.calls_to("editMessageText", USER)
             if str(p["message_id"]) == str(job.progress_message_id)]
    streamed = [e["text"] for e in edits if e["text"].startswith(token(0).strip())]
    assert len(streamed) >= 3, streamed  # the answer grew before the user's eyes
    assert all(b.startswith(a) for a, b in zip(streamed[:-1], streamed[1:-1], strict=False))
    final = streamed[-1]
    assert final.startswith(answer_text) and "Списано 1 ₽" in final
    assert "gen:r:" in json.dumps(edits[-1]["reply_markup"])  # the result's buttons
    # ...in one message: no other message carries the answer.
    assert not [p for p in bot_api.calls_to("sendMessage", USER) if token(0).strip() in p["text"]]
    # Within Telegram's pace for a chat: about one edit a second while it was written.
    times = [at for (method, params), at in zip(bot_api.calls, bot_api.call_times, strict=True)
             if method == "editMessageText" and str(params.get("message_id")) == str(job.progress_message_id)
             and params["text"].startswith(token(0).strip())]
    assert all(b - a >= 0.9 for a, b in zip(times[:-2], times[1:-1], strict=False)), times


def test_an_answer_longer_than_a_message_goes_on_in_the_next(bot, bot_api, standin):
    standin.answer_tokens, standin.tokens_per_s = 1100, 2000.0  # about 8,000 characters
    order(bot.send, USER, "flat-chat", "Напиши длинный рассказ")
    job = finished_job(bot)
    assert job.status == "succeeded"
    wait_until(lambda: len(bot_api.calls_to("sendMessage", USER)) >= 1)
    pages = [p for p in bot_api.calls_to("sendMessage", USER) if token(0).strip() in p["text"]
             or "море" in p["text"]]
    assert pages and all(len(p["text"]) <= 4096 for p in pages)
    last_edit = {}
    for params in bot_api.calls_to("editMessageText", USER):
        last_edit[str(params["message_id"])] = params["text"]
    for page in pages:  # each page as it was last shown
        last_edit.setdefault(str(page.get("message_id", "")), page["text"])
    shown = [last_edit[str(job.progress_message_id)]] + [
        last_edit.get(str(m), "") for m in sorted(set(last_edit) - {str(job.progress_message_id)})]
    assert all(len(text) <= 4096 for text in shown)
    assert " ".join(t.strip() for t in shown).startswith(job.result["text"][:4000])
    assert ledger_differences(bot.app.db) == []


def test_an_image_is_drawn_and_a_users_photo_edited(bot, bot_api, standin):
    order(bot.send, USER, "picture", ("skip",), "кот в космосе", ("choice", 1))
    job = finished_job(bot)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    [generation] = standin.requests_to("/v1/images/generations")
    assert generation.json() == {"model": "gpt-image-1", "prompt": "кот в космосе", "size": "1536x1024"}
    bot_api.wait_for("sendPhoto", 1, USER)

    order(bot.send, USER, "picture", ("photo", "ph-1"), "сделай фон синим", ("choice", 0))
    edited = finished_job(bot, after=job.id)
    assert edited.status == "succeeded", (edited.error_code, edited.error_message)
    [edit] = standin.edits()
    assert edit["image"] == ("image/jpeg", b"\xff\xd8\xff\xe0 a user's photo")
    assert (edit["prompt"], edit["size"], edit["model"]) == ("сделай фон синим", "1024x1024", "gpt-image-1")
    bot_api.wait_for("sendPhoto", 2, USER)
    assert bot.app.balances.summary(USER) == (START - Decimal("40.00"), Decimal("0"))
    assert ledger_differences(bot.app.db) == []


def expected_charge(model, prompt: str, shown: str) -> Decimal:
    """What a cancel after ``shown`` costs, counted here by hand: four bytes a token of
    everything sent and of the answer read, at the model's prices, kopecks rounded up."""
    usage = model.usage
    sent_tokens = -(-(len(prompt.encode()) + usage.overhead_tokens + usage.provider_overhead) // 4)
    read_tokens = -(-len(shown.encode()) // 4)
    raw = (sent_tokens * usage.input_per_1k + read_tokens * usage.output_per_1k) / 1000
    return min(raw.quantize(Decimal("0.01"), rounding="ROUND_CEILING"), model.price_for({"prompt": prompt}))


def test_a_stream_cancelled_after_most_of_it_was_shown_is_charged_for_what_was_shown(bot, bot_api, standin):
    standin.answer_tokens, standin.tokens_per_s = 400, 60.0
    order(bot.send, USER, "chat", "Расскажи всё")
    job_id = wait_until(lambda: bot.app.db.fetch_one(
        "SELECT id FROM generation_jobs WHERE user_id = %s AND status = 'running'", (USER,)))[0]
    message_id = wait_until(lambda: bot.app.jobs.progress_message(job_id))
    # The user reads 300 of the 400 words, then presses ⛔.
    wait_until(lambda: len((bot.app.jobs.get(job_id).partial_output or {}).get("text", "").split()) >= 300, 30)
    bot.send(updates.callback(USER, f"gen:cancel:{job_id}", message_id=message_id))
    job = finished_job(bot)
    shown = job.result["text"]
    assert job.status == "cancelled" and 300 <= len(shown.split()) < 400 and is_answer(shown)
    charged = expected_charge(bot.app.offer.catalog.get("chat"), "Расскажи всё", shown)
    assert job.price_rub == charged > 0
    assert bot.app.balances.summary(USER) == (START - charged, Decimal("0"))
    assert ledger_differences(bot.app.db) == []
    wait_until(lambda: standin.abandoned == 1, 10, "the stream was not closed")  # the model stops
    # What was read stays on screen, with what it cost.
    last = [p for p in bot_api.calls_to("editMessageText", USER) if str(p["message_id"]) == str(message_id)][-1]
    assert last["text"].startswith(shown[:100]) and "ответ остановлен" in last["text"]
    assert f"Списано {str(charged).replace('.', ',')} ₽" in last["text"]


def test_a_stream_cancelled_before_its_first_word_costs_nothing(bot, bot_api, standin):
    standin.lag_s = 30  # the service takes its time to start
    order(bot.send, USER, "chat", "Расскажи всё")
    job_id = wait_until(lambda: bot.app.db.fetch_one(
        "SELECT id FROM generation_jobs WHERE user_id = %s AND status = 'running'", (USER,)))[0]
    message_id = wait_until(lambda: bot.app.jobs.progress_message(job_id))
    bot.send(updates.callback(USER, f"gen:cancel:{job_id}", message_id=message_id))
    job = finished_job(bot)
    assert job.status == "cancelled" and job.result is None
    assert bot.app.balances.summary(USER) == (START, Decimal("0"))
    assert ledger_differences(bot.app.db) == []
    last = [p for p in bot_api.calls_to("editMessageText", USER) if str(p["message_id"]) == str(message_id)][-1]
    assert "генерация отменена. Деньги не списаны" in last["text"]


@pytest.fixture
def served(request, db_settings, bot_api, tmp_path, standin):
    """`run.py serve` (gunicorn, ``request.param`` worker processes, 1 by default) with the
    openai provider on the stand-in; the user START roubles richer. (server, db, ask)."""
    server = ServeProcess(openai_env(db_settings, bot_api, tmp_path, standin, CATALOG,
                                     WEB_CONCURRENCY=getattr(request, "param", 1)), cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)
    server.wait_ready()
    Balances(db, UserCache()).credit(USER, str(START))
    send = http_sender(server.url, bot_api)

    def ask(question: str) -> None:
        order(send, USER, "chat", question)

    yield server, db, send, ask
    server.stop()
    db.close()


@pytest.mark.slow
def test_through_a_served_bot_the_answer_streams_over_http(served, bot_api, standin):
    """The same, as deployed: `genbot serve` (gunicorn) talking HTTP to both stand-ins."""
    _server, db, _send, ask = served
    standin.answer_tokens, standin.tokens_per_s = 250, 100.0
    ask("Расскажи про море")
    job_id, message_id, price, text = wait_until(lambda: db.fetch_one(
        "SELECT id, progress_message_id, price_rub, result->>'text' FROM generation_jobs "
        "WHERE user_id = %s AND notified", (USER,)), 30, "the answer was not delivered")
    assert text == "".join(token(i) for i in range(250)).strip()
    streamed = [p["text"] for p in bot_api.calls_to("editMessageText", USER)
                if str(p["message_id"]) == str(message_id) and p["text"].startswith(token(0).strip())]
    assert len(streamed) >= 3 and streamed[-1].startswith(text) and "Списано" in streamed[-1]
    assert Balances(db, UserCache()).summary(USER) == (START - price, Decimal("0")) and price < Decimal("3.14")
    assert ledger_differences(db) == []


@pytest.mark.slow
@pytest.mark.parametrize("served", [2], indirect=True)
def test_a_served_stream_cancelled_from_either_process_charges_for_what_was_shown(served, standin):
    """Two gunicorn workers: the ⛔ lands on whichever process; what the user read, kept
    with the job after each edit, is what is charged."""
    _server, db, send, ask = served
    standin.answer_tokens, standin.tokens_per_s = 400, 40.0
    ask("Расскажи всё")
    job_id, message_id, _read = wait_until(lambda: db.fetch_one(
        "SELECT id, progress_message_id, partial_output->>'text' FROM generation_jobs WHERE "
        "array_length(regexp_split_to_array(partial_output->>'text', ' '), 1) >= 250"), 30,
        "the answer did not get far")
    send(updates.callback(USER, f"gen:cancel:{job_id}", message_id=message_id))
    status, price, shown = wait_until(lambda: db.fetch_one(
        "SELECT status, price_rub, result->>'text' FROM generation_jobs WHERE notified"), 30)
    assert status == "cancelled" and 250 <= len(shown.split()) < 400
    model = parse_catalog(CATALOG).get("chat").with_provider_overhead(
        openai.OpenAIProvider.request_overhead(parse_catalog(CATALOG).get("chat")))
    assert price == expected_charge(model, "Расскажи всё", shown) > 0
    assert Balances(db, UserCache()).summary(USER) == (START - price, Decimal("0"))
    assert ledger_differences(db) == []


def is_answer(text: str) -> bool:
    return set(text.split()) <= set(WORDS)


def test_a_cancel_from_another_process_mid_stream_takes_its_pages_away(bot, bot_api, standin):
    standin.answer_tokens, standin.tokens_per_s = 3000, 400.0  # a second page within 2 s
    order(bot.send, USER, "flat-chat", "Напиши длинный рассказ")
    wait_until(lambda: [p for p in bot_api.calls_to("sendMessage", USER) if is_answer(p["text"])], 20)
    job_id = bot.app.db.fetch_one("SELECT id FROM generation_jobs WHERE user_id = %s", (USER,))[0]
    # Another process's ⛔: the job ends in the database; this process only sees it there.
    assert bot.app.jobs.settle(job_id, Ending.cancelled()) is not None
    wait_until(lambda: standin.abandoned == 1, 10, "the stream went on")
    job = bot.app.jobs.get(job_id)
    # A fixed price, and the answer had begun: the price is charged.
    assert job.status == "cancelled" and bot.app.balances.summary(USER) == (START - Decimal("3.00"), Decimal("0"))
    later_pages = [p for p in bot_api.calls_to("sendMessage", USER) if is_answer(p["text"])]
    deleted = wait_until(lambda: bot_api.calls_to("deleteMessage", USER))
    assert len(deleted) == len(later_pages) >= 1  # every later page is gone...
    assert str(job.progress_message_id) not in {str(d["message_id"]) for d in deleted}
    last = [p for p in bot_api.calls_to("editMessageText", USER)
            if str(p["message_id"]) == str(job.progress_message_id)][-1]
    # ...and the first keeps what it showed, saying the answer was stopped and what it cost.
    assert is_answer(last["text"].split("\n\n")[0].rstrip("…")) and "ответ остановлен. Списано 3 ₽" in last["text"]


# -- switching it on ---------------------------------------------------------------------------

def test_a_refused_key_fails_the_plugin_and_hides_its_models(db_settings, bot_api, tmp_path, standin,
                                                             caplog):
    path = tmp_path / "plugins.toml"
    path.write_text(toml_for(standin, key="sk-wrong"), encoding="utf-8")
    host = PluginHost(path).load()
    [entry] = [p for p in host.as_json() if p["name"] == "openai"]
    assert entry["state"] == FAILED
    assert "openai refused the key (401: Incorrect API key provided" in entry["reason"]
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    bot = Bot(db_settings, bot_api, plugins_toml=toml_for(standin, key="sk-wrong"), tmp_path=tmp_path,
              CATALOG_FILE=str(catalog))
    try:
        assert set(bot.app.offer.providers) == {"demo"}
        assert set(bot.app.offer.catalog.models) == {"sketch"}
        [hidden] = [r for r in caplog.records if "provider 'openai'" in r.getMessage()]
        assert hidden.levelname == "WARNING" and "3 model(s)" in hidden.getMessage()  # failed: warned
    finally:
        bot.close()


@pytest.mark.slow
def test_genbot_plugins_says_why_the_provider_failed(db_settings, tmp_path, standin):
    (tmp_path / "plugins.toml").write_text(toml_for(standin, key="sk-wrong"), encoding="utf-8")
    env = base_env(DATABASE_URL=url_for(db_settings), PLUGINS_FILE=str(tmp_path / "plugins.toml"))
    listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=env, cwd=tmp_path).stdout)}
    assert listed["openai"]["state"] == "failed"
    assert "openai refused the key (401: Incorrect API key provided" in listed["openai"]["reason"]
    assert listed["replicate"]["state"] == listed["fal"]["state"] == "enabled"  # no key: not offered
    table = run_cli("plugins", env=env, cwd=tmp_path).stdout
    assert "failed (bad setting in" in table and "1 failed" in table


def test_with_no_provider_configured_the_bot_offers_the_demo_alone(db_settings, bot_api, tmp_path):
    bot = Bot(db_settings, bot_api, tmp_path=tmp_path)  # the shipped catalog and plugins.toml
    try:
        assert set(bot.app.offer.providers) == {"demo"}
        shipped = bot.app.catalog.models.values()
        assert {m.provider for m in shipped} >= {"demo", "kie", "openai", "replicate", "fal"}
        assert {m.provider for m in bot.app.offer.catalog.models.values()} == {"demo"}
        offered = set()
        for category in ("image", "video", "audio", "text"):
            for message in bot.tap(USER, f"gen:k:{category}"):
                offered |= {data.split(":")[2] for data in inline_buttons(message).values()
                            if data and data.startswith("gen:m:")}
        assert offered and offered == {m.id for m in shipped if m.provider == "demo"}
    finally:
        bot.close()


# -- the hold covers the whole request ------------------------------------------------------

PROMPTED = '''
[[model]]
id = "guide"
title = "Гид"
category = "text"
provider = "openai"
provider_model = "gpt-4o-mini"
usage_price = { input_per_1k_rub = "1.00", output_per_1k_rub = "2.00", max_tokens = 1500 }
provider_options = { system = "SYSTEM" }
timeout_s = 60
inputs = [
  { name = "prompt", type = "text", label = "Ваш вопрос", max_length = 2000 },
  { name = "tone", type = "choice", label = "Каким тоном отвечать", choices = ["строго", "весело"] },
]
'''.replace("SYSTEM", ("Ты гид по Петербургу. " * 182)[:4000])


def test_a_system_prompt_and_choices_are_held_for_so_the_whole_usage_is_charged(
        db_settings, bot_api, tmp_path, standin):
    (tmp_path / "catalog.toml").write_text(PROMPTED, encoding="utf-8")
    bot = Bot(db_settings, bot_api, plugins_toml=toml_for(standin), tmp_path=tmp_path,
              CATALOG_FILE=str(tmp_path / "catalog.toml"), JOB_HEARTBEAT="0.2", BOT_API_RATE="0")
    try:
        bot.app.start_workers()
        bot.app.balances.credit(USER, str(START))
        # The most a request can cost: a token a byte of all it sends, and the longest answer.
        standin.prompt_tokens, standin.answer_tokens = "bytes", 1500
        order(bot.send, USER, "guide", "Что посмотреть за один день?", ("choice", 1))
        job = finished_job(bot)
        assert job.status == "succeeded", (job.error_code, job.error_message)
        [call] = standin.requests_to("/v1/chat/completions")
        messages = call.json()["messages"]
        assert messages[0]["role"] == "system" and len(messages[0]["content"]) == 4000
        assert "Каким тоном отвечать: весело" in messages[1]["content"]
        used_tokens = 3 + sum(3 + len(m["content"].encode("utf-8")) for m in messages)
        worth = (Decimal(used_tokens) * Decimal("1.00") + 1500 * Decimal("2.00")) / 1000
        # Charged all it was worth: the hold (what confirming took) was not less.
        assert job.price_rub == worth.quantize(Decimal("0.01"), rounding="ROUND_CEILING")
        held = bot.app.db.fetch_one("SELECT amount_rub FROM balance_reservations")[0]
        assert held >= job.price_rub
        # Without the provider's part (the system prompt, the label) the hold fell short.
        bare = parse_catalog(PROMPTED).get("guide")
        assert bare.price_for(job.inputs) < job.price_rub
        assert bot.app.balances.summary(USER) == (START - job.price_rub, Decimal("0"))
        assert ledger_differences(bot.app.db) == []
    finally:
        bot.close()


@pytest.mark.parametrize("params,problem", [
    ("{ n = 3 }", "params.n must be 1"),
    ("{ max_tokens = 100000 }", "params.max_tokens conflicts"),
    ("{ max_completion_tokens = 100000 }", "params.max_completion_tokens conflicts"),
])
def test_a_usage_priced_model_whose_params_could_cost_beyond_its_hold_is_refused(params, problem):
    catalog = parse_catalog(PROMPTED.replace('provider_options = { system = "',
                                             f'provider_options = {{ params = {params}, system = "'))
    assert any(problem in found for found in openai.catalog_problems(catalog))
    assert openai.catalog_problems(parse_catalog(PROMPTED)) == []
