"""The links genbot signs (a user's photo for a provider, a large result for its user)
answer 404 to anything that is not exactly a token genbot made: real `run.py serve`."""

from __future__ import annotations

import pytest
import requests

from core.telegram.links import InputFiles, ResultLinks
from tests.support.serve import QUICK_JOBS, ServeProcess, serve_env

pytestmark = pytest.mark.slow

BAD = [
    "x.%C3%A9", "eyJmIjoiYSJ9.%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9",
    "%F0%9F%98%80.%F0%9F%98%80", "%00.%00", "a" * 3000 + "." + "b" * 24, "." + "a" * 24,
    "abc.", "abc", "....", "%ZZ.abc", "!!!!.aaaaaaaaaaaaaaaaaaaaaaaa", "eyJm" + "." + "A" * 24,
    "%E2%80%8F%E2%80%AE.aaaaaaaaaaaaaaaaaaaaaaaa",
]


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    server = ServeProcess(serve_env(db_settings, bot_api, QUICK_JOBS,
                                    WEBHOOK_URL="https://bot.example.test"),
                          cwd=tmp_path)
    server.wait_ready()
    yield server
    server.stop()


@pytest.mark.parametrize("route", ["files", "results"])
def test_malformed_overlong_and_non_ascii_tokens_answer_404(served, route):
    for token in BAD:
        response = requests.get(f"{served.url}/{route}/{token}", timeout=10)
        assert response.status_code == 404, (token, response.status_code, response.text[:200])
    assert "Traceback" not in served.log()


def test_a_token_of_one_kind_is_no_token_of_the_other():
    inputs = InputFiles(None, "https://bot.example.test", "secret")
    results = ResultLinks("https://bot.example.test", "secret")
    photo = inputs.url_for({"telegram_file_id": "AgAD-photo"}).rsplit("/", 1)[1]
    result = results.url_for(42, 0).rsplit("/", 1)[1]
    assert inputs.file_id_of(photo) == "AgAD-photo" and results.item_of(result) == (42, 0)
    assert results.item_of(photo) is None and inputs.file_id_of(result) is None
    assert ResultLinks("https://bot.example.test", "another secret").item_of(result) is None
