"""🗂 История: the user's recent generations, and any of their results again.

A page lists the newest jobs — model, date, price, how it ended — with a button each.
A tap sends the result again: by the file_ids Telegram gave it when it was delivered,
or, for a result that never reached the user (they had blocked the bot, Telegram kept
refusing), from the result genbot kept; both with "🔁 Повторить". A job without a
result says why, in the words its user was told when it ended.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

from core import logs
from core.bot.buttons import unpack_any
from core.bot.menu import inline_keyboard
from core.bot.texts import money, t
from core.generation.buttons import HISTORY_BUTTONS, CancelJob, HistoryPage, PastJob, Repeat, ToMenu
from core.generation.catalog import title_of
from core.generation.delivery import Delivery
from core.generation.offer import Offer
from core.generation.ports import GenerationApp
from core.generation.progress import cancel_keyboard

log = logging.getLogger("genbot.history")

PAGE_SIZE = 5
_SEND_AGAIN_DEADLINE_S = 10.0
_ICONS = {"succeeded": "✅", "failed": "❌", "timeout": "⌛", "cancelled": "⛔",
          "queued": "⏳", "running": "⏳"}


def zone(name: str):
    """The operator's TIME_ZONE; Moscow time when the system has no zone database."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=3)) if name == "Europe/Moscow" else UTC


class History:
    def __init__(self, app: GenerationApp, offer: Offer, delivery: Delivery, category_keyboard):
        self.app = app
        self.offer = offer
        self.delivery = delivery
        self.category_keyboard = category_keyboard  # (pending) -> the categories' buttons
        self.zone = zone(self.app.config.time_zone)

    def register(self) -> None:
        self.app.add_button_in_every_language("btn_history", self.show, order=65)
        self.app.router.command("history", self.show)
        self.app.router.callback("hist", self.on_callback)

    def when(self, moment) -> str:
        local = moment.astimezone(self.zone)
        now = datetime.now(self.zone)
        return f"{local:%d.%m %H:%M}" if local.year == now.year else f"{local:%d.%m.%Y %H:%M}"

    def status(self, job) -> str:
        if job.status == "succeeded" and job.refunded_rub is not None:
            return t("hist_status_refunded")
        if job.status == "succeeded" and job.undeliverable:
            return t("hist_status_undelivered")
        return t(f"hist_status_{job.status}")

    def show(self, ctx, *_args) -> None:
        self.show_page(ctx, 0)

    def show_page(self, ctx, page: int) -> None:
        page = max(0, page)
        jobs, total = self.app.jobs.history(ctx.user_id, PAGE_SIZE, page * PAGE_SIZE)
        if total == 0:
            ctx.show(t("hist_empty"), self.category_keyboard(False))
            return
        if not jobs:  # a page that no longer exists: the first one
            self.show_page(ctx, 0)
            return
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        lines = [t("hist_head", page=page + 1, pages=pages), ""]
        buttons = []
        for number, job in enumerate(jobs, start=page * PAGE_SIZE + 1):
            title = title_of(self.offer.catalog.get(job.model_id), job.model_id)
            price = t("gen_price_free") if job.is_free else money(job.price_rub)
            lines.append(t("hist_line", number=number, model=title, when=self.when(job.created_at),
                           price=price, status=self.status(job)))
            icon = "📭" if job.undeliverable else _ICONS.get(job.status, "•")
            buttons.append([(f"{number}. {icon} {title}"[:64], PastJob(job.id).pack())])
        nav = []
        if page > 0:
            nav.append((t("hist_btn_newer"), HistoryPage(page - 1).pack()))
        if page + 1 < pages:
            nav.append((t("hist_btn_older"), HistoryPage(page + 1).pack()))
        lines += ["", t("hist_hint")]
        ctx.show("\n".join(lines), inline_keyboard(buttons + [nav, [(t("gen_btn_menu"), ToMenu().pack())]]))

    def on_callback(self, ctx, payload: str) -> None:
        match unpack_any(f"hist:{payload}", HISTORY_BUTTONS):
            case HistoryPage(page=page):
                ctx.answer_callback()
                self.show_page(ctx, page)
            case PastJob(job_id=job_id):
                self.open(ctx, job_id)
            case _:
                ctx.answer_callback(t("stale_button"), alert=True)

    def open(self, ctx, job_id: int) -> None:
        """One past generation: its result again, or why there is none."""
        job = self.app.jobs.get(job_id)
        if job is None or job.user_id != ctx.user_id:
            ctx.answer_callback(t("hist_gone"), alert=True)
            return
        ctx.answer_callback()
        title = title_of(self.offer.catalog.get(job.model_id), job.model_id)
        when = self.when(job.created_at)
        markup = inline_keyboard([[(t("gen_btn_repeat"), Repeat(job.id).pack())],
                                  [(t("hist_btn_back"), HistoryPage(0).pack())]])
        if job.status in ("queued", "running"):
            ctx.reply(t("hist_running", model=title, when=when), cancel_keyboard(CancelJob(job.id).pack()))
            return
        if job.status != "succeeded":
            ctx.reply(t("hist_no_result", model=title, when=when,
                        why=self.delivery.ending_text(job, title)), markup)
            return
        caption = t("hist_caption", model=title, when=when)
        try:
            sent = self.delivery.send_again(job, ctx.chat_id, caption, markup, _SEND_AGAIN_DEADLINE_S)
        except Exception as exc:  # Telegram would not take it now: say so, keep the result
            log.warning("job %s: could not send the result again to user %s (%s)", job.id,
                        ctx.user_id, logs.first_line(exc))
            sent = None
        if sent is False:
            ctx.reply(t("hist_result_gone", model=title, when=when), markup)
        elif sent is None:
            ctx.reply(t("hist_send_failed", model=title), markup)
