"""referrals — 🤝 Партнёрка: personal links, one referrer per new user, a reward once.

A user's link is ``t.me/<bot>?start=ref_<user_id>``. Only a brand-new user (created
by the very update that carries the link) can be referred, once, never by
themselves and never by someone they referred. The reward goes to the referrer once:
by default when the referred user first tops up (so fake accounts farm nothing), or
at sign-up with ``reward_on = "signup"``. It is credited through the core's balance
functions (ledger type ``referral``) in the same transaction that records it in
``referrals.reward_rub``. Garbage payloads are ignored and the user simply starts.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from core.hookspecs import Button, hookimpl
from core.texts import t

log = logging.getLogger("genbot.plugins.referrals")

_PAYLOAD = re.compile(r"^ref_([1-9][0-9]{0,18})$")
_bot_username: dict[str, str] = {}


def bot_username(app, settings) -> str:
    if settings.get("bot_username"):
        return settings["bot_username"].lstrip("@")
    if "name" not in _bot_username:
        _bot_username["name"] = app.telegram.bot.get_me().username
    return _bot_username["name"]


def record_referral(app, settings, referrer_id: int, referred_id: int) -> bool:
    """Record that ``referrer_id`` brought ``referred_id``; False when the rules say no."""
    if referrer_id == referred_id:
        return False
    reward = Decimal(str(settings["reward_rub"]))
    with app.db.transaction() as tx:
        # Lock the new user's row: concurrent /start ref_… updates queue up here.
        tx.execute("SELECT 1 FROM users WHERE user_id = %s FOR UPDATE", (referred_id,))
        if tx.fetchone() is None:
            return False
        tx.execute("SELECT 1 FROM users WHERE user_id = %s", (referrer_id,))
        if tx.fetchone() is None:
            return False  # a link to nobody
        tx.execute("SELECT 1 FROM referrals WHERE referred_id = %s "
                   "OR (referrer_id = %s AND referred_id = %s)",
                   (referred_id, referred_id, referrer_id))
        if tx.fetchone() is not None:
            return False  # already referred, or circular
        pay_now = settings["reward_on"] == "signup" and reward > 0
        tx.execute("INSERT INTO referrals (referrer_id, referred_id, reward_rub) "
                   "VALUES (%s, %s, %s)", (referrer_id, referred_id, reward if pay_now else 0))
        if pay_now:
            app.balances.credit(referrer_id, reward, kind="referral",
                                reason=f"referral of user {referred_id}", cur=tx)
    log.info("user %s referred by %s", referred_id, referrer_id)
    return True


def reward_first_topup(app, settings, referred_id: int) -> bool:
    """Pay the referrer of ``referred_id`` if not paid yet; exactly once."""
    reward = Decimal(str(settings["reward_rub"]))
    if reward <= 0 or app.db.fetch_one(  # the common case, no reward pending: one cheap read
            "SELECT 1 FROM referrals WHERE referred_id = %s AND COALESCE(reward_rub, 0) = 0",
            (referred_id,)) is None:
        return False
    with app.db.transaction() as tx:
        tx.execute("UPDATE referrals SET reward_rub = %s WHERE referred_id = %s "
                   "AND COALESCE(reward_rub, 0) = 0 RETURNING referrer_id", (reward, referred_id))
        row = tx.fetchone()
        if row is None:
            return False
        app.balances.credit(row[0], reward, kind="referral",
                            reason=f"referral of user {referred_id}: first top-up", cur=tx)
    return True


def show_partner_screen(ctx, settings) -> None:
    invited, earned = ctx.app.db.fetch_one(
        "SELECT COUNT(*), COALESCE(SUM(reward_rub), 0) FROM referrals WHERE referrer_id = %s",
        (ctx.user_id,))
    link = f"https://t.me/{bot_username(ctx.app, settings)}?start=ref_{ctx.user_id}"
    when = t("ref_when_signup") if settings["reward_on"] == "signup" else t("ref_when_topup")
    ctx.reply(t("ref_screen", link=link, invited=invited, earned=f"{earned:.2f}",
                reward=f"{Decimal(str(settings['reward_rub'])):.2f}", when=when))


@hookimpl
def plugin_tables():
    return ["referrals"]


@hookimpl
def plugin_settings():
    return {"reward_rub": Decimal("50.00"), "reward_on": "first_topup", "bot_username": ""}


@hookimpl
def plugin_texts():
    return {"ru": {
        "btn_referrals": "🤝 Партнёрка",
        "ref_screen": ("🤝 Партнёрская программа\n\nВаша ссылка:\n{link}\n\n"
                       "За каждого приглашённого — {reward} ₽ {when}.\n"
                       "Приглашено: {invited}\nЗаработано: {earned} ₽"),
        "ref_when_topup": "после его первого пополнения",
        "ref_when_signup": "сразу после регистрации",
    }}


@hookimpl
def menu_buttons(app, settings):
    if settings["reward_on"] not in ("first_topup", "signup"):
        raise ValueError("setting reward_on must be first_topup or signup")
    return [Button(t("btn_referrals"), lambda ctx: show_partner_screen(ctx, settings), order=60)]


@hookimpl
def start_payload(app, settings, ctx, payload, new_user):
    match = _PAYLOAD.match(payload or "")
    if match is None:
        return None
    if not new_user:
        log.info("referral link ignored: user %s is not new", ctx.user_id)
        return True
    record_referral(app, settings, int(match.group(1)), ctx.user_id)
    return True


@hookimpl
def balance_changed(app, settings, change):
    if change.kind == "topup" and settings["reward_on"] == "first_topup":
        reward_first_topup(app, settings, change.user_id)
