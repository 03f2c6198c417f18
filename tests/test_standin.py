"""The base of every stand-in (genbot.testing.standin), as a plugin author meets it: the
example of docs/plugins.md runs, requests are logged by host, answers are whole or
streamed, and a stand-in that forgets to answer says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from genbot.testing import HttpStandIn

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def documented_example() -> dict:
    """The stand-in example of "Testing your plugin", run as written."""
    text = DOCS.read_text(encoding="utf-8")
    [code] = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "HttpStandIn" in block]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


class Echo(HttpStandIn):
    """Answers every request with what it saw; streams ``/stream`` as server-sent events."""

    def __init__(self):
        super().__init__()
        self.api_url = self.listen("api")
        self.files_url = self.listen("files")
        self.stream_ended = None

    def serve(self, request, reply):
        if request.path == "/silent":
            return
        if request.path == "/stream":
            events = (f"data: {n}\n\n".encode() for n in range(int(request.query["n"][0])))
            ended = reply.stream(events, "text/event-stream")
            with self.lock:
                self.stream_ended = ended
                self.lock.notify_all()
            return
        reply.send(201, {"host": request.host, "query": request.query, "body": request.body.decode()},
                   headers={"X-Seen": request.header("x-custom", "none")})


@pytest.fixture
def echo():
    standin = Echo().start()
    yield standin
    standin.stop()


def test_the_documented_example_answers_as_written():
    example = documented_example()
    weather = example["WeatherStandIn"]().start()
    try:
        assert requests.get(weather.url + "/v1/now", params={"city": "Казань"}, timeout=5,
                            headers={"Authorization": "Bearer test-key"}).json() == \
            {"city": "Казань", "temperature": 21}
        assert requests.get(weather.url + "/v1/now", timeout=5).status_code == 401
        [first, second] = weather.log
        assert (first.method, first.path, first.query) == ("GET", "/v1/now", {"city": ["Казань"]})
        assert second.header("authorization") is None
    finally:
        weather.stop()


def test_each_host_has_its_own_port_and_every_request_is_logged_with_it(echo):
    assert echo.api_url != echo.files_url
    answer = requests.post(echo.api_url + "/v1/x?a=1&a=2&b=", data=b"hello", timeout=5,
                           headers={"X-Custom": "yes"})
    assert answer.status_code == 201 and answer.headers["X-Seen"] == "yes"
    assert answer.json() == {"host": "api", "query": {"a": ["1", "2"], "b": [""]}, "body": "hello"}
    assert requests.get(echo.files_url + "/f", timeout=5).json()["host"] == "files"
    assert [(r.host, r.method, r.path, r.body) for r in echo.log] == \
        [("api", "POST", "/v1/x", b"hello"), ("files", "GET", "/f", b"")]


def test_a_method_the_stand_in_does_not_serve_is_501_and_a_forgotten_answer_is_500(echo):
    assert requests.delete(echo.api_url + "/x", timeout=5).status_code == 501
    forgot = requests.get(echo.api_url + "/silent", timeout=5)
    assert forgot.status_code == 500
    assert forgot.json() == {"error": "the stand-in has no answer to GET /silent"}


def test_a_stream_arrives_in_chunks_and_knows_when_the_client_let_go(echo):
    with requests.get(echo.api_url + "/stream", params={"n": 3}, stream=True, timeout=5) as answer:
        assert answer.headers["Transfer-Encoding"] == "chunked"
        assert [line for line in answer.iter_lines() if line] == [b"data: 0", b"data: 1", b"data: 2"]
    echo.wait_until(lambda: echo.stream_ended is not None, timeout=5)
    assert echo.stream_ended is True

    echo.stream_ended = None
    with requests.get(echo.api_url + "/stream", params={"n": 10**9}, stream=True, timeout=5) as answer:
        next(answer.iter_lines())
    echo.wait_until(lambda: echo.stream_ended is not None, timeout=10,
                  explain="the stream did not notice the client leave")
    assert echo.stream_ended is False
