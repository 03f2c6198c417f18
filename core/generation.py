"""Running a generation and telling its user how it ended.

Ordering a job (models, inputs, confirm) is ``core.ordering``; what the user sees while
it runs is ``core.progress``; finding it again later is ``core.history``. Here, worker
threads run a job through its provider plugin (``run_job``), and whoever ends the job
(``end_job``, the one way a job ends: worker, provider callback, cancel, sweeper)
settles its money, tells the plugins and tells the user, who counts as told once the
Bot API accepted the message (``tell``).

The user is told once. A result, or why there is none, is one new message (so it
notifies), and the progress message it answers is removed; a cancel, pressed on the
progress message, turns that message into the answer. A failure is told as one of a
few sentences (``core.providers.REASONS``) in the job's language; its detail goes to
the log and stays with the job (``error_code``, ``error_message``). The files Telegram
accepted are remembered by their ``file_id`` so that 🗂 История can send them again.

While the database is unreachable, free models of an offline provider (demo) still
answer: the job then runs in a thread of its own and nothing is written.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg2.errors
from telebot import types
from telebot.apihelper import ApiTelegramException

from core import logs, metrics
from core.db import UNAVAILABLE_ERRORS
from core.events import GenerationEvent
from core.history import History
from core.jobs import Job
from core.menu import inline_keyboard
from core.ordering import Ordering
from core.progress import Progress
from core.providers import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
)
from core.telegram import Undeliverable
from core.texts import current_language, language, money, t

log = logging.getLogger("genbot.generation")

_LEASE_MARGIN_S = 30.0  # a teller that died frees the job this long after its deadline
_GIVE_UP_AFTER = timedelta(days=1)
_TELEGRAM_TEXT_LIMIT = 4096
# The core's own failure codes, as the reasons users are told.
_CORE_REASONS = {"model_unavailable": "unavailable", "ledger_missing": "unavailable",
                 "provider_error": "failed", "timeout": "unavailable"}
# How a file Telegram accepted is sent again, by the Message field that holds it.
_RESEND = {"photo": "send_photo", "video": "send_video", "animation": "send_animation",
           "audio": "send_audio", "document": "send_document", "voice": "send_voice"}


def file_of(message) -> dict | None:
    """{"kind", "file_id"} of the file a sent message carries, or None (a text)."""
    for kind in _RESEND:
        value = getattr(message, kind, None)
        if value:
            file_id = value[-1].file_id if isinstance(value, list) else value.file_id
            return {"kind": kind, "file_id": file_id}
    return None


class Generation:
    """The generation part of the bot for one App: ordering, running, telling, history."""

    def __init__(self, app, catalog, providers: dict):
        self.app = app
        self.catalog = catalog  # every model whose provider runs
        self.providers = providers
        self.listed = self._listed(catalog, providers)  # what users are offered
        self.runner = None  # core.jobs.JobRunner, started by the serve worker
        self.progress = Progress(app, on_ended=self._show_ending_again)
        self.ordering = Ordering(self)
        self.history = History(self)

    def _listed(self, catalog, providers: dict):
        """Demo models are for trying the bot: once a real provider runs they are listed
        to admins only, unless the operator asks for them (SHOW_DEMO_MODELS)."""
        demo = {name for name, p in providers.items() if getattr(p, "demo", False)}
        if not demo or demo == set(providers) or self.app.config.show_demo_models:
            return catalog
        hidden = catalog.only_providers(demo).models
        if hidden:
            log.info("catalog: %d demo model(s) listed to admins only while a real provider "
                     "runs (SHOW_DEMO_MODELS=1 lists them to everyone)", len(hidden))
        return catalog.without_providers(demo)

    def register(self) -> None:
        self.ordering.register()
        self.history.register()

    # -- what a user may see ---------------------------------------------------------------

    def visible(self, model, user_id: int | None) -> bool:
        return model is not None and (model.id in self.listed.models or self.app.is_admin(user_id))

    def models_for(self, user_id: int | None, *, category: str | None = None,
                   free: bool = False) -> list:
        catalog = self.catalog if self.app.is_admin(user_id) else self.listed
        models = catalog.models.values()
        return [m for m in models if (category is None or m.category == category)
                and (not free or m.free)]

    def is_listed(self, model) -> bool:
        return model.id in self.listed.models

    @staticmethod
    def title(model, fallback: str = "") -> str:
        return model.title_in(current_language()) if model is not None else fallback

    # -- running jobs ----------------------------------------------------------------------

    def run_job(self, job: Job) -> None:
        """Executed by a worker thread for a claimed job."""
        with logs.bound(request_id=job.request_id, user_id=job.user_id), language(job.lang):
            model = self.catalog.get(job.model_id)
            provider = self.providers.get(job.provider)
            if model is None or provider is None:
                self._finish_from_worker(job, "failed", error_code="model_unavailable",
                                         error_message=f"model {job.model_id} or provider "
                                                       f"{job.provider} is not available")
                return
            request = GenerationRequest(
                job_id=job.id, user_id=job.user_id, model=model, inputs=job.inputs,
                deadline=time.monotonic() + job.timeout_s,
                finished=lambda: self._finished_elsewhere(job.id), file_url=self.app.input_files.url_for,
                set_task_id=lambda task_id: self.app.jobs.set_task_id(job.id, task_id))
            started = time.monotonic()
            try:
                self.progress.watch(job, self.title(model, job.model_id))
            except Exception:  # progress is a courtesy: the job runs all the same
                log.exception("job %s: progress could not be shown", job.id)
            try:
                outcome = ("succeeded", {"output": provider.generate(request)})
            except FinishedElsewhere:
                outcome = None
            except GenerationTimeout as exc:
                outcome = ("timeout", {"error_code": "timeout", "error_message": exc.message})
            except GenerationFailed as exc:
                outcome = ("failed", {"error_code": exc.code, "error_message": exc.message,
                                      "reason": exc.reason})
            except Exception as exc:
                log.exception("provider %s failed on job %s", job.provider, job.id)
                outcome = ("failed", {"error_code": "provider_error",
                                      "error_message": f"{type(exc).__name__}: {exc}"[:500]})
            finally:
                self.progress.forget(job.id)  # no tick may edit the message the ending uses
            if outcome is not None:
                status, details = outcome
                self._finish_from_worker(job, status, started=started, **details)

    def _finished_elsewhere(self, job_id: int) -> bool:
        """Did a sweeper, a cancel or a provider callback end this job? Not known while
        the database is away: then the worker carries on."""
        try:
            return not self.app.jobs.is_running(job_id)
        except UNAVAILABLE_ERRORS:
            return False

    def _finish_from_worker(self, job: Job, status: str, **details) -> bool:
        """``finish``, retried while the database is away, so a result in hand is not
        thrown away by an outage. The worker keeps the job (and its heartbeat) until
        the lock TTL; past it a sweeper may settle the job, and a late finish then
        changes nothing, since finishing is a conditional transition."""
        return _despite_outage(f"job {job.id}: finishing", self.app.config.job_lock_ttl_s,
                               lambda: self.finish(job.id, status, **details))

    def finish(self, job_id: int, status: str, *, output: GenerationOutput | None = None,
               error_code: str | None = None, error_message: str | None = None,
               reason: str | None = None, started: float | None = None) -> bool:
        """Finish a running job (worker or provider callback); True if this call did it."""
        duration = int((time.monotonic() - started) * 1000) if started else None
        return self.end_job(job_id, status, output=output, error_code=error_code,
                            error_message=error_message, reason=reason,
                            duration_ms=duration) is not None

    def end_lost(self, job_id: int, status: str) -> Job | None:
        """The sweeper's way to end a job whose worker died or whose deadline passed."""
        lost = status == "failed"
        job = self.end_job(job_id, status, error_code="worker_lost" if lost else "timeout",
                           error_message="the worker running this job stopped" if lost
                           else "no result before the deadline")
        if job is not None:
            log.warning("job %s recovered as %s (user %s, hold %s released)", job.id, status,
                        job.user_id, job.reservation_id)
        return job

    def end_job(self, job_id: int, status: str, *, expect: tuple[str, ...] = ("running",),
                user_id: int | None = None, output: GenerationOutput | None = None,
                error_code: str | None = None, error_message: str | None = None,
                reason: str | None = None, duration_ms: int | None = None,
                deadline_s: float | None = None) -> Job | None:
        """The one way a job ends — worker, provider callback, cancel, sweeper, cleanup:
        settle its money (once), tell the plugins, tell the user. None if it had ended."""
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        self.progress.forget(job_id)  # ending: this process's ticker lets go of its message
        try:  # whoever ends the job holds the claim to tell its user
            job = self.app.jobs.finish(job_id, status, result=output.to_json() if output else None,
                                       error_code=error_code, error_message=error_message,
                                       failure_reason=reason, expect=expect, user_id=user_id,
                                       delivery_lease_s=deadline_s + _LEASE_MARGIN_S)
        except psycopg2.errors.UndefinedTable as exc:
            if status != "succeeded":
                raise
            # The ledger vanished while the job ran: no charge can be recorded, so the
            # paid result is not given away; the job fails and its hold goes back.
            log.error("job %s: cannot charge its result (%s); failing it, hold released",
                      job_id, logs.first_line(exc))
            return self.end_job(job_id, "failed", expect=expect, user_id=user_id,
                                error_code="ledger_missing", duration_ms=duration_ms,
                                error_message="payment_transactions table missing: not charged",
                                reason="unavailable", deadline_s=deadline_s)
        if job is None:
            return None
        if status in ("failed", "timeout"):
            # The detail is for the operator; the user is told the reason in plain words.
            log.warning("job %s of user %s (%s) ended %s: %s: %s", job.id, job.user_id,
                        job.model_id, status, error_code, error_message)
        elif status == "cancelled":
            log.info("job %s of user %s (%s) cancelled; hold %s released", job.id, job.user_id,
                     job.model_id, job.reservation_id)
        self._emit_finished(job, duration_ms)
        self.tell(job, deadline_s=deadline_s, claimed=True)
        return job

    def cancel_job(self, ctx, job_id: int, deadline_s: float) -> Job | None:
        """The user pressed ⛔: end the job as cancelled (its hold goes back)."""
        return self.end_job(job_id, "cancelled", expect=("queued", "running"),
                            error_code="cancelled", user_id=ctx.user_id, deadline_s=deadline_s)

    def tell(self, job: Job, *, deadline_s: float | None = None, steal_from: str | None = None,
             claimed: bool = False) -> None:
        """Tell the user how the job ended, unless it is told or being told elsewhere.

        It counts as told only when the Bot API accepted the message. Transient
        failures are retried until ``deadline_s`` and then left to the sweeper; a
        permanent refusal (the user blocked the bot) ends the attempts, and the result
        stays stored with the reason. ``claimed``: the caller holds the claim already
        (it ended the job); ``steal_from``: the claim's holder is known to be dead.
        """
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        lease_s = deadline_s + _LEASE_MARGIN_S
        jobs = self.app.jobs

        def record(what, mark):
            # The marks outlast a database outage (within the lease): a result sent but
            # not marked would be sent again.
            _despite_outage(f"job {job.id}: {what}", lease_s, mark)

        if not claimed and not _despite_outage(
                f"job {job.id}: claiming delivery", lease_s,
                lambda: jobs.claim_delivery(job.id, lease_s, steal_from=steal_from)):
            return
        try:
            with language(job.lang):
                files = self.deliver(job, deadline_s)
        except Undeliverable as exc:
            log.warning("job %s: user %s cannot be told (%s); the result is kept", job.id,
                        job.user_id, exc)
            why = str(exc)[:500]
            record("marking undeliverable", lambda: jobs.delivered(job.id, undeliverable=why))
            return
        except Exception as exc:
            if job.finished_at is not None and \
                    datetime.now(UTC) - job.finished_at > _GIVE_UP_AFTER:
                log.error("job %s: user %s not told for a day (%s); giving up", job.id, job.user_id,
                          logs.first_line(exc))
                why = f"gave up: {logs.first_line(exc)}"[:500]
                record("giving up", lambda: jobs.delivered(job.id, undeliverable=why))
                return
            log.warning("job %s: could not tell user %s (%s); trying again later", job.id,
                        job.user_id, logs.first_line(exc))
            record("deferring delivery", lambda: jobs.deliver_later(job.id, self.app.config.delivery_retry_s))
            return
        record("marking delivered", lambda: jobs.delivered(job.id, files=files))

    def _emit_finished(self, job: Job, duration_ms) -> None:
        metrics.GENERATIONS.labels(job.model_id, job.status).inc()
        status = {"succeeded": "success", "cancelled": "failed"}.get(job.status, job.status)
        self.app.plugins.call("generation_finished", app=self.app, event=GenerationEvent(
            user_id=job.user_id, chat_id=job.chat_id, model_id=job.model_id,
            category=job.category, status=status, is_free_applied=job.is_free,
            price_rub=job.price_rub if job.status == "succeeded" else Decimal("0"),
            request_id=job.request_id, task_id=job.task_id, error_code=job.error_code,
            error_message=job.error_message, duration_ms=duration_ms))

    # -- telling the user ----------------------------------------------------------------

    def deliver(self, job: Job, deadline_s: float) -> list[dict] | None:
        """Tell how the job ended, once; raises when the Bot API did not accept it in time.
        Returns the result's files as Telegram keeps them (``file_of``), if any."""
        title = self.title(self.catalog.get(job.model_id), job.model_id)
        give_up = time.monotonic() + deadline_s
        telegram = self.app.telegram
        if job.status == "succeeded":
            caption = (t("gen_done_free", model=title) if job.is_free
                       else t("gen_done_paid", model=title, price=money(job.price_rub)))
            sent = self.send_output(job.chat_id, GenerationOutput.from_json(job.result), caption,
                                    self.result_keyboard(job), what=f"job {job.id}", give_up=give_up)
            self._remove_progress(job)
            return [ref for ref in map(file_of, sent) if ref] or None
        markup = self.ending_keyboard(job)
        text = self.ending_text(job, title)
        if job.status == "cancelled" and job.progress_message_id \
                and telegram.edit(job.chat_id, job.progress_message_id, text, markup):
            return None  # pressed on the progress message: that message is the answer
        telegram.deliver(lambda: telegram.bot.send_message(job.chat_id, text, reply_markup=markup),
                         what=f"job {job.id}", deadline_s=max(0.0, give_up - time.monotonic()))
        self._remove_progress(job)
        return None

    def ending_text(self, job: Job, title: str) -> str:
        """Why there is no result, in a sentence that says what to do next."""
        if job.status == "cancelled":
            return t("gen_cancelled_free" if job.is_free else "gen_cancelled", model=title)
        if job.error_code == "worker_lost":
            return t("gen_lost_free" if job.is_free else "gen_lost", model=title)
        if job.status == "timeout":
            return t("gen_timeout_free" if job.is_free else "gen_timeout", model=title)
        reason = job.failure_reason or _CORE_REASONS.get(job.error_code or "", "failed")
        return t("gen_failed_free" if job.is_free else "gen_failed", model=title,
                 reason=t(f"gen_reason_{reason}"))

    def ending_keyboard(self, job: Job) -> types.InlineKeyboardMarkup:
        return inline_keyboard([[(t("gen_btn_repeat"), f"gen:r:{job.id}"), (t("gen_btn_menu"), "gen:menu")]])

    def _show_ending_again(self, job_id: int) -> None:
        """A progress tick raced the job's end: put a cancel's words back on the message."""
        job = self.app.jobs.get(job_id)
        if job is not None and job.status == "cancelled" and job.progress_message_id:
            title = self.title(self.catalog.get(job.model_id), job.model_id)
            self.app.telegram.edit(job.chat_id, job.progress_message_id,
                                   self.ending_text(job, title), self.ending_keyboard(job))

    def _remove_progress(self, job: Job) -> None:
        """The answer is a new message: the progress message it answers goes."""
        if job.progress_message_id:
            self.app.telegram.delete(job.chat_id, job.progress_message_id)

    def result_keyboard(self, job: Job) -> types.InlineKeyboardMarkup:
        extra = [button for _plugin, buttons in self.app.plugins.call(
            "result_buttons", app=self.app, result=self.result_of(job)) for button in buttons]
        return inline_keyboard([[(t("gen_btn_repeat"), f"gen:r:{job.id}")]] + [[b] for b in extra]
                               + [[(t("gen_btn_menu"), "gen:menu")]])

    def send_output(self, chat_id: int, output: GenerationOutput, caption: str, markup, *,
                    what: str, give_up: float) -> list:
        """Send a result (text, files or links); the messages Telegram accepted."""
        bot = self.app.telegram.bot
        sent = []

        def reliably(send):
            sent.append(self.app.telegram.deliver(send, what=what,
                                                  deadline_s=max(0.0, give_up - time.monotonic())))

        if output.kind == "text":
            text = output.text or ""
            chunks = [text[i:i + _TELEGRAM_TEXT_LIMIT] for i in range(0, len(text), _TELEGRAM_TEXT_LIMIT)] or [""]
            for chunk in chunks[:-1]:
                reliably(lambda chunk=chunk: bot.send_message(chat_id, chunk))
            reliably(lambda: bot.send_message(chat_id, chunks[-1] or caption, reply_markup=markup))
            return sent
        senders = {"image": bot.send_photo, "animation": bot.send_animation,
                   "video": bot.send_video, "audio": bot.send_audio}
        send = senders.get(output.kind, bot.send_document)
        if output.kind == "audio" and output.files and not output.files[0].mime.startswith("audio/mpeg"):
            send = bot.send_document  # Telegram plays only MP3/M4A as audio
        # An upload is read as it is sent: each attempt gets a fresh file object.
        items = [lambda f=f: types.InputFile(io.BytesIO(f.data), f.name) for f in output.files] + \
                [lambda u=u: u for u in output.urls]
        for index, item in enumerate(items):
            last = index == len(items) - 1
            reliably(lambda item=item, last=last: send(chat_id, item(), caption=caption if last else None,
                                                       reply_markup=markup if last else None))
        return sent

    def remember_files(self, job_id: int, sent: list) -> None:
        """Keep the file_ids Telegram gave the result, for 🗂 История; a courtesy."""
        files = [ref for ref in map(file_of, sent) if ref]
        if files:
            try:
                self.app.jobs.set_delivered_files(job_id, files)
            except Exception as exc:
                log.warning("job %s: file ids not kept (%s)", job_id, logs.first_line(exc))

    def send_again(self, job: Job, chat_id: int, caption: str, markup, deadline_s: float) -> bool:
        """The result once more: by its Telegram file_ids, else from the stored result
        (a result never delivered has no file_id yet). False if neither is there."""
        bot = self.app.telegram.bot
        if job.delivered_files:
            try:
                for index, ref in enumerate(job.delivered_files):
                    last = index == len(job.delivered_files) - 1
                    getattr(bot, _RESEND[ref["kind"]])(chat_id, ref["file_id"],
                                                       caption=caption if last else None,
                                                       reply_markup=markup if last else None)
                return True
            except (ApiTelegramException, KeyError) as exc:  # the file_id no longer works
                log.info("job %s: sending by file_id failed (%s); sending the stored result",
                         job.id, logs.first_line(exc))
        if job.result:
            sent = self.send_output(chat_id, GenerationOutput.from_json(job.result), caption, markup,
                                    what=f"job {job.id} again", give_up=time.monotonic() + deadline_s)
            self.remember_files(job.id, sent)
            return True
        return False

    def result_of(self, job: Job) -> dict:
        output = GenerationOutput.from_json(job.result) if job.result else None
        return {"id": job.id, "user_id": job.user_id, "model_id": job.model_id,
                "inputs": job.inputs, "outputs": output.summary() if output else None,
                "status": "success" if job.status == "succeeded" else job.status}

    def generation_result(self, user_id: int, job_id: int) -> dict | None:
        """A finished job of this user as plugins see it (e.g. to save it in a project)."""
        job = self.app.jobs.get(job_id)
        if job is None or job.user_id != user_id or job.status != "succeeded":
            return None
        return self.result_of(job)

    # -- the database is away ------------------------------------------------------------

    def run_without_database(self, chat_id: int, user_id: int, model, inputs: dict,
                             message_id: int | None) -> None:
        """Free model, offline provider, no database: run it in a thread, write nothing."""
        provider, lang, title = self.providers[model.provider], current_language(), self.title(model)
        if message_id is None:
            message_id = self.app.telegram.bot.send_message(
                chat_id, t("gen_progress_queued", model=title)).message_id
        else:
            self.app.telegram.edit(chat_id, message_id, t("gen_progress_queued", model=title))

        def run():
            request = GenerationRequest(job_id=0, user_id=user_id, model=model, inputs=inputs,
                                        deadline=time.monotonic() + model.timeout_s)
            with language(lang):
                try:
                    output = provider.generate(request)
                    self.send_output(chat_id, output, t("gen_done_free", model=title),
                                     inline_keyboard([[(t("gen_btn_menu"), "gen:menu")]]),
                                     what="offline generation",
                                     give_up=time.monotonic() + self.app.config.delivery_deadline_s)
                except GenerationFailed as exc:
                    log.warning("offline generation for user %s failed: %s: %s", user_id,
                                exc.code, exc.message)
                    self.app.telegram.bot.send_message(chat_id, t(
                        "gen_failed_free", model=title, reason=t(f"gen_reason_{exc.reason}")))
                except Exception:
                    log.exception("offline generation failed")
                self.app.telegram.delete(chat_id, message_id)

        threading.Thread(target=run, name="offline-generation", daemon=True).start()


def _despite_outage(what: str, limit_s: float, work):
    """``work()``, retried with backoff while the database is unreachable, for up to
    ``limit_s`` seconds; then the last error."""
    give_up = time.monotonic() + limit_s
    delay = 0.5
    while True:
        try:
            return work()
        except UNAVAILABLE_ERRORS as exc:
            if time.monotonic() + delay > give_up:
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what,
                        logs.first_line(exc), delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
