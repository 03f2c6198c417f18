"""What the user sees while a job runs: one progress message, kept alive.

The message says which model works, for how long so far, and how long it usually
takes (the model's recent durations, from the ``generation_estimate`` hook; nothing
when no plugin knows). Every edit carries the cancel button: an edit without
``reply_markup`` drops the keyboard. A ticker thread, one per process, sends
``sendChatAction`` ("sending a photo…", which Telegram shows for about 5 s) and edits
the elapsed time every few seconds — far below Telegram's per-chat limit, and the
rate limiter in ``core.telegram.client`` counts each edit anyway. The worker only registers
its job: the first sign of life comes from the ticker half a second in, so a quick job
costs no progress call at all.

A text model's answer is streamed into the same message (``stream``): shown at once at
the first words, then at most once a second (Telegram's pace for one chat; each edit
counts), on more messages once it passes Telegram's 4,096 characters (``pages``); the
cancel button rides on the last one. What has been shown is written to the job
(``partial_output``) after each edit, so a cancel pressed in any process charges for
what the user read. The worker hands the messages over when it lets go of the job
(``forget``), and the delivery puts the final text into them.

A cancel pressed in another process may race a tick: after each edit the ticker reads
the job's status, and if it ended meanwhile it puts the ending's words back
(``on_ended``), so the message never goes back to "generating…" after a cancel.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from core.bot.menu import inline_keyboard
from core.bot.texts import language, t
from core.db import UNAVAILABLE_ERRORS
from core.generation.buttons import CancelJob
from core.generation.contract import FinishedElsewhere
from core.generation.ports import GenerationApp
from core.telegram.client import pages

log = logging.getLogger("genbot.progress")

# The chat action for each category, as Telegram names them.
ACTIONS = {"image": "upload_photo", "video": "upload_video", "audio": "upload_voice",
           "text": "typing"}
ACTION_EVERY_S = 4.5  # Telegram shows an action for 5 s or until the next message
# A job done sooner than this needs no sign of life: its result is the answer. So the
# worker itself never waits on a progress call; the ticker starts after these.
FIRST_ACTION_S = 0.5
FIRST_EDIT_S = 1.0
# A streamed answer is edited at most this often: Telegram asks for no more than about
# one message a second in a chat, and an edit is a message to its limits.
STREAM_EDIT_EVERY_S = 1.0


def edit_every(elapsed_s: float) -> float:
    """Seconds between elapsed-time edits: often at first, calmer for long jobs."""
    return 5.0 if elapsed_s < 60 else 15.0


def clock(seconds: float) -> str:
    """0:07, 1:05, 12:30, 1:02:03."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def about(seconds: float) -> str:
    """A rough duration for people: "20 с", "3 мин"."""
    if seconds < 60:
        return t("dur_seconds", n=max(5, int(round(seconds / 5.0)) * 5))
    return t("dur_minutes", n=max(1, int(round(seconds / 60.0))))


def cancel_keyboard(callback_data: str):
    return inline_keyboard([[(t("gen_btn_cancel_job"), callback_data)]])


def progress_text(title: str, *, elapsed_s: float | None = None,
                  estimate_s: float | None = None) -> str:
    """"queued" before a worker took the job (``elapsed_s`` None), then "generating"."""
    if elapsed_s is None:
        lines = [t("gen_progress_queued", model=title)]
    else:
        lines = [t("gen_progress_running", model=title, elapsed=clock(elapsed_s))]
    if estimate_s:
        lines.append(t("gen_progress_estimate", estimate=about(estimate_s)))
    lines.append(t("gen_progress_hint"))
    return "\n".join(lines)


@dataclass
class _Watch:
    job_id: int
    model_id: str
    chat_id: int
    category: str | None
    title: str
    lang: str | None
    message_id: int | None
    started: float
    last_edit: float
    last_action: float
    estimate_s: float | None = None
    estimated: bool = False
    ended: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # A streamed answer: the text so far, the messages showing it (the progress message
    # first) and what each shows; the last one carries the cancel button.
    text: str | None = None
    messages: list = field(default_factory=list)
    shown: list = field(default_factory=list)
    last_stream_edit: float = float("-inf")
    usage: dict | None = None  # {"input_tokens", "output_tokens"} so far, if reported


