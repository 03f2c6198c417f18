"""Ordering a generation as the user meets it: a category, a model, its inputs, confirm.

One flow is one message: a pressed button turns the message it sits under into the
next screen (the model list becomes the model's card and first question, a choice
becomes the confirm screen, the confirm screen becomes the progress message). Typed
input gets the next screen as a new message, below what the user typed. A free model
with no choices starts as soon as its inputs are in: there is nothing to confirm.

The draft (model, inputs so far, step) lives in ``conversation_state`` so every serve
process sees it. Confirming queues a job in the same transaction that holds its price
or uses a free generation; a double tap finds the job the first tap made (the
draft's key is unique). "Not enough money" keeps the draft and offers the top-up
(the ``topup_buttons`` hook), so the same "Запустить" works once the money is in.

Text sent outside any flow is taken as a prompt: offered to the model the user last
used ("Сгенерировать «…» в Flux?"), or, for a new user, kept while they pick a
category and a model — never a bare "not understood".
"""

from __future__ import annotations

import logging
import re
import secrets

from core import logs
from core.accounts.balances import InsufficientFunds
from core.bot.buttons import unpack_any
from core.bot.menu import inline_keyboard
from core.bot.texts import current_language, money, t
from core.db import DEGRADED_ERRORS, UNAVAILABLE_ERRORS
from core.generation.buttons import (
    GENERATION_BUTTONS,
    AcceptOffer,
    CancelJob,
    Confirm,
    Dismiss,
    PickCategory,
    PickChoice,
    PickModel,
    Repeat,
    ShowCategories,
    ShowFree,
    SkipInput,
    StopDraftJob,
    ToMenu,
)
from core.generation.catalog import CATEGORIES, title_of
from core.generation.events import GenerationEvent
from core.generation.jobs import Ending, FreeQuotaExhausted, TooManyActiveJobs
from core.generation.lifecycle import Lifecycle
from core.generation.offer import Offer
from core.generation.ports import GenerationApp
from core.generation.progress import cancel_keyboard, progress_text
from core.url_fetch import UrlRefused

log = logging.getLogger("genbot.ordering")

FLOW = "gen"  # a draft: {"model", "inputs", "step", "token"}
OFFER = "gen:offer"  # a prompt typed outside a flow: {"prompt", "token"}
_IN_REQUEST_DEADLINE_S = 5.0  # telling from a webhook request: short, the sweeper retries
_URL = re.compile(r"^https?://[^\s]{3,2000}$")
_QUOTED = 120  # characters of a prompt repeated back to the user


def price_text(model, inputs: dict | None = None) -> str:
    """"бесплатно", "25 ₽"; a model priced by usage: "по токенам, до 5,55 ₽" (the most
    any request can cost), or with the request's ``inputs`` the most confirming them
    can cost ("до 4,00 ₽")."""
    if model.free:
        return t("gen_price_free")
    if model.usage is None:
        return money(model.price_rub)
    if inputs is not None:
        return t("gen_price_up_to", price=money(model.price_for(inputs)))
    return t("gen_price_usage", price=money(model.price_rub))


def prompt_field(model):
    """The text input a typed prompt fills: the one named prompt, else the first text."""
    texts = [f for f in model.inputs if f.type == "text"]
    return next((f for f in texts if f.name == "prompt"), texts[0] if texts else None)


def needs_confirm(model) -> bool:
    """Money or choices are worth a look before starting; a free prompt is not."""
    return not model.free or any(f.type == "choice" for f in model.inputs)


