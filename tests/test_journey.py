"""The user's journey, tapped through the Bot API stand-in as a user would (issue #14).

Cancel from the progress message, one tap from "not enough money" to the top-up, 🗂
История that sends a result again, failures told in plain Russian, a free picture in
few messages (and in English for an English Telegram), the bot's commands, and demo
models kept from users once a real provider runs. Money runs on the real PostgreSQL.
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from genbot.testing import updates
from genbot.testing.app import SECRET, exchange, inline_buttons, make_app, shown
from genbot.testing.waiting import wait_until
from tests.support.flows import reply_markup
from tests.support.kie_flows import kie_toml
from tests.support.kie_standin import KieStandIn
from tests.support.serve import ServeProcess, serve_env

USER, ADMIN = 4100, 4199
CYRILLIC = re.compile("[А-Яа-яЁё]")
# What a user must never read: exception names, URLs, API paths, HTTP status codes.
INTERNALS = re.compile(r"[A-Za-z]+(Error|Exception)\b|https?://|/api/|\bHTTP\b|\b[45]\d\d\b")

CATALOG = '''
[[model]]
id = "sketch"
title = "Набросок"
title_en = "Sketch"
category = "image"
price_rub = "0"
provider = "demo"
timeout_s = 30
inputs = [{ name = "prompt", type = "text", label = "Опишите картинку", label_en = "Describe the picture" }]

[[model]]
id = "poster"
title = "Постер"
title_en = "Poster"
category = "image"
price_rub = "15.00"
provider = "demo"
timeout_s = 30
inputs = [{ name = "prompt", type = "text", label = "Опишите постер", label_en = "Describe the poster" }]

[[model]]
id = "story"
title = "Рассказ"
category = "text"
price_rub = "1250.50"
provider = "demo"
timeout_s = 30
inputs = [{ name = "prompt", type = "text", label = "О чём рассказ?" }]
'''


class Chat:
    """One Telegram chat with the bot: what the user sends, everything the bot sends."""

    def __init__(self, client, bot_api, user_id: int, **user_fields):
        self.client, self.bot_api, self.user_id, self.user_fields = client, bot_api, user_id, user_fields
        self.answers: list[tuple[int, dict]] = []  # (calls so far, webhook response)
        self.next_message_id = 10

    def send(self, update: dict) -> list[dict]:
        """Everything the bot sent for one update: its Bot API calls and the webhook answer."""
        before = len(self.bot_api.calls)
        response = self.client.post("/webhook", json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200
        sent = [dict(params, method=method) for method, params in self.bot_api.calls[before:]]
        if response.data:
            answer = response.get_json()
            self.answers.append((len(self.bot_api.calls), answer))
            sent.append(answer)
        return sent

    def say(self, text: str) -> list[dict]:
        return self.send(updates.message(self.user_id, text, **self.user_fields))

    def tap(self, data: str, message_id: int | None = None) -> list[dict]:
        if message_id is None:
            self.next_message_id += 1
            message_id = self.next_message_id
        return self.send(updates.callback(self.user_id, data, message_id=message_id, **self.user_fields))

    def mark(self) -> tuple[int, int]:
        return len(self.bot_api.calls), len(self.answers)

    def bot_messages(self, since: tuple[int, int]) -> list[dict]:
        """New messages the bot sent this user since ``since`` (not edits, not actions)."""
        calls, answers = since
        found = [dict(p, method=m) for m, p in self.bot_api.calls[calls:]
                 if m.startswith("send") and m != "sendChatAction" and str(p.get("chat_id")) == str(self.user_id)]
        found += [a for _, a in self.answers[answers:]
                  if a["method"].startswith("send") and a["method"] != "sendChatAction"]
        return found

    def everything_read(self, since: tuple[int, int]) -> list[str]:
        """Every text, caption and button label the user could read since ``since``."""
        calls, answers = since
        shown = [dict(p, method=m) for m, p in self.bot_api.calls[calls:]
                 if str(p.get("chat_id", self.user_id)) == str(self.user_id)]
        shown += [a for _, a in self.answers[answers:]]
        words = []
        for item in shown:
            words += [str(item[k]) for k in ("text", "caption") if item.get(k)]
            words += list(inline_buttons(item))
            markup = reply_markup(item)
            words += [b["text"] for row in markup.get("keyboard", []) for b in row]
        return words


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, CATALOG_FILE=str(catalog),
                           JOB_WORKERS="2", JOB_HEARTBEAT="0.2", ADMIN_IDS=str(ADMIN),
                           plugins_toml="[demo]\ndelay_s = 0.05\n")
    app.start_workers()
    yield app, client
    app.close()


def job_of(app, user_id):
    row = app.db.fetch_one("SELECT id FROM generation_jobs WHERE user_id = %s ORDER BY id DESC LIMIT 1",
                           (user_id,))
    return app.jobs.get(row[0]) if row else None


def told(app, job_id) -> bool:
    return app.db.fetch_one("SELECT notified FROM generation_jobs WHERE id = %s", (job_id,))[0]


def edits_of(bot_api, message_id: int) -> list[dict]:
    return [p for p in bot_api.calls_to("editMessageText") if str(p.get("message_id")) == str(message_id)]


# -- 1. cancel that works ------------------------------------------------------------------------

def test_cancel_from_the_progress_message_ends_the_job_releases_the_hold_and_says_so(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    app.balances.credit(USER, "100.00")
    chat.tap("gen:m:poster", message_id=50)
    confirm = chat.say("!slow закат над морем")[-1]
    token = inline_buttons(confirm)["✅ Запустить — 15 ₽"].split(":")[2]
    chat.tap(f"gen:go:{token}", message_id=51)  # the confirm message becomes the progress message
    job = job_of(app, USER)
    assert job.progress_message_id == 51 and app.balances.summary(USER) == (Decimal("85.00"), Decimal("15.00"))
    wait_until(lambda: app.jobs.status(job.id) == "running", 10)
    # The ticker edits the elapsed time; every edit keeps the cancel button.
    ticked = re.compile(r"генерирую… 0:(0[5-9]|[1-5]\d)")  # 0:00 is the worker's first edit
    wait_until(lambda: any(ticked.search(e["text"]) for e in edits_of(bot_api, 51)), 20,
               lambda: [e["text"] for e in edits_of(bot_api, 51)])
    assert bot_api.calls_to("sendChatAction", USER)[0]["action"] == "upload_photo"
    running = edits_of(bot_api, 51)
    assert len(running) >= 2 and all(
        inline_buttons(e) == {"⛔ Отменить": f"gen:cancel:{job.id}"} for e in running)

    sent = chat.tap(f"gen:cancel:{job.id}", message_id=51)
    assert [a["text"] for a in sent if a.get("method") == "answerCallbackQuery"] == ["Генерация отменена."]
    assert app.jobs.get(job.id).status == "cancelled"
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
    assert app.db.fetch_one("SELECT status FROM balance_reservations") == ("released",)
    wait_until(lambda: app.runner.running() == [], 10, "the worker did not let the job go")
    time.sleep(0.5)  # a tick that raced the cancel has had its chance
    last = edits_of(bot_api, 51)[-1]
    assert last["text"] == "⛔ Постер: генерация отменена. Деньги не списаны."
    assert "gen:cancel" not in json.dumps(reply_markup(last))
    assert bot_api.calls_to("sendPhoto", USER) == []  # no result arrives
    assert app.db.fetch_all("SELECT type FROM payment_transactions WHERE user_id = %s", (USER,)) == [("topup",)]
    assert ledger_differences(app.db) == []


# -- 2. one tap to money ----------------------------------------------------------------------------

def test_not_enough_money_is_one_tap_from_the_top_up_amounts(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    chat.tap("gen:m:poster", message_id=60)
    confirm = chat.say("кот в шляпе")[-1]
    go = inline_buttons(confirm)["✅ Запустить — 15 ₽"]
    chat.tap(go, message_id=61)
    [short] = edits_of(bot_api, 61)
    assert short["text"].startswith("❌ Недостаточно средств: нужно 15 ₽, на балансе 0 ₽. Не хватает 15 ₽.")
    buttons = inline_buttons(short)
    assert buttons["💳 Пополнить"] == "pay:menu:15.00" and buttons["✅ Запустить — 15 ₽"] == go
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (0,)

    [menu] = [m for m in chat.tap("pay:menu:15.00", message_id=61) if m.get("method") == "sendMessage"]
    amounts = [b["text"] for row in reply_markup(menu)["inline_keyboard"] for b in row]
    assert amounts[:5] == ["15 ₽", "100 ₽", "500 ₽", "1 000 ₽", "5 000 ₽"]
    assert inline_buttons(menu)["15 ₽"] == "pay:a:15" and "не хватает 15 ₽" in menu["text"]

    # Once the money is in, the same "Запустить" starts the job: the draft was kept.
    app.balances.credit(USER, "15.00")
    chat.tap(go, message_id=61)
    job = job_of(app, USER)
    assert job is not None and job.price_rub == Decimal("15.00")
    wait_until(lambda: told(app, job.id), 10)
    assert app.balances.summary(USER) == (Decimal("0.00"), Decimal("0"))


def test_the_balance_shows_quota_recent_changes_and_the_top_up(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    app.balances.credit(USER, "1265.50")
    chat.tap("gen:m:story")
    chat.tap(inline_buttons(chat.say("о море")[-1])["✅ Запустить — 1 250,50 ₽"])
    wait_until(lambda: told(app, job_of(app, USER).id), 10)
    body = chat.say("💰 Баланс")[-1]
    assert body["text"].startswith("💰 Ваш баланс: 15 ₽\n🎁 Бесплатных генераций сегодня: осталось 10 из 10.")
    assert "−1 250,50 ₽  генерация: Рассказ" in body["text"]
    assert "+1 265,50 ₽  пополнение" in body["text"]
    assert inline_buttons(body) == {"💳 Пополнить": "pay:menu", "🗂 История": "hist:p:0"}


# -- 3. history ------------------------------------------------------------------------------------

def test_history_lists_generations_and_sends_a_result_again_even_one_never_delivered(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    app.balances.credit(USER, "100.00")
    jobs = []
    for prompt in ("первый кот", "второй кот"):
        chat.tap("gen:m:sketch")
        chat.say(prompt)
        jobs.append(job_of(app, USER))
        wait_until(lambda: told(app, jobs[-1].id), 10)
    bot_api.fail("sendPhoto", (403, "Forbidden: bot was blocked by the user"))
    chat.tap("gen:m:poster")
    chat.tap(inline_buttons(chat.say("третий кот")[-1])["✅ Запустить — 15 ₽"])
    jobs.append(job_of(app, USER))
    wait_until(lambda: told(app, jobs[-1].id), 10)
    assert app.db.fetch_one("SELECT undeliverable IS NOT NULL, delivered_files FROM generation_jobs "
                            "WHERE id = %s", (jobs[2].id,)) == (True, None)
    first_file = app.jobs.get(jobs[0].id).delivered_files
    assert first_file == [{"kind": "photo", "file_id": first_file[0]["file_id"]}]

    listing = chat.say("🗂 История")[-1]
    lines = listing["text"].splitlines()
    assert lines[0] == "🗂 Ваши генерации (страница 1 из 1)"
    assert re.fullmatch(r"1\. Постер · \d\d\.\d\d \d\d:\d\d · 15 ₽ · 📭 не доставлено", lines[2])
    assert re.fullmatch(r"2\. Набросок · \d\d\.\d\d \d\d:\d\d · бесплатно · ✅ готово", lines[3])
    assert lines[4].startswith("3. Набросок")
    buttons = inline_buttons(listing)
    assert buttons["1. 📭 Постер"] == f"hist:o:{jobs[2].id}" and buttons["3. ✅ Набросок"] == f"hist:o:{jobs[0].id}"

    before = len(bot_api.calls_to("sendPhoto", USER))
    chat.tap(f"hist:o:{jobs[0].id}")  # sent again by the file_id Telegram gave it
    again = bot_api.calls_to("sendPhoto", USER)[before:]
    assert [p["photo"] for p in again] == [first_file[0]["file_id"]]
    assert again[0]["caption"].startswith("Набросок · ")
    assert inline_buttons(again[0])["🔁 Повторить"] == f"gen:r:{jobs[0].id}"

    chat.tap(f"hist:o:{jobs[2].id}")  # never delivered: uploaded from the stored result
    [upload] = bot_api.calls_to("sendPhoto", USER)[before + 1:]
    assert upload["_multipart_bytes"] > 100 and upload["caption"].startswith("Постер · ")
    assert app.jobs.get(jobs[2].id).delivered_files is not None  # next time, by file_id
    # Someone else's generation is not theirs to see.
    other = exchange(client, bot_api, updates.callback(USER + 1, f"hist:o:{jobs[0].id}"))
    assert "не найдена" in other[-1]["text"]


# -- 4. failures in plain words -----------------------------------------------------------------------

@pytest.fixture
def kie_bot(db_settings, bot_api, tmp_path):
    standin = KieStandIn().start()
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, JOB_HEARTBEAT="0.2",
                           ADMIN_IDS=str(ADMIN), plugins_toml=kie_toml(standin, max_retries="1"))
    app.start_workers()
    app.balances.credit(USER, "50.00")
    yield app, client, standin
    app.close()
    standin.stop()


@pytest.mark.parametrize("trouble,detail,when,logged", [
    # Kie.ai cannot be reached at all: it may be back in minutes
    ("unreachable", "ConnectionError", "через несколько минут", "ended failed"),
    # {"code": 401} from Kie: the operator's account, told to the operator at once
    ("refused key", "Kie.ai refused the API key", "позже", "failed at once"),
])
def test_a_provider_failure_is_told_in_russian_and_its_detail_logged(kie_bot, bot_api, caplog,
                                                                     trouble, detail, when, logged):
    app, client, standin = kie_bot
    if trouble == "unreachable":
        standin.stop()
    else:
        standin.key = "another-key"
    chat = Chat(client, bot_api, USER)
    chat.tap("gen:m:gpt-text")
    chat.tap(inline_buttons(chat.say("Сколько планет?")[-1])["✅ Запустить — 3 ₽"])
    job = job_of(app, USER)
    wait_until(lambda: told(app, job.id), 20)
    text = bot_api.wait_for_text("не получилось", USER)["text"]
    assert text == ("😔 GPT: ответ на вопрос: не получилось — сервис генерации сейчас недоступен, "
                    f"попробуйте {when}. Деньги не списаны.")
    assert not INTERNALS.search(text), text
    assert app.balances.summary(USER) == (Decimal("50.00"), Decimal("0"))
    assert any(detail in r.getMessage() for r in caplog.records), "the detail is not in the log"
    assert any(f"job {job.id} of user {USER}".lower() in r.getMessage().lower() and logged in r.getMessage()
               for r in caplog.records)


# -- 5. fewer messages, and English ----------------------------------------------------------------

@pytest.mark.parametrize("language_code", ["ru", "en"])
def test_a_free_picture_takes_few_messages_and_speaks_the_users_language(bot, bot_api, language_code):
    app, client = bot
    chat = Chat(client, bot_api, USER, language_code=language_code, first_name="Alex")
    start = chat.say("/start")[-1]
    images = "🖼 Images" if language_code == "en" else "🖼 Изображения"
    assert images in [b["text"] for row in start["reply_markup"]["keyboard"] for b in row]
    listing = chat.say(images)[-1]
    sketch = "Sketch — free" if language_code == "en" else "Набросок — бесплатно"
    assert inline_buttons(listing)[sketch] == "gen:m:sketch"

    since = chat.mark()
    chat.tap("gen:m:sketch", message_id=70)  # the list becomes the model's card
    [card] = edits_of(bot_api, 70)
    ask = "Describe the picture" if language_code == "en" else "Опишите картинку"
    assert card["text"].count(ask) == 1  # asked once, not printed twice
    chat.say("a red fox in the snow")  # free, no choices: straight to the progress message
    photo = bot_api.wait_for("sendPhoto", chat_id=USER)[0]
    job = job_of(app, USER)
    wait_until(lambda: told(app, job.id), 10)

    sent = chat.bot_messages(since)
    assert [m["method"] for m in sent] == ["sendMessage", "sendPhoto"]  # progress, result
    assert len(sent) <= 4
    done = "done" if language_code == "en" else "готово"
    read = chat.everything_read(since)
    assert sum(done in text for text in read) == 1, read  # the result is announced once
    assert photo["caption"] == ("✅ Sketch: done. Free." if language_code == "en"
                                else "✅ Набросок: готово. Бесплатно.")
    assert [p["message_id"] for p in bot_api.calls_to("deleteMessage", USER)] == \
        [str(job.progress_message_id)]  # the progress message made way for the result
    if language_code == "en":
        everything = chat.everything_read((0, 0))
        assert not [text for text in everything if CYRILLIC.search(text)], everything
        assert job.lang == "en"


def test_money_is_written_the_way_each_language_writes_it(bot, bot_api):
    app, client = bot
    app.balances.credit(USER, "1300.00")
    ru = Chat(client, bot_api, USER)
    ru.tap("gen:m:story")
    assert "Рассказ — 1 250,50 ₽" in ru.say("о лете")[-1]["text"]
    en = Chat(client, bot_api, USER + 1, language_code="en")
    app.balances.credit(USER + 1, "1300.00")
    en.tap("gen:m:story")
    assert "Рассказ — 1,250.50 ₽" in en.say("summer")[-1]["text"]


# -- free text outside a flow -------------------------------------------------------------------------

def test_text_outside_a_flow_is_offered_as_a_prompt(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    first = chat.say("маяк на скале")[-1]  # a new user: where should it go?
    assert first["text"].startswith("Что создать по описанию «маяк на скале»?")
    assert inline_buttons(first)["🖼 Изображения"] == "gen:k:image:p"
    chat.tap("gen:k:image:p")
    chat.tap("gen:m:sketch:p")  # the prompt was kept: the picture starts at once
    job = job_of(app, USER)
    assert job.inputs == {"prompt": "маяк на скале"}
    wait_until(lambda: told(app, job.id), 10)

    offer = chat.say("маяк в тумане")[-1]  # now the last model is known
    assert offer["text"] == "Сгенерировать «маяк в тумане» в Набросок?"
    chat.tap(inline_buttons(offer)["✅ Да — бесплатно"])
    assert job_of(app, USER).inputs == {"prompt": "маяк в тумане"}


def test_cancel_offers_to_stop_a_running_generation(bot, bot_api):
    app, client = bot
    chat = Chat(client, bot_api, USER)
    chat.tap("gen:m:sketch")
    chat.say("!slow долгий кот")
    job = job_of(app, USER)
    sent = chat.say("/cancel")
    offer = [m for m in sent if "ещё генерируется" in m.get("text", "")]
    assert offer and inline_buttons(offer[0]) == {"⛔ Отменить": f"gen:cancel:{job.id}"}
    chat.tap(f"gen:cancel:{job.id}", message_id=job.progress_message_id)
    assert app.jobs.get(job.id).status == "cancelled"
    assert app.jobs.free_left(USER) == 10  # a cancelled free try is not spent


# -- 6. commands -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_commands_are_registered_at_start_and_paysupport_and_terms_answer(db_settings, bot_api, tmp_path):
    env = serve_env(db_settings, bot_api, WEB_THREADS=4, JOB_WORKERS=1, SUPPORT_CONTACT="@genbot_help",
                    TERMS_TEXT="Условия оператора. Вопросы: {support}")
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        commands = bot_api.wait_for("setMyCommands", 2)
        default = next(c for c in commands if "language_code" not in c)
        assert [c["command"] for c in json.loads(default["commands"])] == [
            "start", "help", "balance", "history", "cancel", "paysupport", "terms"]
        english = next(c for c in commands if c.get("language_code") == "en")
        assert json.loads(english["commands"])[4] == {"command": "cancel",
                                                      "description": "Cancel what you are doing"}
        assert bot_api.calls_to("setMyDescription") and bot_api.calls_to("setMyShortDescription")
        send = Chat(_HttpClient(server.url), bot_api, USER)
        paysupport = send.say("/paysupport")[-1]["text"]
        assert paysupport.startswith("💳 Вопросы об оплате") and "@genbot_help" in paysupport
        assert send.say("/terms")[-1]["text"] == "Условия оператора. Вопросы: @genbot_help"
        help_text = send.say("/help")[-1]["text"]
        assert "Поддержка: @genbot_help" in help_text
        assert "🖼 Изображения — бесплатно или от 15 ₽" in help_text  # demo-image and demo-image-hd
        assert "Бесплатных генераций сегодня: осталось 10 из 10" in help_text
    finally:
        assert server.stop() == 0


class _HttpClient:
    """The slice of Flask's test client that ``exchange`` uses, over real HTTP."""

    def __init__(self, url: str):
        self.url = url

    def post(self, path, json=None, headers=None):
        import requests

        response = requests.post(self.url + path, json=json, headers=headers, timeout=30)

        class Answer:
            status_code = response.status_code
            data = response.content

            @staticmethod
            def get_json():
                return response.json()

        return Answer()