class Progress:
    """The progress messages of the jobs this process runs."""

    def __init__(self, app: GenerationApp, *, on_ended=None, tick_s: float = 0.5):
        self.app = app
        self.on_ended = on_ended  # (job id) -> put the ending's words back, if any
        self.tick_s = tick_s
        self._watches: dict[int, _Watch] = {}
        self._ended: set[int] = set()  # jobs ended here while their worker still streams
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def estimate(self, model_id: str) -> float | None:
        """How long the model usually takes, if a plugin knows (generation_events does)."""
        for _plugin, seconds in self.app.plugins.call("generation_estimate", app=self.app,
                                                       model_id=model_id):
            if seconds:
                return float(seconds)
        return None

    def watch(self, job, title: str) -> None:
        """A worker took ``job``: keep its message alive until ``forget``."""
        now = time.monotonic()
        watch = _Watch(job.id, job.model_id, job.chat_id, job.category, title, job.lang,
                       job.progress_message_id, now,
                       last_edit=now - edit_every(0) + FIRST_EDIT_S,
                       last_action=now - ACTION_EVERY_S + FIRST_ACTION_S)
        with self._lock:
            self._watches[job.id] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="job-progress", daemon=True)
                self._thread.start()

    def forget(self, job_id: int, *, ended: bool = False) -> list[tuple[int, str]] | None:
        """No tick touches the job's message from now on: the worker is done with it, or
        (``ended``) the job ended while its worker still works — then the worker's next
        ``stream`` stops it. The messages a streamed answer is shown in, with the text
        each shows, if any."""
        with self._lock:
            watch = self._watches.pop(job_id, None)
            if ended and watch is not None:
                self._ended.add(job_id)
            elif not ended:
                self._ended.discard(job_id)
        if watch is None:
            return None
        with watch.lock:  # wait for a tick of this job that is under way
            watch.ended = True
            return [(message_id, watch.shown[i] if i < len(watch.shown) else "")
                    for i, message_id in enumerate(watch.messages)] or None

    def stream(self, job_id: int, text: str, usage: dict | None = None) -> None:
        """More of a text answer (and the usage so far, if the provider reports it): shown
        now if the last edit is a second old, else by the ticker when it is. Raises
        ``FinishedElsewhere`` once the job has ended."""
        with self._lock:
            watch = self._watches.get(job_id)
            if watch is None and job_id in self._ended:  # cancelled here, mid-answer
                self._ended.discard(job_id)
                raise FinishedElsewhere()
        if watch is None or not text.strip():
            return
        with watch.lock:
            if watch.ended:
                raise FinishedElsewhere()
            watch.text = text
            watch.usage = usage or watch.usage
            if time.monotonic() - watch.last_stream_edit >= STREAM_EDIT_EVERY_S:
                try:
                    self._show_text(watch)
                except Exception:  # showing is a courtesy: the answer goes on regardless
                    log.exception("job %s: the streamed text could not be shown", job_id)

    def stop(self) -> None:
        self._stop.set()

    # -- the ticker ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            with self._lock:
                watches = list(self._watches.values())
            for watch in watches:
                try:
                    self._tick(watch)
                except Exception:  # progress is a courtesy: never stop the ticker over it
                    log.exception("progress of job %s", watch.job_id)

    def _tick(self, watch: _Watch) -> None:
        with watch.lock:
            if watch.ended:
                return
            now = time.monotonic()
            if now - watch.last_action >= ACTION_EVERY_S:
                watch.last_action = now
                self.app.telegram.chat_action(watch.chat_id, ACTIONS.get(watch.category or "", "typing"))
            if watch.text is not None:  # streaming: the text is the sign of life
                if watch.shown != pages(watch.text) and now - watch.last_stream_edit >= STREAM_EDIT_EVERY_S:
                    self._show_text(watch)
                return
            elapsed = now - watch.started
            if now - watch.last_edit < edit_every(elapsed):
                return
            watch.last_edit = now
            self._refresh(watch, elapsed)

    def _refresh(self, watch: _Watch, elapsed: float) -> None:
        """Edit, then make sure the job had not ended meanwhile (under ``watch.lock``)."""
        self._edit(watch, elapsed)
        self._check_ended(watch)

    def _show_text(self, watch: _Watch) -> None:
        """Put the streamed text so far into the job's messages (under ``watch.lock``):
        edit the pages that changed, send the pages that are new."""
        watch.last_stream_edit = time.monotonic()
        if not watch.messages:
            message_id = self._message_of(watch)
            if message_id is None:
                return
            watch.messages.append(message_id)
        with language(watch.lang):
            markup = cancel_keyboard(CancelJob(watch.job_id).pack())
        text = watch.text or ""
        wanted = pages(text)
        telegram = self.app.telegram
        for index, page in enumerate(wanted):
            last = index == len(wanted) - 1
            if index < len(watch.messages):
                # A page that was the last one loses the button when the next one comes.
                was_last = index == len(watch.shown) - 1
                if index < len(watch.shown) and watch.shown[index] == page and was_last == last:
                    continue
                telegram.edit(watch.chat_id, watch.messages[index], page, markup if last else None)
            else:
                watch.messages.append(telegram.bot.send_message(
                    watch.chat_id, page, reply_markup=markup).message_id)
        watch.shown = wanted
        try:  # what the user has now read is what a cancel charges for
            self.app.jobs.keep_partial(watch.job_id, text, watch.usage)
        except UNAVAILABLE_ERRORS:
            pass
        self._check_ended(watch)

    def _check_ended(self, watch: _Watch) -> None:
        """The job ended elsewhere while an edit was on its way: say so, once."""
        try:
            status = self.app.jobs.status(watch.job_id)
        except UNAVAILABLE_ERRORS:
            return
        if status not in ("queued", "running"):
            watch.ended = True  # ended elsewhere while this edit was on its way
            # A stream's later pages are known to this process only: they go, and the
            # first one, the progress message, says how the job ended.
            for message_id in watch.messages[1:]:
                self.app.telegram.delete(watch.chat_id, message_id)
            del watch.messages[1:]
            if self.on_ended is not None:
                with language(watch.lang):
                    self.on_ended(watch.job_id)

    def _message_of(self, watch: _Watch) -> int | None:
        """The job's progress message, if known (the request that queued the job may not
        have said it yet when the worker took the job: it is read from the job then)."""
        if watch.message_id is None:
            try:
                watch.message_id = self.app.jobs.progress_message(watch.job_id)
            except UNAVAILABLE_ERRORS:
                return None
        return watch.message_id

    def _edit(self, watch: _Watch, elapsed: float) -> None:
        if not watch.estimated:  # asked here, off the worker's way
            watch.estimated = True
            watch.estimate_s = self.estimate(watch.model_id)
        message_id = self._message_of(watch)
        if message_id is None:
            return
        with language(watch.lang):
            text = progress_text(watch.title, elapsed_s=elapsed, estimate_s=watch.estimate_s)
            markup = cancel_keyboard(CancelJob(watch.job_id).pack())
        self.app.telegram.edit(watch.chat_id, message_id, text, markup)
