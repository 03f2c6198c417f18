"""The Bot API client's own edges: which refusals are about the chat and which about the
message, and a closed client that never speaks through a newer one."""

from __future__ import annotations

import pytest
from telebot.apihelper import ApiHTTPException, ApiTelegramException

from core.telegram.client import RateLimits, Refused, TelegramApi, chat_unreachable, is_permanent
from genbot.testing.app import TOKEN
from genbot.testing.bot_api import BotApiStandIn


def refusal(code: int, description: str) -> ApiTelegramException:
    class Answer:
        status_code, reason, text = code, "", ""
    return ApiTelegramException("sendPhoto", Answer(),
                                {"ok": False, "error_code": code, "description": description})


@pytest.mark.parametrize("code,description", [
    (403, "Forbidden: bot was blocked by the user"), (403, "Forbidden: user is deactivated"),
    (403, "Forbidden: bot was kicked from the group chat"), (400, "Bad Request: chat not found"),
    (400, "Bad Request: PEER_ID_INVALID"),
])
def test_refusals_about_the_chat_end_every_way(code, description):
    assert chat_unreachable(refusal(code, description))


@pytest.mark.parametrize("code,description", [
    (400, "Bad Request: PHOTO_INVALID_DIMENSIONS"), (400, "Bad Request: Wrong HTTP URL specified"),
    (400, "Bad Request: Failed to get HTTP URL content"), (413, "Request Entity Too Large"),
    (400, "Bad Request: Wrong type of the web page content"),
])
def test_refusals_of_a_message_leave_the_next_way_open(code, description):
    exc = refusal(code, description)
    assert is_permanent(exc) and not chat_unreachable(exc)


def test_a_429_is_neither():
    exc = refusal(429, "Too Many Requests: retry after 3")
    assert not is_permanent(exc) and not chat_unreachable(exc)


def test_a_closed_client_never_sends_what_it_still_held_through_a_newer_one():
    """A process builds one client; tests build many, one after another. What the old one
    still had to send after ``close`` must not reach the new one's Bot API (it did: a
    top-up notice of one test arrived as another test's first message)."""
    old_api, new_api = BotApiStandIn().start(), BotApiStandIn().start()
    try:
        old = TelegramApi(TOKEN, old_api.url, limits=RateLimits(30, 1, chat_burst=1))
        for number in range(5):  # one chat, one message a second: 5 s of sending
            old.send_later("sendMessage", {"chat_id": 77, "text": f"notice {number}"})
        sender = old._later_thread
        old.close(timeout=0.5)
        new = TelegramApi(TOKEN, new_api.url)
        new.send_later("sendMessage", {"chat_id": 78, "text": "mine"})
        new_api.wait_for_text("mine", chat_id=78)
        sender.join(15)  # the old sender is through its queue: sent, or dropped once closed
        assert not sender.is_alive()
        assert [p["text"] for p in new_api.calls_to("sendMessage")] == ["mine"]
        assert 1 <= len(old_api.calls_to("sendMessage", 77)) < 5  # what fitted in its close
        new.close()
    finally:
        old_api.stop()
        new_api.stop()


def test_a_413_page_from_a_proxy_is_a_refusal_of_the_message_not_a_retry():
    class Page:
        status_code, reason, text = 413, "Request Entity Too Large", "<html>413</html>"

    def send():
        raise ApiHTTPException("sendDocument", Page())

    with pytest.raises(Refused):
        TelegramApi(None, "http://127.0.0.1:9").send_until_accepted(send, what="a big file", deadline_s=30)