# -- 7. demo models stay out of sight once a real provider runs --------------------------------------

def test_with_kie_configured_demo_models_are_not_listed_to_users(kie_bot, bot_api):
    app, client, _standin = kie_bot
    start = exchange(client, bot_api, updates.message(USER, "/start"))[-1]
    menu = [b["text"] for row in start["reply_markup"]["keyboard"] for b in row]
    assert "🎁 Бесплатные" not in menu  # the only free models were demo ones
    images = exchange(client, bot_api, updates.message(USER, "🖼 Изображения"))[-1]
    listed = list(inline_buttons(images))
    assert "Flux Kontext — 25 ₽" in listed and not [b for b in listed if "Демо" in b]
    assert "недоступна" in shown(exchange(client, bot_api, updates.callback(USER, "gen:m:demo-image")))[0]
    # Admins still reach them, marked.
    admin = exchange(client, bot_api, updates.message(ADMIN, "🖼 Изображения"))[-1]
    assert inline_buttons(admin)["🧪 Демо: картинка — бесплатно"] == "gen:m:demo-image"


def test_the_operator_may_list_demo_models_beside_a_real_provider(db_settings, bot_api, tmp_path):
    standin = KieStandIn().start()
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, SHOW_DEMO_MODELS="1",
                           plugins_toml=kie_toml(standin))
    try:
        images = exchange(client, bot_api, updates.message(USER, "🖼 Изображения"))[-1]
        assert "Демо: картинка — бесплатно" in inline_buttons(images)
    finally:
        app.close()
        standin.stop()


