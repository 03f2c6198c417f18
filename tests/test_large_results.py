"""A result larger than Telegram takes reaches its user as a signed genbot link.

Real `run.py serve`, the Bot API stand-in and an OpenAI-compatible stand-in that answers
an image as a URL (dall-e's ``response_format: "url"``) to a 60 MB file: over the 20 MB
Telegram fetches and the 50 MB it takes as an upload. The user gets "⬇️ Скачать" with
the size; the link streams the file through genbot, and the job is charged once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from genbot.testing.waiting import wait_until
from tests.support.flows import generate, http_sender, reply_markup
from tests.support.openai_standin import OpenAIStandIn
from tests.support.serve import ServeProcess, free_port, openai_env

pytestmark = pytest.mark.slow
USER = 6300
MB = 1024 * 1024
CATALOG = '''
[[model]]
id = "poster"
title = "Плакат"
category = "image"
price_rub = "10.00"
provider = "openai"
provider_model = "dall-e-3"
provider_options = { params = { response_format = "url" } }
timeout_s = 60
inputs = [{ name = "prompt", type = "text", label = "Что нарисовать?" }]
'''


@pytest.fixture
def standin():
    standin = OpenAIStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def served(db_settings, bot_api, tmp_path, standin):
    port = free_port()
    server = ServeProcess(openai_env(db_settings, bot_api, tmp_path, standin, CATALOG, PORT=port,
                                     WEBHOOK_URL=f"http://127.0.0.1:{port}",
                                     FETCH_ALLOW_NETWORKS="127.0.0.1"), cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)
    Balances(db, UserCache()).credit(USER, "50.00")
    server.wait_ready()
    yield server, db
    server.stop()
    db.close()


def test_a_60_mb_result_reaches_the_user_as_a_download_link(served, bot_api, standin):
    server, db = served
    standin.url_image_bytes = 60 * MB
    generate(http_sender(server.url, bot_api), USER, "poster", "огромный плакат")
    message = bot_api.wait_for_text("60,0 МБ", chat_id=USER, timeout=60)
    assert "Списано 10 ₽" in message["text"]
    [[button], *_rest] = reply_markup(message)["inline_keyboard"]
    assert button["text"] == "⬇️ Скачать" and button["url"].startswith(server.url + "/results/")
    assert not bot_api.calls_to("sendPhoto", USER) and not bot_api.calls_to("sendDocument", USER)

    downloaded = requests.get(button["url"], timeout=60)
    assert downloaded.status_code == 200 and len(downloaded.content) == 60 * MB
    assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(standin.url_file()).digest()
    assert "attachment" in downloaded.headers["Content-Disposition"]

    wait_until(lambda: db.fetch_one("SELECT notified FROM generation_jobs")[0], 10, "never marked told")
    assert db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s ORDER BY id",
                        (USER,)) == [(Decimal("50.00"), "topup"), (Decimal("-10.00"), "deduction")]
    assert ledger_differences(db) == []
    # A link is genbot's signature or nothing: a changed token is unknown.
    forged = button["url"][:-3] + ("AAA" if not button["url"].endswith("AAA") else "BBB")
    assert requests.get(forged, timeout=10).status_code == 404


def test_a_result_over_5_mb_by_url_is_uploaded_as_a_photo(served, bot_api, standin):
    """Telegram fetches a photo by URL only up to 5 MB: genbot fetches it and uploads it."""
    server, db = served
    standin.url_image_bytes = 7 * MB
    bot_api.fetch_urls = True  # the stand-in would refuse a photo URL over 5 MB, as Telegram does
    generate(http_sender(server.url, bot_api), USER, "poster", "большой, но не слишком")
    [photo] = bot_api.wait_for("sendPhoto", chat_id=USER, timeout=60)
    assert photo["photo_bytes"] == 7 * MB  # uploaded, not handed over as a URL
    assert not bot_api.refused  # no way was tried that Telegram would refuse
    wait_until(lambda: db.fetch_one("SELECT notified FROM generation_jobs")[0], 10, "never marked told")
    assert ledger_differences(db) == []
