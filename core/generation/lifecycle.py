"""A job's life once queued: a worker runs it through its provider, and ``end`` ends it.

Ordering a job (models, inputs, confirm) is ``core.generation.ordering``; what the user
sees while it runs is ``core.generation.progress``; telling them how it ended is
``core.generation.delivery``; finding it later is ``core.generation.history``. Here,
worker threads run a job through its provider plugin (``run_job``), and whoever ends the
job — its worker, a provider's callback, the user's ⛔, the sweeper, cleanup — calls
``end`` with an ``Ending``: it settles the money (``JobQueue.settle``, once), tells the
plugins, and has the delivery tell the user.

While the database is unreachable, free models of an offline provider (demo) still
answer: the job then runs in a thread of its own and nothing is written.
"""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal

import psycopg2.errors

from core import logs, metrics
from core.bot.menu import inline_keyboard
from core.bot.texts import current_language, language, t
from core.db import UNAVAILABLE_ERRORS, despite_outage
from core.generation.buttons import ToMenu
from core.generation.catalog import title_of
from core.generation.contract import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
)
from core.generation.delivery import LEASE_MARGIN_S, Delivery
from core.generation.events import GenerationEvent
from core.generation.jobs import Ending, Job
from core.generation.offer import Offer
from core.generation.ports import GenerationApp
from core.generation.progress import Progress

log = logging.getLogger("genbot.generation")


