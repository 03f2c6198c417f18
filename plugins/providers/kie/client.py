"""Talking to Kie.ai over HTTP: the key, the rate limits, and Kie's ways of saying no.

Kie reports most errors inside the body, with HTTP 200: ``{"code": 402, "msg": …}``
(the code enums of every generation page, https://docs.kie.ai). Some come as real
HTTP statuses: 429 from the task-creation limit ("rejected with HTTP 429", Getting
Started), and the File Upload and Chat APIs answer 4xx/5xx. Both are read the same
way: the body's ``code`` when it has one, else the HTTP status; the message from
``msg``, ``message`` (the recordInfo page's spelling) or an OpenAI-style
``error.message``.

What a code means for the job:
- 429, 455 (maintenance) and 5xx other than 501/505: Kie is busy or down; the call is
  retried with backoff inside the job's deadline (429 honours Retry-After);
- 401/403 (the key), 402 (the account is out of credits), 433 (the key's usage cap),
  505 (feature disabled): the operator's to fix, an ``account`` failure: the job fails
  at once, the core logs one ERROR naming the provider, and the user is told the
  service is unavailable, not that they erred;
- anything else (422 validation, 400 content policy, 404, 501 generation failed): the
  job fails with Kie's own message kept for the log; the user is told the service
  refused the request (a 4xx) or could not do it (anything else), in their language.

Task creation and polling have separate limits, shared by the threads of a process:
Kie allows 20 new tasks per 10 s per account and 10 queries per second per key.
"""

from __future__ import annotations

from genbot import GenerationFailed
from genbot.providers import Refusal, ServiceClient, WindowLimiter, sse_events

OPERATOR_CODES = {401: "Kie.ai refused the API key: check [kie] api_key",
                  403: "Kie.ai refused the API key: check [kie] api_key",
                  402: "the Kie.ai account is out of credits: top it up at https://kie.ai",
                  433: "the Kie.ai key reached its usage limit: raise it at https://kie.ai/api-key",
                  505: "Kie.ai has switched this feature off"}


def is_retryable(code: int) -> bool:
    """Busy or down (429, 455, 5xx), as opposed to a refusal; 501 is "generation
    failed" and 505 "feature disabled": retrying them changes nothing."""
    return code in (429, 455) or (500 <= code < 600 and code not in (501, 505))


class KieRefused(GenerationFailed):
    """Kie said no, with ``kie_code``."""

    def __init__(self, kie_code: int, message: str, *, reason: str | None = None):
        super().__init__(f"kie_{kie_code}", message, reason or reason_for(kie_code))
        self.kie_code = kie_code
        self.kie_message = message


def reason_for(kie_code) -> str:
    """The user's reason for a Kie code: a 4xx refused this request; the rest failed."""
    try:
        code = int(kie_code)
    except (TypeError, ValueError):
        return "failed"
    if code in OPERATOR_CODES:
        return "account"
    if is_retryable(code):
        return "unavailable"
    return "rejected" if 400 <= code < 500 else "failed"


def _message(body, fallback: str) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        for value in (body.get("msg"), body.get("message"),
                      error.get("message") if isinstance(error, dict) else None):
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return fallback


class KieClient(ServiceClient):
    """The toolkit's client (retries, Retry-After, the deadline, a cancel), reading Kie's
    answers: the body's ``code`` first, then the HTTP status."""

    def __init__(self, api_key: str, *, request_timeout_s: float, max_retries: int,
                 creates: WindowLimiter, polls: WindowLimiter):
        super().__init__("kie", {"Authorization": f"Bearer {api_key}"}, request_timeout_s=request_timeout_s,
                         max_retries=max_retries, key_hint="check [kie] api_key")
        self.limiters = {"create": creates, "poll": polls, "chat": creates}

    def call(self, req, method: str, url: str, *, purpose: str, **kwargs):
        """The decoded answer of a call Kie accepted (a dict, or ``{"events": […]}`` for a
        stream). ``purpose`` (create, poll, upload, chat) picks the rate limit and the
        time-out: a chat answer may take as long as the job has left."""
        return super().call(req, method, url, limiter=self.limiters.get(purpose),
                            whole_job=purpose == "chat", **kwargs)

    def read(self, response, ok):
        """The answer, or the Refusal when Kie said no or the answer is unreadable."""
        if "text/event-stream" in response.headers.get("Content-Type", ""):
            if response.status_code >= 400:
                return Refusal(response.status_code, "", f"HTTP {response.status_code}")
            return {"events": list(sse_events([response.content]))}
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if isinstance(code, int) and not isinstance(code, bool) and code != 200:
            return Refusal(code, "", _message(body, f"code {code}"))
        if response.status_code >= 400:
            return Refusal(response.status_code, "", _message(body, f"HTTP {response.status_code}"))
        if not isinstance(body, dict):
            return Refusal(502, "", "an answer that is not a JSON object")  # a proxy's page: retried
        return body

    def failure(self, status: int, code: str, message: str, what: str) -> GenerationFailed | None:
        if is_retryable(status):
            return None
        if status in OPERATOR_CODES:  # the core logs it once, naming the provider
            return KieRefused(status, f"{OPERATOR_CODES[status]} (code {status} on {what}: {message})")
        return KieRefused(status, message)
