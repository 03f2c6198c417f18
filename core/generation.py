"""Generation as the user meets it: categories → model → inputs → confirm → result.

The draft (model, inputs so far, step) lives in ``conversation_state`` so every serve
process sees it. Confirming queues a job in the same transaction that holds its price
or uses a free generation; a double tap finds the job the first tap made (the
draft's key is unique). Worker threads run the job through its provider plugin
(``run_job``); whoever ends the job (``end_job``, the one way a job ends) tells the
plugins and the user; the user counts as told once the Bot API accepted the message
(``tell``). While the database is unreachable, free models of an offline provider (demo)
still answer: the job then runs in a thread of its own and nothing is written.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg2.errors
from telebot import types

from core import logs, metrics
from core.balances import InsufficientFunds
from core.catalog import CATEGORIES
from core.db import UNAVAILABLE_ERRORS
from core.dispatch import DEGRADED_ERRORS
from core.events import GenerationEvent
from core.jobs import FreeQuotaExhausted, Job, TooManyActiveJobs
from core.menu import inline_keyboard
from core.providers import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
)
from core.telegram import Undeliverable
from core.texts import t

log = logging.getLogger("genbot.generation")

FLOW = "gen"
_IN_REQUEST_DEADLINE_S = 5.0  # telling from a webhook request: short, the sweeper retries
_LEASE_MARGIN_S = 30.0  # a teller that died frees the job this long after its deadline
_GIVE_UP_AFTER = timedelta(days=1)
_URL = re.compile(r"^https?://[^\s]{3,2000}$")
_TELEGRAM_TEXT_LIMIT = 4096


def _money(value) -> str:
    return f"{value:,.2f}".replace(",", " ")


def _price(model) -> str:
    return t("gen_price_free") if model.free else t("gen_price", price=_money(model.price_rub))


class Generation:
    """The generation part of the bot for one App: handlers, job execution, delivery."""

    def __init__(self, app, catalog, providers: dict):
        self.app = app
        self.catalog = catalog
        self.providers = providers
        self.runner = None  # core.jobs.JobRunner, started by the serve worker

    # -- registration ------------------------------------------------------------------

    def register(self) -> None:
        app = self.app
        for order, category in enumerate(self.catalog.categories()):
            app.add_button(CATEGORIES[category], self._category_handler(category),
                           order=10 + order, needs_db=False)
        if self.catalog.free():
            app.add_button(t("btn_free"), self.show_free, order=20, needs_db=False)
        app.router.callback("gen", self.on_callback, needs_db=False)
        app.router.text(self.on_text, needs_db=False)

    def _category_handler(self, category):
        def show_category(ctx):
            self.show_models(ctx, self.catalog.in_category(category),
                             t("gen_category", title=CATEGORIES[category]))
        return show_category

    # -- choosing ------------------------------------------------------------------------

    def show_models(self, ctx, models, heading: str) -> None:
        rows = [[(f"{m.title} — {_price(m)}", f"gen:m:{m.id}")] for m in models]
        ctx.reply(heading, inline_keyboard(rows + [[(t("gen_btn_menu"), "gen:menu")]]))

    def show_free(self, ctx) -> None:
        try:
            left = self.app.jobs.free_left(ctx.user_id)
            heading = t("gen_free_list", quota=self.app.jobs.free_quota, left=left)
        except DEGRADED_ERRORS:
            heading = t("gen_free_list_offline")
        self.show_models(ctx, self.catalog.free(), heading)

    def start_draft(self, ctx, model_id: str, inputs: dict | None = None) -> None:
        model = self.catalog.get(model_id)
        if model is None:
            ctx.reply(t("gen_model_gone"))
            return
        provider = self.providers.get(model.provider)
        if getattr(provider, "needs_file_urls", False) and not self.app.input_files.can_share \
                and any(field.type == "image" for field in model.inputs):
            log.warning("model %s takes a photo, which provider %s fetches by URL: set WEBHOOK_URL "
                        "so genbot can serve it", model.id, model.provider)
            ctx.reply(t("gen_photo_unsupported", model=model.title))
            return
        if not model.free:
            # Raises, naming the table, when money cannot move: the user is told now
            # ("База временно недоступна"), not after typing every input.
            self.app.balances.check_tables()
        draft = {"model": model.id, "inputs": dict(inputs or {}), "step": 0,
                 "token": secrets.token_hex(6)}
        if inputs:
            draft["step"] = len(model.inputs)
        else:
            description = f"{model.description}\n" if model.description else ""
            ctx.reply(t("gen_model_card", title=model.title, description=description,
                        price=_price(model)))
        self._save(ctx, draft)
        self.ask_next(ctx, model, draft)

    def _save(self, ctx, draft: dict) -> None:
        self.app.conversations.set(ctx.user_id, FLOW, draft)

    def _draft(self, ctx):
        state = self.app.conversations.get(ctx.user_id)
        if state is None or state[0] != FLOW:
            return None, None
        draft = state[1]
        return self.catalog.get(draft.get("model", "")), draft

    def ask_next(self, ctx, model, draft: dict) -> None:
        if draft["step"] >= len(model.inputs):
            self.show_confirm(ctx, model, draft)
            return
        field = model.inputs[draft["step"]]
        cancel = [(t("gen_btn_cancel"), "gen:x")]
        skip = [(t("gen_btn_skip"), "gen:s")] if field.optional else []
        if field.type == "choice":
            rows = [[(("• " if c == field.default else "") + c, f"gen:c:{i}")]
                    for i, c in enumerate(field.choices)]
            ctx.reply(t("gen_ask_choice", label=field.label), inline_keyboard(rows + [skip, cancel]))
        elif field.type == "image":
            ctx.reply(t("gen_ask_image", label=field.label), inline_keyboard([skip, cancel]))
        else:
            ctx.reply(t("gen_ask_text", label=field.label, limit=field.max_length),
                      inline_keyboard([skip, cancel]))

    def _accept(self, ctx, model, draft, value) -> None:
        field = model.inputs[draft["step"]]
        if value is not None:
            draft["inputs"][field.name] = value
        elif field.default is not None:
            draft["inputs"][field.name] = field.default
        draft["step"] += 1
        self._save(ctx, draft)
        self.ask_next(ctx, model, draft)

    def on_text(self, ctx) -> bool:
        model, draft = self._draft(ctx)
        if draft is None:
            return False
        if model is None or draft["step"] >= len(model.inputs):
            ctx.reply(t("gen_draft_gone"))
            self.app.conversations.clear(ctx.user_id, FLOW)
            return True
        field = model.inputs[draft["step"]]
        text = ctx.text or ""
        if field.type == "text":
            if not text.strip():
                ctx.reply(t("gen_text_empty"))
            elif len(text) > field.max_length:
                ctx.reply(t("gen_text_too_long", limit=field.max_length, length=len(text)))
            else:
                self._accept(ctx, model, draft, text.strip())
        elif field.type == "image":
            photo = getattr(ctx.message, "photo", None)
            if photo:
                self._accept(ctx, model, draft, {"telegram_file_id": photo[-1].file_id})
            elif _URL.match(text.strip()):
                self._accept(ctx, model, draft, {"url": text.strip()})
            else:
                ctx.reply(t("gen_image_bad"))
        else:
            if text.strip() in field.choices:
                self._accept(ctx, model, draft, text.strip())
            else:
                ctx.reply(t("gen_choice_bad"))
        return True

    def show_confirm(self, ctx, model, draft: dict) -> None:
        shown = []
        for field in model.inputs:
            value = draft["inputs"].get(field.name)
            if isinstance(value, dict):
                value = "фото" if "telegram_file_id" in value else value.get("url")
            if value is not None:
                value = str(value)
                shown.append(f"• {field.label}: {value[:200]}{'…' if len(value) > 200 else ''}")
        lines = [t("gen_confirm", model=model.title, inputs="\n".join(shown), price=_price(model))]
        try:
            if model.free:
                lines.append(t("gen_confirm_free_left", left=self.app.jobs.free_left(ctx.user_id)))
            else:
                lines.append(t("gen_confirm_balance", balance=_money(self.app.balances.get(ctx.user_id))))
        except DEGRADED_ERRORS:
            pass
        ctx.reply("\n".join(lines), inline_keyboard([
            [(t("gen_btn_go", price=_price(model)), f"gen:go:{draft['token']}")],
            [(t("gen_btn_cancel"), "gen:x")]]))

    # -- buttons ------------------------------------------------------------------------

    def on_callback(self, ctx, payload: str) -> None:
        action, _, arg = payload.partition(":")
        if action == "go":
            self.confirm(ctx, arg)
            return
        ctx.answer_callback()
        if action == "m":
            self.start_draft(ctx, arg)
        elif action == "c" or action == "s":
            model, draft = self._draft(ctx)
            if draft is None or model is None or draft["step"] >= len(model.inputs):
                ctx.reply(t("gen_draft_gone"))
                return
            field = model.inputs[draft["step"]]
            if action == "s":
                if field.optional:
                    self._accept(ctx, model, draft, None)
            elif field.type == "choice" and arg.isdigit() and int(arg) < len(field.choices):
                self._accept(ctx, model, draft, field.choices[int(arg)])
            else:
                ctx.reply(t("gen_draft_gone"))
        elif action == "x":
            self.app.conversations.clear(ctx.user_id, FLOW)
            ctx.reply_with_menu(t("cancelled"))
        elif action == "menu":
            ctx.reply_with_menu(t("welcome_back", name=(ctx.user.first_name if ctx.user else "")))
        elif action == "r" and arg.isdigit():
            job = self.app.jobs.get(int(arg))
            if job is None or job.user_id != ctx.user_id:
                ctx.reply(t("gen_draft_gone"))
            else:
                self.start_draft(ctx, job.model_id, job.inputs)
        elif action == "cancel" and arg.isdigit():
            self.cancel_job(ctx, int(arg))
        else:
            ctx.reply(t("stale_button"))

    def confirm(self, ctx, token: str) -> None:
        model, draft = self._draft(ctx)
        draft_key = f"{ctx.user_id}:{token}"
        if draft is None or draft.get("token") != token or model is None \
                or draft["step"] < len(model.inputs):
            ctx.answer_callback(t("gen_already") if self._job_exists(draft_key) else t("gen_draft_gone"))
            return
        if model.provider not in self.providers:
            ctx.answer_callback(t("gen_model_gone"), alert=True)
            return
        try:
            with self.app.db.transaction() as tx:
                job_id, created = self.app.jobs.create(
                    tx, user_id=ctx.user_id, chat_id=ctx.chat_id, model=model,
                    inputs=draft["inputs"], draft_key=draft_key, request_id=logs.current("request_id"))
        except InsufficientFunds as exc:
            ctx.answer_callback()
            ctx.reply(t("gen_no_funds", price=_money(model.price_rub), balance=_money(exc.balance)))
            return
        except FreeQuotaExhausted as exc:
            ctx.answer_callback()
            ctx.reply(t("gen_quota", quota=exc.quota))
            return
        except TooManyActiveJobs as exc:
            ctx.answer_callback(t("gen_too_many", limit=exc.limit), alert=True)
            return
        except UNAVAILABLE_ERRORS:
            if model.free and getattr(self.providers[model.provider], "offline", False):
                ctx.answer_callback()
                self.app.conversations.clear(ctx.user_id, FLOW)
                self._run_without_database(ctx, model, draft["inputs"])
                return
            raise
        if not created:
            ctx.answer_callback(t("gen_already"))
            return
        ctx.answer_callback()
        self.app.conversations.clear(ctx.user_id, FLOW)
        self.app.plugins.call("generation_started", app=self.app, event=GenerationEvent(
            user_id=ctx.user_id, chat_id=ctx.chat_id, model_id=model.id, category=model.category,
            status="started", is_free_applied=model.free, price_rub=model.price_rub,
            request_id=logs.current("request_id")))
        progress = self.app.telegram.bot.send_message(
            ctx.chat_id, t("gen_started", model=model.title),
            reply_markup=inline_keyboard([[(t("gen_btn_cancel_job"), f"gen:cancel:{job_id}")]]))
        self.app.jobs.set_progress_message(job_id, progress.message_id)
        if self.runner is not None:
            self.runner.wake()

    def _job_exists(self, draft_key: str) -> bool:
        try:
            return self.app.db.fetch_one("SELECT 1 FROM generation_jobs WHERE draft_key = %s",
                                         (draft_key,)) is not None
        except DEGRADED_ERRORS:
            return False

    def cancel_job(self, ctx, job_id: int) -> None:
        job = self.end_job(job_id, "cancelled", expect=("queued", "running"), error_code="cancelled",
                           user_id=ctx.user_id, deadline_s=_IN_REQUEST_DEADLINE_S)
        if job is None:
            ctx.reply(t("gen_cannot_cancel"))

    # -- running jobs ----------------------------------------------------------------------

    def run_job(self, job: Job) -> None:
        """Executed by a worker thread for a claimed job."""
        with logs.bound(request_id=job.request_id, user_id=job.user_id):
            model = self.catalog.get(job.model_id)
            provider = self.providers.get(job.provider)
            if model is None or provider is None:
                self._finish_from_worker(job, "failed", error_code="model_unavailable",
                                         error_message=f"model {job.model_id} or provider "
                                                       f"{job.provider} is not available")
                return
            self._edit_progress(job, t("gen_running", model=model.title))
            request = GenerationRequest(
                job_id=job.id, user_id=job.user_id, model=model, inputs=job.inputs,
                deadline=time.monotonic() + job.timeout_s,
                finished=lambda: self._finished_elsewhere(job.id), file_url=self.app.input_files.url_for,
                set_task_id=lambda task_id: self.app.jobs.set_task_id(job.id, task_id))
            started = time.monotonic()
            try:
                output = provider.generate(request)
            except FinishedElsewhere:
                return
            except GenerationTimeout as exc:
                self._finish_from_worker(job, "timeout", error_code="timeout",
                                         error_message=exc.message, started=started)
                return
            except GenerationFailed as exc:
                self._finish_from_worker(job, "failed", error_code=exc.code,
                                         error_message=exc.message, started=started)
                return
            except Exception as exc:
                log.exception("provider %s failed on job %s", job.provider, job.id)
                self._finish_from_worker(job, "failed", error_code="provider_error",
                                         error_message=f"{type(exc).__name__}: {exc}"[:500],
                                         started=started)
                return
            self._finish_from_worker(job, "succeeded", output=output, started=started)

    def _finished_elsewhere(self, job_id: int) -> bool:
        """Did a sweeper or a provider callback end this job? Not known while the
        database is away: then the worker carries on."""
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
               started: float | None = None) -> bool:
        """Finish a running job (worker or provider callback); True if this call did it."""
        duration = int((time.monotonic() - started) * 1000) if started else None
        return self.end_job(job_id, status, output=output, error_code=error_code,
                            error_message=error_message, duration_ms=duration) is not None

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
                duration_ms: int | None = None, deadline_s: float | None = None) -> Job | None:
        """The one way a job ends — worker, provider callback, cancel, sweeper, cleanup:
        settle its money (once), tell the plugins, tell the user. None if it had ended."""
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        try:  # whoever ends the job holds the claim to tell its user
            job = self.app.jobs.finish(job_id, status, result=output.to_json() if output else None,
                                       error_code=error_code, error_message=error_message,
                                       expect=expect, user_id=user_id,
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
                                deadline_s=deadline_s)
        if job is None:
            return None
        self._emit_finished(job, duration_ms)
        self.tell(job, deadline_s=deadline_s, claimed=True)
        return job

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
            self.deliver(job, deadline_s)
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
        record("marking delivered", lambda: jobs.delivered(job.id))

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

    def _edit_progress(self, job: Job, text: str) -> None:
        if job.progress_message_id:
            try:
                self.app.telegram.bot.edit_message_text(text, job.chat_id, job.progress_message_id)
            except Exception:  # progress is a courtesy: never fail a job over it
                log.debug("could not edit progress of job %s", job.id)

    def deliver(self, job: Job, deadline_s: float) -> None:
        """Send how the job ended; raises when the Bot API did not accept it in time."""
        model = self.catalog.get(job.model_id)
        title = model.title if model else job.model_id
        give_up = time.monotonic() + deadline_s
        if job.status == "succeeded":
            caption = (t("gen_done_free", model=title) if job.is_free
                       else t("gen_done_paid", model=title, price=_money(job.price_rub)))
            self._edit_progress(job, caption)
            self._send_output(job.chat_id, GenerationOutput.from_json(job.result), caption,
                              self._resultinline_keyboard(job), what=f"job {job.id}", give_up=give_up)
            return
        if job.status == "cancelled":
            text = t("gen_cancelled")
        elif job.error_code == "worker_lost":
            text = t("gen_lost", model=title)
        elif job.status == "timeout":
            text = t("gen_timeout_free" if job.is_free else "gen_timeout", model=title)
        else:
            reason = (job.error_message or job.error_code or "ошибка")[:120]
            text = t("gen_failed_free" if job.is_free else "gen_failed", model=title, reason=reason)
        self._edit_progress(job, text)
        markup = inline_keyboard([[(t("gen_btn_repeat"), f"gen:r:{job.id}"), (t("gen_btn_menu"), "gen:menu")]])
        self.app.telegram.deliver(lambda: self.app.telegram.bot.send_message(job.chat_id, text,
                                                                             reply_markup=markup),
                                  what=f"job {job.id}", deadline_s=max(0.0, give_up - time.monotonic()))

    def _resultinline_keyboard(self, job: Job) -> types.InlineKeyboardMarkup:
        extra = [button for _plugin, buttons in self.app.plugins.call(
            "result_buttons", app=self.app, result=self.result_of(job)) for button in buttons]
        return inline_keyboard([[(t("gen_btn_repeat"), f"gen:r:{job.id}")]] + [[b] for b in extra]
                       + [[(t("gen_btn_menu"), "gen:menu")]])

    def _send_output(self, chat_id: int, output: GenerationOutput, caption: str, markup, *,
                     what: str, give_up: float) -> None:
        bot = self.app.telegram.bot

        def reliably(send):
            self.app.telegram.deliver(send, what=what, deadline_s=max(0.0, give_up - time.monotonic()))

        if output.kind == "text":
            text = output.text or ""
            chunks = [text[i:i + _TELEGRAM_TEXT_LIMIT] for i in range(0, len(text), _TELEGRAM_TEXT_LIMIT)] or [""]
            for chunk in chunks[:-1]:
                reliably(lambda chunk=chunk: bot.send_message(chat_id, chunk))
            reliably(lambda: bot.send_message(chat_id, chunks[-1] or caption, reply_markup=markup))
            return
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

    def _run_without_database(self, ctx, model, inputs: dict) -> None:
        """Free model, offline provider, no database: run it in a thread, write nothing."""
        chat_id, provider = ctx.chat_id, self.providers[model.provider]
        self.app.telegram.bot.send_message(chat_id, t("gen_started", model=model.title))

        def run():
            request = GenerationRequest(job_id=0, user_id=ctx.user_id, model=model, inputs=inputs,
                                        deadline=time.monotonic() + model.timeout_s)
            try:
                output = provider.generate(request)
                self._send_output(chat_id, output, t("gen_done_free", model=title),
                                  inline_keyboard([[(t("gen_btn_menu"), "gen:menu")]]),
                                  what="offline generation",
                                  give_up=time.monotonic() + self.app.config.delivery_deadline_s)
            except GenerationFailed as exc:
                self.app.telegram.bot.send_message(chat_id, t("gen_failed_free", model=title,
                                                              reason=exc.message[:120]))
            except Exception:
                log.exception("offline generation failed")

        title = model.title
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