def quoted(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _QUOTED else text[:_QUOTED - 1] + "…"


class Ordering:
    def __init__(self, app: GenerationApp, offer: Offer, lifecycle: Lifecycle):
        self.app = app
        self.offer = offer
        self.lifecycle = lifecycle

    @property
    def catalog(self):
        return self.offer.catalog

    # -- registration ------------------------------------------------------------------

    def register(self) -> None:
        app, listed = self.app, self.offer.listed
        for order, category in enumerate(CATEGORIES):
            if category in listed.categories():
                app.add_button_in_every_language(f"cat_{category}", self._category_handler(category),
                                                 order=10 + order, needs_db=False)
        if listed.free():
            app.add_button_in_every_language("btn_free", self.show_free, order=20, needs_db=False)
        app.router.callback("gen", self.on_callback, needs_db=False)
        app.router.flow(FLOW, self.on_text, needs_db=False)
        app.router.flow(OFFER, self.on_text_after_offer, needs_db=False)
        app.router.last_resort(self.on_stray_message)

    def _category_handler(self, category):
        def show_category(ctx):
            self.show_category(ctx, category)
        return show_category

    # -- choosing --------------------------------------------------------------------

    def show_category(self, ctx, category: str, pending: bool = False) -> None:
        models = self.offer.models_for(ctx.user_id, category=category)
        self.show_models(ctx, models, t("gen_category", title=t(f"cat_{category}")), pending)

    def show_free(self, ctx, pending: bool = False) -> None:
        try:
            left = self.app.jobs.free_left(ctx.user_id)
            heading = t("gen_free_list", quota=self.app.jobs.free_quota, left=left)
        except DEGRADED_ERRORS:
            heading = t("gen_free_list_offline")
        self.show_models(ctx, self.offer.models_for(ctx.user_id, free=True), heading, pending)

    def show_models(self, ctx, models, heading: str, pending: bool = False) -> None:
        # Choosing again: text typed from now on is no answer to an earlier draft.
        self.app.conversations.clear(ctx.user_id, FLOW)
        rows = [[(("" if self.offer.is_listed(m) else "🧪 ") +
                  f"{title_of(m)} — {price_text(m)}", PickModel(m.id, pending).pack())]
                for m in models]
        back = [(t("gen_btn_back"), ShowCategories(pending).pack())] if pending else []
        ctx.show(heading if models else t("gen_category_empty"),
                 inline_keyboard(rows + [back, [(t("gen_btn_menu"), ToMenu().pack())]]))

    def category_keyboard(self, pending: bool):
        listed = self.offer.listed
        buttons = [(t(f"cat_{c}"), PickCategory(c, pending).pack()) for c in listed.categories()]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        if listed.free():
            rows.append([(t("btn_free"), ShowFree(pending).pack())])
        return inline_keyboard(rows)

    def start_draft(self, ctx, model_id: str, inputs: dict | None = None,
                    prompt: str | None = None) -> None:
        model = self.catalog.get(model_id)
        if model is None or not self.offer.visible(model, ctx.user_id):
            ctx.show(t("gen_model_gone"), inline_keyboard([[(t("gen_btn_menu"), ToMenu().pack())]]))
            return
        provider = self.offer.providers.get(model.provider)
        if getattr(provider, "needs_file_urls", False) and not self.app.input_files.can_share \
                and any(field.type == "image" for field in model.inputs):
            log.warning("model %s takes a photo, which provider %s fetches by URL: set WEBHOOK_URL "
                        "so genbot can serve it", model.id, model.provider)
            ctx.show(t("gen_photo_unsupported", model=title_of(model)))
            return
        if not model.free:
            # Raises, naming the table, when money cannot move: the user is told now
            # ("База временно недоступна"), not after typing every input.
            self.app.balances.check_tables()
        draft = {"model": model.id, "inputs": dict(inputs or {}), "step": 0,
                 "token": secrets.token_hex(6)}
        note = None
        field = prompt_field(model)
        if prompt is not None and field is not None and field.name not in draft["inputs"]:
            if len(prompt) <= field.max_length:
                draft["inputs"][field.name] = prompt
            else:
                note = t("gen_text_too_long", limit=field.max_length, length=len(prompt))
        self._skip_filled(model, draft)
        self._save(ctx, draft)
        self.ask_next(ctx, model, draft, card=not inputs, note=note)

    def _save(self, ctx, draft: dict) -> None:
        self.app.conversations.set(ctx.user_id, FLOW, draft)

    def _draft(self, ctx):
        state = ctx.conversation
        if state is None or state[0] != FLOW:
            return None, None
        draft = state[1]
        return self.catalog.get(draft.get("model", "")), draft

    @staticmethod
    def _skip_filled(model, draft: dict) -> None:
        while draft["step"] < len(model.inputs) and model.inputs[draft["step"]].name in draft["inputs"]:
            draft["step"] += 1

    def card(self, model) -> str:
        lang = current_language()
        description = model.description_in(lang)
        return t("gen_model_card", title=model.title_in(lang), price=price_text(model),
                 description=f"\n{description}" if description else "")

    def ask_next(self, ctx, model, draft: dict, *, card: bool = False, note: str | None = None) -> None:
        if draft["step"] >= len(model.inputs):
            if needs_confirm(model):
                self.show_confirm(ctx, model, draft, note)
            else:
                self.start_job(ctx, model, draft)
            return
        step = draft["step"]
        field = model.inputs[step]
        label = field.label_in(current_language())
        cancel = [(t("gen_btn_cancel"), Dismiss().pack())]
        skip = [(t("gen_btn_skip"), SkipInput(step).pack())] if field.optional else []
        back = [(t("gen_btn_back"), PickCategory(model.category).pack())] if card else []
        if field.type == "choice":
            question = t("gen_ask_choice", label=label)
            rows = [[(("• " if c == field.default else "") + c, PickChoice(i, step).pack())]
                    for i, c in enumerate(field.choices)]
        elif field.type == "image":
            question = t("gen_ask_image", label=label)
            rows = []
        else:
            question = t("gen_ask_text", label=label, limit=field.max_length)
            rows = []
        parts = [self.card(model)] if card else []
        parts += [note] if note else []
        ctx.show("\n\n".join(parts + [question]), inline_keyboard(rows + [skip, back + cancel]))

    def _accept(self, ctx, model, draft, value) -> None:
        field = model.inputs[draft["step"]]
        if value is not None:
            draft["inputs"][field.name] = value
        elif field.default is not None:
            draft["inputs"][field.name] = field.default
        draft["step"] += 1
        self._skip_filled(model, draft)
        self._save(ctx, draft)
        self.ask_next(ctx, model, draft)

    def on_text(self, ctx, draft: dict) -> bool:
        """Typed input for the draft's current question; False when it is a new prompt."""
        model = self.catalog.get(draft.get("model", ""))
        text = ctx.text or ""
        if model is not None and draft["step"] >= len(model.inputs):
            # On the confirm screen a typed text is a better prompt: take it, confirm again.
            field = prompt_field(model)
            if field is not None and text.strip() and len(text) <= field.max_length:
                draft["inputs"][field.name] = text.strip()
                self._save(ctx, draft)
                self.show_confirm(ctx, model, draft)
                return True
        if model is None or draft["step"] >= len(model.inputs):
            self.app.conversations.clear(ctx.user_id, FLOW)
            return False  # nothing to ask: the text is a new prompt
        field = model.inputs[draft["step"]]
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
                refusal = self._url_refusal(text.strip())
                if refusal is None:
                    self._accept(ctx, model, draft, {"url": text.strip()})
                else:
                    ctx.reply(refusal)
            else:
                ctx.reply(t("gen_image_bad"))
        else:
            if text.strip() in field.choices:
                self._accept(ctx, model, draft, text.strip())
            else:
                ctx.reply(t("gen_choice_bad"))
        return True

    def _url_refusal(self, url: str) -> str | None:
        """Why a typed link cannot be taken, in the user's words; None when it can. A link
        into a private network is refused here, before anything is held (and checked
        again, redirects too, whenever genbot fetches it: ``core.url_fetch``)."""
        try:
            self.app.fetcher.check(url)
        except UrlRefused as exc:
            log.info("user link refused (%s)", exc)
            return t("gen_image_url_private" if exc.why == "address" else "gen_image_url_bad")
        return None

    def show_confirm(self, ctx, model, draft: dict, note: str | None = None) -> None:
        lang = current_language()
        lines = [note, ""] if note else []
        lines.append(t("gen_confirm_title", model=model.title_in(lang),
                       price=price_text(model, draft["inputs"])))
        for field in model.inputs:
            value = draft["inputs"].get(field.name)
            if value is None:
                continue
            if field.type == "image":
                lines.append(t("gen_confirm_photo"))
            elif field.type == "choice":
                lines.append(t("gen_confirm_choice", label=field.label_in(lang), value=value))
            else:
                lines.append(f"«{quoted(value)}»")
        if model.category == "text":  # an answer is streamed: what stopping it costs
            lines += ["", t("gen_confirm_stop_free" if model.free else "gen_confirm_stop_fixed"
                            if model.usage is None else "gen_confirm_stop_usage")]
        try:
            if model.free:
                lines += ["", t("gen_confirm_free_left", left=self.app.jobs.free_left(ctx.user_id),
                                quota=self.app.jobs.free_quota)]
            else:
                lines += ["", t("gen_confirm_balance", balance=money(self.app.balances.get(ctx.user_id)))]
        except DEGRADED_ERRORS:
            pass
        ctx.show("\n".join(lines), self._confirm_keyboard(model, draft))

    def _confirm_keyboard(self, model, draft: dict, extra_rows=()):
        return inline_keyboard(list(extra_rows) + [
            [(t("gen_btn_go", price=price_text(model, draft["inputs"])), Confirm(draft["token"]).pack())],
            [(t("gen_btn_cancel"), Dismiss().pack())]])

    # -- buttons ------------------------------------------------------------------------

    def on_callback(self, ctx, payload: str) -> None:
        button = unpack_any(f"gen:{payload}", GENERATION_BUTTONS)
        match button:
            case Confirm(token=token):
                self.confirm(ctx, token)
            case CancelJob(job_id=job_id):
                self.cancel_job(ctx, job_id)
            case StopDraftJob(token=token):
                found = self.app.jobs.by_draft(ctx.user_id, f"{ctx.user_id}:{token}")
                if found is None:
                    ctx.answer_callback(t("gen_cannot_cancel"), alert=True)
                else:
                    self.cancel_job(ctx, found)
            case None:
                ctx.answer_callback()
                ctx.reply(t("stale_button"))
            case _:
                ctx.answer_callback()
                self._on_step(ctx, button)

    def _on_step(self, ctx, button) -> None:
        """A button of the flow itself: choosing, answering, leaving."""
        match button:
            case PickModel(model_id=model_id, pending=pending):
                self.start_draft(ctx, model_id, prompt=self._pending_prompt(ctx) if pending else None)
            case PickCategory(category=category, pending=pending) if category in CATEGORIES:
                self.show_category(ctx, category, pending)
            case ShowFree(pending=pending):
                self.show_free(ctx, pending)
            case ShowCategories(pending=pending):
                ctx.show(t("gen_pick_category"), self.category_keyboard(pending))
            case AcceptOffer(token=token):
                self.accept_offer(ctx, token)
            case PickChoice() | SkipInput():
                self.on_choice(ctx, button)
            case Dismiss():
                self.app.conversations.clear(ctx.user_id, FLOW)
                self.app.conversations.clear(ctx.user_id, OFFER)
                ctx.show(t("cancelled"))
            case ToMenu():
                ctx.reply_with_menu(t("welcome_back", name=(ctx.user.first_name if ctx.user else "")))
            case Repeat(job_id=job_id):
                job = self.app.jobs.get(job_id)
                if job is None or job.user_id != ctx.user_id:
                    ctx.reply(t("gen_draft_gone"))
                else:
                    self.start_draft(ctx, job.model_id, job.inputs)
            case _:
                ctx.reply(t("stale_button"))

    def on_choice(self, ctx, button: PickChoice | SkipInput) -> None:
        """A choice picked, or an optional input skipped; a button of an earlier step
        (``step`` is not the draft's) is stale."""
        model, draft = self._draft(ctx)
        if draft is None or model is None or draft["step"] >= len(model.inputs) \
                or (button.step is not None and button.step != draft["step"]):
            ctx.reply(t("gen_draft_gone"))
            return
        field = model.inputs[draft["step"]]
        if isinstance(button, SkipInput):
            if field.optional:
                self._accept(ctx, model, draft, None)
        elif field.type == "choice" and 0 <= button.index < len(field.choices):
            self._accept(ctx, model, draft, field.choices[button.index])
        else:
            ctx.reply(t("gen_draft_gone"))

    # -- starting --------------------------------------------------------------------

    def confirm(self, ctx, token: str) -> None:
        model, draft = self._draft(ctx)
        draft_key = f"{ctx.user_id}:{token}"
        if draft is None or draft.get("token") != token or model is None \
                or draft["step"] < len(model.inputs):
            ctx.answer_callback(t("gen_already") if self._job_exists(draft_key) else t("gen_draft_gone"))
            return
        self.start_job(ctx, model, draft)

    def start_job(self, ctx, model, draft: dict) -> None:
        """Queue the draft's job; the message of the tapped button becomes its progress
        message (after typed input, a new one)."""
        title = title_of(model)
        if model.provider not in self.offer.providers:
            ctx.answer_callback(t("gen_model_gone"), alert=True)
            if ctx.callback is None:
                ctx.reply(t("gen_model_gone"))
            return
        token = draft["token"]
        draft_key = f"{ctx.user_id}:{token}"
        message_id = ctx.message_id if ctx.can_edit() else None
        if message_id is None and model.free and self._free_used_up(ctx):
            ctx.reply(t("gen_quota", quota=self.app.jobs.free_quota), self.category_keyboard(False))
            self.app.conversations.clear(ctx.user_id, FLOW)
            return
        if message_id is None:
            # Typed input: the progress message comes first, so the job knows it from its
            # first moment; its cancel button finds the job by the draft.
            message_id = self.app.telegram.send_now(
                ctx.chat_id, progress_text(title), cancel_keyboard(StopDraftJob(token).pack()))
            shown = True
        else:
            shown = False
        try:
            with self.app.db.transaction() as tx:
                job_id, created = self.app.jobs.create(
                    tx, user_id=ctx.user_id, chat_id=ctx.chat_id, model=model,
                    inputs=draft["inputs"], draft_key=draft_key, lang=current_language(),
                    request_id=logs.current("request_id"), progress_message_id=message_id)
        except InsufficientFunds as exc:
            ctx.answer_callback()
            self._on(ctx, message_id, *self._no_funds(ctx, model, draft, exc))
            return
        except FreeQuotaExhausted as exc:
            ctx.answer_callback()
            self._on(ctx, message_id, t("gen_quota", quota=exc.quota), self.category_keyboard(False))
            self.app.conversations.clear(ctx.user_id, FLOW)
            return
        except TooManyActiveJobs as exc:
            ctx.answer_callback(t("gen_too_many", limit=exc.limit), alert=True)
            if shown:  # no confirm screen to press again: make one
                self._on(ctx, message_id, t("gen_too_many", limit=exc.limit),
                         self._confirm_keyboard(model, draft))
            return
        except UNAVAILABLE_ERRORS:
            if model.free and getattr(self.offer.providers[model.provider], "offline", False):
                ctx.answer_callback()
                self.app.conversations.clear(ctx.user_id, FLOW)
                self.lifecycle.run_without_database(ctx.chat_id, ctx.user_id, model,
                                                     draft["inputs"], message_id)
                return
            if shown:  # the progress message already there says it instead of "starting"
                self._on(ctx, message_id, t("db_unavailable"))
                return
            raise
        if not created:
            ctx.answer_callback(t("gen_already"))
            return
        ctx.answer_callback()
        self.app.conversations.clear(ctx.user_id, FLOW)
        self.app.plugins.call("generation_started", app=self.app, event=GenerationEvent(
            user_id=ctx.user_id, chat_id=ctx.chat_id, model_id=model.id, category=model.category,
            status="started", is_free_applied=model.free, price_rub=model.price_for(draft["inputs"]),
            request_id=logs.current("request_id")))
        if not shown:
            # No fallback to a new message: if the job already ended and its message is
            # gone, nothing is left to show.
            self.app.telegram.edit(ctx.chat_id, message_id, progress_text(title),
                                   cancel_keyboard(CancelJob(job_id).pack()))
        self.app.jobs.wake_workers()

    def _free_used_up(self, ctx) -> bool:
        """Today's free generations are gone (said before a progress message appears;
        the job's own transaction still decides)."""
        try:
            return self.app.jobs.free_left(ctx.user_id) == 0
        except DEGRADED_ERRORS:
            return False

    def _on(self, ctx, message_id: int | None, text: str, markup=None) -> None:
        """Show ``text`` on the flow's message, or as a new one if it cannot be edited."""
        if message_id is None or not self.app.telegram.edit(ctx.chat_id, message_id, text, markup):
            ctx.reply(text, markup)

    def _no_funds(self, ctx, model, draft: dict, exc: InsufficientFunds):
        """The shortfall, one tap from the top-up; the draft stays for "Запустить"."""
        price = model.price_for(draft["inputs"])
        missing = price - exc.balance
        topup = self.app.plugins.inline_buttons("topup_buttons", app=self.app,
                                                user_id=ctx.user_id, missing=missing)
        text = t("gen_no_funds", price=money(price), balance=money(exc.balance),
                 missing=money(missing))
        text += "\n" + (t("gen_no_funds_topup") if topup else t("gen_no_funds_no_topup"))
        return text, self._confirm_keyboard(model, draft, [[b] for b in topup])

    def _job_exists(self, draft_key: str) -> bool:
        try:
            return self.app.db.fetch_one("SELECT 1 FROM generation_jobs WHERE draft_key = %s",
                                         (draft_key,)) is not None
        except DEGRADED_ERRORS:
            return False

    def cancel_job(self, ctx, job_id: int) -> None:
        job = self.lifecycle.end(job_id, Ending.cancelled(), expect=("queued", "running"),
                                 user_id=ctx.user_id, deadline_s=_IN_REQUEST_DEADLINE_S)
        if job is None:
            ctx.answer_callback(t("gen_cannot_cancel"), alert=True)
        else:
            ctx.answer_callback(t("gen_cancel_done"))

    # -- text outside a flow ------------------------------------------------------------

    def on_stray_message(self, ctx) -> bool:
        """Text nothing else took is a prompt: offer it to the user's last model, or let
        a new user pick where it goes. Anything else gets the way to the categories."""
        text = (ctx.text or "").strip()
        if not text:
            ctx.reply(t("gen_stray_not_text"), self.category_keyboard(False))
            return True
        token = secrets.token_hex(6)
        self.app.conversations.set(ctx.user_id, OFFER, {"prompt": text[:4000], "token": token})
        model = self._last_model(ctx)
        if model is not None:
            ctx.reply(t("gen_offer", prompt=quoted(text), model=title_of(model)),
                      inline_keyboard([
                          [(t("gen_btn_offer_yes", price=price_text(model)), AcceptOffer(token).pack())],
                          [(t("gen_btn_offer_other"), ShowCategories(pending=True).pack())],
                          [(t("gen_btn_cancel"), Dismiss().pack())]]))
        else:
            ctx.reply(t("gen_offer_new", prompt=quoted(text)), self.category_keyboard(True))
        return True

    def _last_model(self, ctx):
        """The user's last model, if it is still offered to them and takes a prompt."""
        try:
            model_id = self.app.jobs.last_model(ctx.user_id)
        except DEGRADED_ERRORS:
            return None
        model = self.catalog.get(model_id) if model_id else None
        if model is None or not self.offer.visible(model, ctx.user_id) or prompt_field(model) is None:
            return None
        return model

    def on_text_after_offer(self, ctx, _offer: dict) -> bool:
        """Text typed while a prompt is on offer is the newer prompt: offer it instead."""
        return self.on_stray_message(ctx)

    def _pending_prompt(self, ctx) -> str | None:
        state = ctx.conversation
        return state[1].get("prompt") if state is not None and state[0] == OFFER else None

    def accept_offer(self, ctx, token: str) -> None:
        state = ctx.conversation
        model = self._last_model(ctx)
        if state is None or state[0] != OFFER or state[1].get("token") != token or model is None:
            ctx.show(t("gen_offer_gone"), self.category_keyboard(False))
            return
        self.start_draft(ctx, model.id, prompt=state[1]["prompt"])