# -- progress people can trust ----------------------------------------------------------------------

def test_the_progress_message_says_how_long_the_model_usually_takes(bot, bot_api):
    app, client = bot
    app.db.execute("INSERT INTO users (user_id) VALUES (1) ON CONFLICT DO NOTHING")
    for ms in (18_000, 20_000, 23_000):
        app.db.execute("INSERT INTO generation_events (user_id, model_id, status, duration_ms) "
                       "VALUES (1, 'sketch', 'success', %s)", (ms,))
    chat = Chat(client, bot_api, USER)

    def first_progress_edit(prompt: str) -> str:
        chat.tap("gen:m:sketch")
        chat.say(prompt)
        job = job_of(app, USER)
        edit = wait_until(lambda: next((e["text"] for e in edits_of(bot_api, job.progress_message_id)
                                        if "генерирую" in e["text"]), None), 10)
        chat.tap(f"gen:cancel:{job.id}", message_id=job.progress_message_id)
        wait_until(lambda: app.runner.running() == [], 10)
        return edit

    assert re.match(r"🎨 Набросок: генерирую… 0:\d\d\nОбычно это занимает около 20 с\.\n",
                    first_progress_edit("!slow сова"))
    # Without the plugin's table the estimate is simply not there; the rest goes on.
    app.db.execute("DROP TABLE generation_events")
    app.plugins.probe(app.db)
    edit = first_progress_edit("!slow сова ещё раз")
    assert edit.startswith("🎨 Набросок: генерирую… 0:") and "Обычно" not in edit
    assert app.plugins.plugins["generation_events"].state == "degraded"

