"""The generation part of the bot: which models a user is offered, running a job
through its provider, and the one path that ends a job.

Ordering a job (models, inputs, confirm) is ``core.generation.ordering``; what the user sees while
it runs is ``core.generation.progress``; telling them how it ended, and sending a result again,
is ``core.generation.delivery``; finding it later is ``core.generation.history``. Here, worker threads run a
job through its provider plugin (``run_job``), and whoever ends the job (``end_job``,
the one way a job ends: worker, provider callback, cancel, sweeper, cleanup) settles
its money, tells the plugins and has the delivery tell the user.

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
from core.generation.catalog import title_of
from core.generation.contract import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
)
from core.generation.delivery import LEASE_MARGIN_S, Delivery
from core.generation.events import GenerationEvent
from core.generation.history import History
from core.generation.jobs import Job
from core.generation.ordering import Ordering
from core.generation.progress import Progress

log = logging.getLogger("genbot.generation")


class Generation:
    """The generation part of the bot for one App: what is offered, and running jobs;
    it holds the flow (``ordering``), the delivery, the progress and the history."""

    def __init__(self, app, catalog, providers: dict):
        self.app = app
        self.catalog = catalog  # every model whose provider runs
        self.providers = providers
        self.listed = self._listed(catalog, providers)  # what users are offered
        self.delivery = Delivery(app, catalog)
        self.progress = Progress(app, on_ended=self.delivery.show_ending_again)
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
                set_task_id=lambda task_id: self.app.jobs.set_task_id(job.id, task_id),
                stream=lambda text, usage=None: self.progress.stream(job.id, text, usage))
            started = time.monotonic()
            try:
                self.progress.watch(job, title_of(model, job.model_id))
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
                # No tick may edit the message the ending uses; a streamed answer's
                # messages go to the delivery, which puts the final text into them.
                streamed = self.progress.forget(job.id)
            if outcome is not None:
                status, details = outcome
                self._finish_from_worker(job, status, started=started, streamed=streamed, **details)

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
        return despite_outage(f"job {job.id}: finishing", self.app.config.job_lock_ttl_s,
                              lambda: self.finish(job.id, status, **details))

    def finish(self, job_id: int, status: str, *, output: GenerationOutput | None = None,
               error_code: str | None = None, error_message: str | None = None,
               reason: str | None = None, started: float | None = None,
               streamed: list[tuple[int, str]] | None = None) -> bool:
        """Finish a running job (worker or provider callback); True if this call did it."""
        duration = int((time.monotonic() - started) * 1000) if started else None
        return self.end_job(job_id, status, output=output, error_code=error_code,
                            error_message=error_message, reason=reason,
                            duration_ms=duration, streamed=streamed) is not None

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
                deadline_s: float | None = None, streamed: list[tuple[int, str]] | None = None) -> Job | None:
        """The one way a job ends — worker, provider callback, cancel, sweeper, cleanup:
        settle its money (once), tell the plugins, tell the user. None if it had ended.
        ``streamed``: the messages the answer was streamed into (with what each shows),
        for the final text."""
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        # Ending: this process's ticker lets go of its messages (a cancel mid-stream).
        streamed = self.progress.forget(job_id, ended=True) or streamed
        try:  # whoever ends the job holds the claim to tell its user
            job = self.app.jobs.finish(job_id, status, result=output.to_json() if output else None,
                                       error_code=error_code, error_message=error_message,
                                       failure_reason=reason, expect=expect, user_id=user_id,
                                       delivery_lease_s=deadline_s + LEASE_MARGIN_S,
                                       charge=lambda job: self._charge(job, output))
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
                                reason="unavailable", deadline_s=deadline_s, streamed=streamed)
        if job is None:
            return None
        if reason == "account":
            # Not the user's doing and not passing: the operator must act (top up, a new key).
            log.error("provider %s cannot be used: %s: %s. Job %s of user %s (%s) failed at once, its "
                      "hold released; /readyz and `genbot doctor` show %s failing until one of its "
                      "jobs succeeds", job.provider, error_code, error_message, job.id, job.user_id,
                      job.model_id, job.provider)
        elif status in ("failed", "timeout"):
            # The detail is for the operator; the user is told the reason in plain words.
            log.warning("job %s of user %s (%s) ended %s: %s: %s", job.id, job.user_id,
                        job.model_id, status, error_code, error_message)
        elif status == "cancelled":
            log.info("job %s of user %s (%s) cancelled; hold %s released", job.id, job.user_id,
                     job.model_id, job.reservation_id)
        self._emit_finished(job, duration_ms)
        self.delivery.tell(job, deadline_s=deadline_s, claimed=True, streamed=streamed)
        return job

    def _charge(self, job: Job, output: GenerationOutput | None) -> Decimal:
        """What a succeeded job costs: its price, or for a model priced by usage what the
        provider reports it used, never more than was held."""
        model = self.catalog.get(job.model_id)
        if model is None or model.usage is None:
            return job.price_rub
        if output is None or output.usage is None:
            log.warning("job %s (%s): the provider reported no usage; charged the hold %s",
                        job.id, job.model_id, job.price_rub)
        return model.usage.charge(output.usage if output else None, job.price_rub)

    def cancel_job(self, ctx, job_id: int, deadline_s: float) -> Job | None:
        """The user pressed ⛔: end the job as cancelled (its hold goes back)."""
        return self.end_job(job_id, "cancelled", expect=("queued", "running"),
                            error_code="cancelled", user_id=ctx.user_id, deadline_s=deadline_s)

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
        provider, lang, title = self.providers[model.provider], current_language(), title_of(model)
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
                    self.delivery.send_output(
                        chat_id, output, t("gen_done_free", model=title),
                        inline_keyboard([[(t("gen_btn_menu"), "gen:menu")]]), what="offline generation",
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
