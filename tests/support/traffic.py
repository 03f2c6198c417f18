"""Mixed user traffic against a real `run.py serve`, for the reliability drills.

Several threads act as users until told to stop: /start, the balance, free and paid
generations, and signed payment callbacks (some sent twice). Everything that came
back is recorded, so a drill can check afterwards that nothing was lost or doubled.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import requests

from core.generation.buttons import Confirm, PickChoice, PickModel, Repeat
from genbot.testing import updates
from genbot.testing.app import SECRET, inline_buttons
from plugins.payments.callback import signature_of
from tests.support.flows import find_confirm_token

UNAVAILABLE = "⚠️ База временно недоступна"


@dataclass
class Callback:
    payment_id: str
    user_id: int
    amount: Decimal
    statuses: list[int] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return json.dumps({"payment_id": self.payment_id, "user_id": self.user_id,
                           "amount_rub": f"{self.amount:.2f}", "status": "succeeded"}).encode()


class Traffic:
    """``threads`` simulated users' worth of mixed load, until ``stop()``.

    Each thread has users of its own, so the Bot API calls to a user since a thread's
    last update are that thread's answers.
    """

    def __init__(self, url: str, bot_api, callback_secret: str, users: list[int], *,
                 threads: int = 6, seed: int = 7, pause_s: float = 0.01):
        assert len(users) >= threads
        self.url, self.bot_api, self.secret, self.users = url, bot_api, callback_secret, users
        self.threads_wanted, self.pause_s = threads, pause_s
        self.rng = random.Random(seed)
        self.webhook_statuses: Counter = Counter()
        self.answers: Counter = Counter()  # "unavailable" / "answered" / "error: …"
        self.callbacks: list[Callback] = []
        self.connection_errors = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- running ----------------------------------------------------------------------

    def start(self) -> Traffic:
        for n in range(self.threads_wanted):
            thread = threading.Thread(target=self._run, name=f"traffic-{n}", daemon=True,
                                      args=(random.Random(self.rng.random()),
                                            self.users[n::self.threads_wanted]))
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        assert not any(t.is_alive() for t in self._threads), "a traffic thread hung"

    def _run(self, rng: random.Random, users: list[int]) -> None:
        session = requests.Session()
        actions = [self._start, self._balance, self._free_generation, self._paid_generation,
                   self._payment, self._payment]
        while not self._stop.is_set():
            try:
                rng.choice(actions)(session, rng, rng.choice(users))
            except requests.ConnectionError:
                with self._lock:  # the server itself is down (the kill -9 drill)
                    self.connection_errors += 1
                time.sleep(0.1)
            time.sleep(self.pause_s)

    # -- what a user does -------------------------------------------------------------

    def send(self, session, update: dict) -> list[dict]:
        """Every message the update brought: the webhook response's and those sent."""
        before = len(self.bot_api.calls)
        user_id = str(updates_sender(update))
        response = session.post(self.url + "/webhook", json=update, timeout=30,
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        with self._lock:
            self.webhook_statuses[response.status_code] += 1
        reply = response.json() if response.status_code == 200 and response.content else None
        if reply is not None:
            with self._lock:
                self.answers["unavailable" if reply.get("text") == UNAVAILABLE else "answered"] += 1
        sent = [params for _method, params in self.bot_api.calls[before:]
                if str(params.get("chat_id")) == user_id]
        return ([reply] if reply else []) + sent

    def _start(self, session, rng, user_id):
        self.send(session, updates.message(user_id, "/start"))

    def _balance(self, session, rng, user_id):
        self.send(session, updates.message(user_id, "💰 Баланс"))

    def _generate(self, session, user_id, model_id, *answers):
        self.send(session, updates.callback(user_id, PickModel(model_id).pack()))
        sent = []
        for answer in answers:
            if isinstance(answer, tuple):
                sent = self.send(session, updates.callback(user_id, PickChoice(answer[1]).pack()))
            else:
                sent = self.send(session, updates.message(user_id, answer))
        token = find_confirm_token(sent)  # none while the database is away: fine
        if token is not None:
            self.send(session, updates.callback(user_id, Confirm(token).pack()))

    def _free_generation(self, session, rng, user_id):
        self._generate(session, user_id, "demo-text", f"бесплатно {next(self._ids)}")

    def _paid_generation(self, session, rng, user_id):
        self._generate(session, user_id, "demo-text-pro", f"платно {next(self._ids)}", ("choice", 0))

    def _payment(self, session, rng, user_id):
        with self._lock:
            if self.callbacks and rng.random() < 0.3:
                callback = rng.choice(self.callbacks)  # the provider sends it again
            else:
                callback = Callback(f"drill-{next(self._ids)}", user_id,
                                    Decimal(rng.randint(1, 50)) * 10)
                self.callbacks.append(callback)
        status = self.post_callback(session, callback)
        with self._lock:
            callback.statuses.append(status)

    def post_callback(self, session, callback: Callback) -> int:
        raw = callback.body
        return session.post(self.url + "/payments/callback", data=raw, timeout=30,
                            headers={"Content-Type": "application/json",
                                     "X-Signature": signature_of(self.secret, raw)}).status_code

    # -- afterwards -------------------------------------------------------------------

    def redeliver_unacknowledged(self, url: str | None = None) -> int:
        """Send again every callback that never got a 200, as a provider retries."""
        session = requests.Session()
        if url:
            self.url = url
        pending = [c for c in self.callbacks if 200 not in c.statuses]
        for callback in pending:
            callback.statuses.append(self.post_callback(session, callback))
        return len(pending)

    @property
    def distinct_total(self) -> Decimal:
        return sum((c.amount for c in self.callbacks), Decimal("0"))


def updates_sender(update: dict) -> int:
    event = update.get("message") or update.get("callback_query") or {}
    return event["from"]["id"]


def job_endings_told(bot_api) -> Counter:
    """How many times each job's end was told: the message that tells it (result or
    failure) is the one carrying the job's "repeat" button, ``gen:r:<job id>``."""
    told: Counter = Counter()
    for _method, params in list(bot_api.calls):
        for data in inline_buttons(params).values():
            button = Repeat.unpack(data)
            if button is not None:
                told[button.job_id] += 1
    return told
