"""Telling a user how their job ended, and sending a result (again, for 🗂 История).

Delivering a job is getting how it ended to its user. Whoever ends a job
(``core.generation.lifecycle``'s ``end``) holds the claim to deliver it and calls
``deliver``; the sweeper calls it for a job nobody managed to deliver. The
user counts as told once the Bot API accepted the message. A result, or why there is
none, is one new message (so it notifies), and the progress message it answers is
removed; a cancel, pressed on the progress message, turns that message into the
answer. A failure is told as one of a few sentences (``core.generation.contract.REASONS``) in
the job's language; its detail goes to the log and stays with the job
(``error_code``, ``error_message``). The files Telegram accepted are remembered by
their ``file_id`` so that 🗂 История can send them again.

A result's files go the first way Telegram takes (``core.generation.result_files``: as their kind,
as a document, as a download link). When Telegram takes it in no way, the charge goes
back (``JobQueue.refund_undelivered``, once) and the user reads so in one sentence. Only
a chat that cannot be written to (the user blocked the bot) leaves a charged result
undelivered, kept for 🗂 История.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from telebot import types
from telebot.apihelper import ApiTelegramException

from core import logs
from core.bot.menu import inline_keyboard
from core.bot.texts import language, money, t
from core.db import despite_outage
from core.generation.buttons import Repeat, ToMenu
from core.generation.catalog import Catalog, title_of
from core.generation.contract import GenerationOutput
from core.generation.jobs import Job
from core.generation.ports import GenerationApp
from core.generation.result_files import ResultSender, result_files
from core.telegram.client import TEXT_LIMIT, Refused, Undeliverable, pages

log = logging.getLogger("genbot.delivery")

LEASE_MARGIN_S = 30.0  # a teller that died frees the job this long after its deadline
_GIVE_UP_AFTER = timedelta(days=1)
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


def with_caption(text: str | None, caption: str) -> str:
    """A text result ends with the line that says what it cost."""
    text = (text or "").rstrip()
    return f"{text}\n\n{caption}" if text else caption


class Delivery:
    """What one App says to users about their jobs."""

    def __init__(self, app: GenerationApp, catalog: Catalog):
        self.app = app
        self.catalog = catalog  # every model whose provider runs: titles for the messages
        self.sender = ResultSender(app.telegram, app.fetcher, app.result_links,
                                   local_api=app.config.telegram_api_local)

    def _title(self, job: Job) -> str:
        return title_of(self.catalog.get(job.model_id), job.model_id)

    def deliver(self, job: Job, *, deadline_s: float | None = None, steal_from: str | None = None,
             claimed: bool = False, streamed: list[tuple[int, str]] | None = None) -> None:
        """Tell the user how the job ended, unless it is told or being told elsewhere.

        It counts as told only when the Bot API accepted the message. Transient
        failures are retried until ``deadline_s`` and then left to the sweeper; a
        permanent refusal (the user blocked the bot) ends the attempts, and the result
        stays stored with the reason. ``claimed``: the caller holds the claim already
        (it ended the job); ``steal_from``: the claim's holder is known to be dead;
        ``streamed``: the messages a text answer was streamed into, with what each shows.
        """
        deadline_s = self.app.config.delivery_deadline_s if deadline_s is None else deadline_s
        lease_s = deadline_s + LEASE_MARGIN_S
        jobs = self.app.jobs

        def record(what, mark):
            # The marks outlast a database outage (within the lease): a result sent but
            # not marked would be sent again.
            despite_outage(f"job {job.id}: {what}", lease_s, mark)

        if not claimed and not despite_outage(
                f"job {job.id}: claiming delivery", lease_s,
                lambda: jobs.claim_delivery(job.id, lease_s, steal_from=steal_from)):
            return
        try:
            with language(job.lang):
                files = self._send_ending(job, deadline_s, streamed)
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

    def _send_ending(self, job: Job, deadline_s: float,
                streamed: list[tuple[int, str]] | None = None) -> list[dict] | None:
        """Tell how the job ended, once; raises when the Bot API did not accept it in time.
        Returns the result's files as Telegram keeps them (``file_of``), if any."""
        title = self._title(job)
        give_up = time.monotonic() + deadline_s
        telegram = self.app.telegram
        if job.status == "succeeded" and job.refunded_rub is None:
            caption = (t("gen_done_free", model=title) if job.is_free
                       else t("gen_done_paid", model=title, price=money(job.price_rub)))
            output = GenerationOutput.from_json(job.result or {"kind": "text"})
            if streamed and output.kind == "text":
                self._finish_stream(job, output.text, caption, streamed, give_up)
                return None
            try:
                sent = self.send_output(job.chat_id, output, caption, self.result_keyboard(job),
                                        what=f"job {job.id}", give_up=give_up, job_id=job.id)
            except Refused as exc:
                self._give_money_back(job, title, str(exc), give_up)
                raise
            self._remove_progress(job)
            return [ref for ref in map(file_of, sent) if ref] or None
        if job.status == "succeeded":  # refunded by an earlier attempt that could not say so
            self._tell_money_back(job, title, give_up)
            raise Refused(f"job {job.id}: no way to send the result; its money was given back")
        markup = self.ending_keyboard(job)
        text = self.ending_text(job, title)
        shown = self.partial_text(job)
        if shown and streamed:  # cancelled mid-answer here: what was read stays, with its cost
            self._finish_stream(job, shown, text, streamed, give_up, markup)
            return None
        for message_id, _shown in (streamed or [])[1:]:  # a stream's later pages; the first is progress
            telegram.delete(job.chat_id, message_id)
        if job.status == "cancelled" and job.progress_message_id \
                and telegram.edit(job.chat_id, job.progress_message_id, self.cancelled_view(job, title), markup):
            return None  # pressed on the progress message: that message is the answer
        telegram.send_until_accepted(lambda: telegram.bot.send_message(job.chat_id, text, reply_markup=markup),
                         what=f"job {job.id}", deadline_s=max(0.0, give_up - time.monotonic()))
        self._remove_progress(job)
        return None

    def _give_money_back(self, job: Job, title: str, why: str, give_up: float) -> None:
        """No way of sending the result worked: its charge goes back (once), the user is
        told so in one sentence, and the progress message goes."""
        refunded = self.app.jobs.refund_undelivered(job.id, why)
        log.error("job %s: Telegram took the result of user %s in no way (%s); %s", job.id,
                  job.user_id, why, "the free try given back" if job.is_free
                  else f"{refunded if refunded is not None else job.price_rub} RUB given back")
        self._tell_money_back(job, title, give_up)

    def _tell_money_back(self, job: Job, title: str, give_up: float) -> None:
        text = (t("gen_undelivered_free", model=title) if job.is_free
                else t("gen_undelivered", model=title, price=money(job.price_rub)))
        telegram = self.app.telegram
        telegram.send_until_accepted(lambda: telegram.bot.send_message(job.chat_id, text, reply_markup=self.ending_keyboard(job)),
                         what=f"job {job.id}", deadline_s=max(0.0, give_up - time.monotonic()))
        self._remove_progress(job)

    def _finish_stream(self, job: Job, text: str | None, caption: str,
                       streamed: list[tuple[int, str]], give_up: float, markup=None) -> None:
        """The final text into the messages it was streamed into: the stored text, with
        what it cost, and the result's buttons (``markup``) on its last page. A full page
        already shown as it is stays untouched (each edit waits its turn at Telegram's pace)."""
        telegram = self.app.telegram
        final = pages(with_caption(text, caption))
        markup = markup or self.result_keyboard(job)
        for index, page in enumerate(final):
            last = index == len(final) - 1
            left = max(0.0, give_up - time.monotonic())
            if index < len(streamed):
                message_id, shown = streamed[index]
                if not last and index < len(streamed) - 1 and shown == page:
                    continue  # a full page, shown without a button: already final
                try:
                    telegram.send_until_accepted(lambda m=message_id, p=page, k=markup if last else None:
                                     telegram.edit_strictly(job.chat_id, m, p, k),
                                     what=f"job {job.id}", deadline_s=left)
                    continue
                except Refused:  # the message is gone (deleted by the user): a new one
                    pass
            telegram.send_until_accepted(lambda p=page, k=markup if last else None: telegram.bot.send_message(
                job.chat_id, p, reply_markup=k), what=f"job {job.id}", deadline_s=left)
        for message_id, _shown in streamed[len(final):]:
            telegram.delete(job.chat_id, message_id)

    @staticmethod
    def partial_text(job: Job) -> str | None:
        """The part of an answer the user read before cancelling it, if any."""
        if job.status != "cancelled" or not isinstance(job.result, dict):
            return None
        return (job.result.get("text") or "").strip() or None

    def cancelled_view(self, job: Job, title: str) -> str:
        """A cancelled job's message: why it ended, after the part of the answer that was
        read (as much of it as one message holds: its later pages are gone)."""
        ending = self.ending_text(job, title)
        shown = self.partial_text(job)
        if not shown:
            return ending
        room = TEXT_LIMIT - len(ending) - 3
        if len(shown) > room:
            cut = shown.rfind(" ", room // 2, room - 1)  # at a word's end, if one is near
            shown = shown[:cut if cut > 0 else room - 1].rstrip() + "…"
        return with_caption(shown, ending)

    def ending_text(self, job: Job, title: str) -> str:
        """Why there is no result, in a sentence that says what to do next."""
        if job.status == "cancelled" and self.partial_text(job):
            return (t("gen_cancelled_partial_free", model=title) if job.is_free
                    else t("gen_cancelled_partial", model=title, price=money(job.price_rub)))
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
        return inline_keyboard([[(t("gen_btn_repeat"), Repeat(job.id).pack()), (t("gen_btn_menu"), ToMenu().pack())]])

    def show_ending_again(self, job_id: int) -> None:
        """A progress tick raced the job's end: put a cancel's words back on the message."""
        job = self.app.jobs.get(job_id)
        if job is not None and job.status == "cancelled" and job.progress_message_id:
            self.app.telegram.edit(job.chat_id, job.progress_message_id,
                                   self.cancelled_view(job, self._title(job)), self.ending_keyboard(job))

    def _remove_progress(self, job: Job) -> None:
        """The answer is a new message: the progress message it answers goes."""
        if job.progress_message_id:
            self.app.telegram.delete(job.chat_id, job.progress_message_id)

    def result_keyboard(self, job: Job) -> types.InlineKeyboardMarkup:
        extra = self.app.plugins.inline_buttons("result_buttons", app=self.app,
                                                result=self.result_of(job))
        return inline_keyboard([[(t("gen_btn_repeat"), Repeat(job.id).pack())]] + [[b] for b in extra]
                               + [[(t("gen_btn_menu"), ToMenu().pack())]])

    def send_output(self, chat_id: int, output: GenerationOutput, caption: str, markup, *,
                    what: str, give_up: float, job_id: int = 0) -> list:
        """Send a result (text or files); the messages Telegram accepted. Each file goes
        the first way Telegram takes (``core.generation.result_files``); ``Refused`` when not one
        of them reached the user. A file that found no way while others did is named
        in the log, and the caption and buttons then come as a message of their own."""
        bot = self.app.telegram.bot
        sent = []

        def reliably(send):
            sent.append(self.app.telegram.send_until_accepted(send, what=what,
                                                  deadline_s=max(0.0, give_up - time.monotonic())))

        if output.kind == "text":
            chunks = pages(with_caption(output.text, caption))
            for chunk in chunks[:-1]:
                reliably(lambda chunk=chunk: bot.send_message(chat_id, chunk))
            reliably(lambda: bot.send_message(chat_id, chunks[-1], reply_markup=markup))
            return sent
        files = result_files(output)
        for index, item in enumerate(files):
            last = index == len(files) - 1
            try:
                sent.append(self.sender.send(chat_id, output.kind, item, caption=caption if last else None,
                                             markup=markup if last else None, what=what,
                                             give_up=give_up, job_id=job_id, index=index))
            except Refused as exc:
                if last and not sent:
                    raise  # not one file reached the user
                log.error("%s: file %d of %d found no way to the user: %s", what, index + 1,
                          len(files), logs.first_line(exc))
                if last:  # the caption and the buttons rode on it: they come on their own
                    reliably(lambda: bot.send_message(chat_id, caption, reply_markup=markup))
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
                                    what=f"job {job.id} again", give_up=time.monotonic() + deadline_s,
                                    job_id=job.id)
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