class Lifecycle:
    """Running the jobs of one App and ending them: ``end`` is the one way a job ends."""

    def __init__(self, app: GenerationApp, offer: Offer, progress: Progress, delivery: Delivery):
        self.app = app
        self.offer = offer
        self.progress = progress
        self.delivery = delivery

    # -- running jobs ----------------------------------------------------------------------

    def run_job(self, job: Job) -> None:
        """Executed by a worker thread for a claimed job."""
        with logs.bound(request_id=job.request_id, user_id=job.user_id), language(job.lang):
            model = self.offer.catalog.get(job.model_id)
            provider = self.offer.providers.get(job.provider)
            if model is None or provider is None:
                self._end_despite_outage(job, Ending.failed(
                    "model_unavailable", f"model {job.model_id} or provider {job.provider} is not "
                    f"available", "unavailable"), started=None, streamed=None)
                return
            request = GenerationRequest(
                job_id=job.id, user_id=job.user_id, model=model, inputs=job.inputs,
                deadline=time.monotonic() + job.timeout_s,
                finished=lambda: self._finished_elsewhere(job.id), file_url=self.app.input_files.url_for,
                set_task_id=lambda task_id: self.app.jobs.set_task_id(job.id, task_id),
                stream=lambda text, usage=None: self.progress.stream(job.id, text, usage))
            started = time.monotonic()
            try:
                self.progress.watch(job, title_of(model, job.model_id))
            except Exception:  # progress is a courtesy: the job runs all the same
                log.exception("job %s: progress could not be shown", job.id)
            try:
                ending: Ending | None = Ending.succeeded(provider.generate(request))
            except FinishedElsewhere:
                ending = None
            except GenerationFailed as exc:
                ending = Ending.of(exc)
            except Exception as exc:
                log.exception("provider %s failed on job %s", job.provider, job.id)
                ending = Ending.failed("provider_error", f"{type(exc).__name__}: {exc}"[:500])
            finally:
                # No tick may edit the message the ending uses; a streamed answer's
                # messages go to the delivery, which puts the final text into them.
                streamed = self.progress.forget(job.id)
            if ending is not None:
                self._end_despite_outage(job, ending, started=started, streamed=streamed)

    def _finished_elsewhere(self, job_id: int) -> bool:
        """Did a sweeper, a cancel or a provider callback end this job? Not known while
        the database is away: then the worker carries on."""
        try:
            return not self.app.jobs.is_running(job_id)
        except UNAVAILABLE_ERRORS:
            return False

    def _end_despite_outage(self, job: Job, ending: Ending, *, started: float | None,
                            streamed: list[tuple[int, str]] | None) -> None:
        """``end``, retried while the database is away, so a result in hand is not thrown
        away by an outage. The worker keeps the job (and its heartbeat) until the lock
        TTL; past it a sweeper may end the job, and a late end then changes nothing,
        since ending is a conditional transition."""
        duration = int((time.monotonic() - started) * 1000) if started else None
        despite_outage(f"job {job.id}: ending", self.app.config.job_lock_ttl_s,
                       lambda: self.end(job.id, ending, duration_ms=duration, streamed=streamed))

    def end(self, job_id: int, ending: Ending, *, expect: tuple[str, ...] = ("running",),
            user_id: int | None = None, deadline_s: float | None = None, duration_ms: int | None = None,
            streamed: list[tuple[int, str]] | None = None) -> Job | None:
        """The one way a job ends — its worker, a provider's callback, the user's ⛔, the
        sweeper, cleanup: settle its money (once), tell the plugins, tell the user. None
        if it had ended (or was not in ``expect``, or not ``user_id``'s). ``streamed``: the
        messages the answer was streamed into (with what each shows), for the final text."""
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        # Ending: this process's ticker lets go of its messages (a cancel mid-stream).
        streamed = self.progress.forget(job_id, ended=True) or streamed
        try:  # whoever ends the job holds the claim to tell its user
            job = self.app.jobs.settle(job_id, ending, expect=expect, user_id=user_id,
                                       delivery_lease_s=deadline_s + LEASE_MARGIN_S,
                                       charge=lambda job: self._charge(job, ending.output))
        except psycopg2.errors.UndefinedTable as exc:
            if ending.status != "succeeded":
                raise
            # The ledger vanished while the job ran: no charge can be recorded, so the
            # paid result is not given away; the job fails and its hold goes back.
            log.error("job %s: cannot charge its result (%s); failing it, hold released",
                      job_id, logs.first_line(exc))
            return self.end(job_id, Ending.failed("ledger_missing", "payment_transactions table "
                                                  "missing: not charged", "unavailable"),
                            expect=expect, user_id=user_id, deadline_s=deadline_s,
                            duration_ms=duration_ms, streamed=streamed)
        if job is None:
            return None
        self._log_ending(job, ending)
        self._emit_finished(job, duration_ms)
        self.delivery.deliver(job, deadline_s=deadline_s, claimed=True, streamed=streamed)
        return job

    @staticmethod
    def _log_ending(job: Job, ending: Ending) -> None:
        if ending.reason == "account":
            # Not the user's doing and not passing: the operator must act (top up, a new key).
            log.error("provider %s cannot be used: %s: %s. Job %s of user %s (%s) failed at once, its "
                      "hold released; /readyz and `genbot doctor` show %s failing until one of its "
                      "jobs succeeds", job.provider, ending.error_code, ending.error_message, job.id,
                      job.user_id, job.model_id, job.provider)
        elif ending.lost:
            log.warning("job %s recovered as %s (user %s, hold %s released)", job.id, job.status,
                        job.user_id, job.reservation_id)
        elif job.status in ("failed", "timeout"):
            # The detail is for the operator; the user is told the reason in plain words.
            log.warning("job %s of user %s (%s) ended %s: %s: %s", job.id, job.user_id,
                        job.model_id, job.status, ending.error_code, ending.error_message)
        elif job.status == "cancelled":
            log.info("job %s of user %s (%s) cancelled; hold %s released", job.id, job.user_id,
                     job.model_id, job.reservation_id)

    def _charge(self, job: Job, output: GenerationOutput | None) -> Decimal:
        """What a succeeded job costs: its price, or for a model priced by usage what the
        provider reports it used, never more than was held."""
        model = self.offer.catalog.get(job.model_id)
        if model is None or model.usage is None:
            return job.price_rub
        if output is None or output.usage is None:
            log.warning("job %s (%s): the provider reported no usage; charged the hold %s",
                        job.id, job.model_id, job.price_rub)
        return model.usage.charge(output.usage if output else None, job.price_rub)

    def _emit_finished(self, job: Job, duration_ms) -> None:
        metrics.GENERATIONS.labels(job.model_id, job.status).inc()
        status = {"succeeded": "success", "cancelled": "failed"}.get(job.status, job.status)
        self.app.plugins.call("generation_finished", app=self.app, event=GenerationEvent(
            user_id=job.user_id, chat_id=job.chat_id, model_id=job.model_id,
            category=job.category, status=status, is_free_applied=job.is_free,
            price_rub=job.price_rub if job.status == "succeeded" else Decimal("0"),
            request_id=job.request_id, task_id=job.task_id, error_code=job.error_code,
            error_message=job.error_message, duration_ms=duration_ms))

    # -- the database is away ------------------------------------------------------------

    def run_without_database(self, chat_id: int, user_id: int, model, inputs: dict,
                             message_id: int | None) -> None:
        """Free model, offline provider, no database: run it in a thread, write nothing."""
        provider, lang, title = self.offer.providers[model.provider], current_language(), title_of(model)
        if message_id is None:
            message_id = self.app.telegram.send_now(chat_id, t("gen_progress_queued", model=title))
        else:
            self.app.telegram.edit(chat_id, message_id, t("gen_progress_queued", model=title))

        def run():
            request = GenerationRequest(job_id=0, user_id=user_id, model=model, inputs=inputs,
                                        deadline=time.monotonic() + model.timeout_s)
            with language(lang):
                try:
                    output = provider.generate(request)
                    self.delivery.send_output(
                        chat_id, output, t("gen_done_free", model=title),
                        inline_keyboard([[(t("gen_btn_menu"), ToMenu().pack())]]), what="offline generation",
                        give_up=time.monotonic() + self.app.config.delivery_deadline_s)
                except GenerationFailed as exc:
                    log.warning("offline generation for user %s failed: %s: %s", user_id,
                                exc.code, exc.message)
                    self.app.telegram.send_now(chat_id, t(
                        "gen_failed_free", model=title, reason=t(f"gen_reason_{exc.reason}")))
                except Exception:
                    log.exception("offline generation failed")
                self.app.telegram.delete(chat_id, message_id)

        threading.Thread(target=run, name="offline-generation", daemon=True).start()
