"""referrals — 🤝 Партнёрка: personal links, one referrer per new user, rewards from real money.

A user's link is ``t.me/<bot>?start=ref_<user_id>``. Only a brand-new user (created
by the very update that carries the link) can be referred, once, never by
themselves and never by someone they referred.

Rewards come only from real payments of the referred user — Telegram Payments, Stars,
the signed provider callback (the payments plugin's ``payment_credited``) — never from
admin adjustments, rewards or refunds, so fake accounts farm nothing:

- by default a share of each payment (``reward_percent``, 10 %), rounded down;
- or, with ``reward_rub`` set, a fixed reward once the referred user has paid more
  than the reward in all.

Each reward is a row of ``referral_rewards`` keyed by its payment, credited through the
core's balance functions (ledger type ``referral``) in the same transaction, and added
to the seed's ``referrals.reward_rub``. A refunded payment takes its reward back
(``payment_refunded``); what the referrer already spent is recorded as unrecovered and
shown by ``genbot doctor``. Startup cleanup catches up on payments whose announcement a
crash lost. Garbage payloads are ignored and the user simply starts.
"""

from __future__ import annotations

import logging
import re
from decimal import ROUND_DOWN, Decimal

from genbot import CENT, Button, hookimpl, money, t

log = logging.getLogger("genbot.plugins.referrals")

_PAYLOAD = re.compile(r"^ref_([1-9][0-9]{0,18})$")


def bot_username(app, settings) -> str:
    if settings.get("bot_username"):
        return settings["bot_username"].lstrip("@")
    return app.bot_username()


def record_referral(app, settings, referrer_id: int, referred_id: int) -> bool:
    """Record that ``referrer_id`` brought ``referred_id``; False when the rules say no."""
    if referrer_id == referred_id:
        return False
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
        tx.execute("INSERT INTO referrals (referrer_id, referred_id, reward_rub) VALUES (%s, %s, 0)",
                   (referrer_id, referred_id))
    log.info("user %s referred by %s", referred_id, referrer_id)
    return True


def reward_for(settings, amount: Decimal, paid_before: Decimal, fixed_paid: bool) -> Decimal:
    """The reward one payment of ``amount`` earns, after ``paid_before`` in earlier payments."""
    fixed = Decimal(str(settings["reward_rub"]))
    if fixed > 0:
        return fixed if not fixed_paid and paid_before + amount > fixed else Decimal("0.00")
    share = amount * Decimal(str(settings["reward_percent"])) / 100
    return share.quantize(CENT, rounding=ROUND_DOWN)


def reward_payment(app, settings, source: str, external_id: str) -> Decimal | None:
    """Reward the referrer for one credited payment, once; the reward, or None."""
    with app.db.transaction() as tx:
        tx.execute("SELECT p.user_id, p.amount_rub, r.referrer_id FROM payments p "
                   "JOIN referrals r ON r.referred_id = p.user_id "
                   "WHERE p.source = %s AND p.external_id = %s AND p.status = 'credited'",
                   (source, external_id))
        row = tx.fetchone()
        if row is None:
            return None  # the payer was not referred (or the payment is not credited)
        referred_id, amount, referrer_id = row
        # One referred user's payments are rewarded one at a time: the fixed reward once.
        tx.execute("SELECT 1 FROM referrals WHERE referred_id = %s FOR UPDATE", (referred_id,))
        tx.execute("SELECT COALESCE(SUM(p.amount_rub), 0), "
                   "EXISTS (SELECT 1 FROM referral_rewards WHERE referred_id = %(u)s "
                   "AND status = 'paid' AND amount_rub > 0) FROM payments p "
                   "JOIN referral_rewards w ON w.payment_source = p.source "
                   "AND w.payment_external_id = p.external_id "
                   "WHERE p.user_id = %(u)s AND p.status = 'credited'", {"u": referred_id})
        paid_before, fixed_paid = tx.fetchone()
        reward = reward_for(settings, amount, paid_before, fixed_paid)
        tx.execute("INSERT INTO referral_rewards (payment_source, payment_external_id, referrer_id, "
                   "referred_id, amount_rub) VALUES (%s, %s, %s, %s, %s) "
                   "ON CONFLICT (payment_source, payment_external_id) DO NOTHING RETURNING id",
                   (source, external_id, referrer_id, referred_id, reward))
        if tx.fetchone() is None:
            return None  # rewarded before
        if reward > 0:
            app.balances.credit(referrer_id, reward, kind="referral", cur=tx,
                                reason=f"referral of user {referred_id}: {source} payment {external_id}"[:200])
            tx.execute("UPDATE referrals SET reward_rub = COALESCE(reward_rub, 0) + %s "
                       "WHERE referred_id = %s", (reward, referred_id))
    if reward > 0:
        log.info("referrer %s rewarded %s RUB for user %s's payment %s", referrer_id, reward,
                 referred_id, external_id)
    return reward


def take_back(app, settings, source: str, external_id: str) -> Decimal:
    """A payment was refunded: take back the reward it earned (a fixed reward too, once
    what the user still has paid no longer exceeds it). Returns what was taken."""
    with app.db.transaction() as tx:
        tx.execute("SELECT user_id FROM payments WHERE source = %s AND external_id = %s",
                   (source, external_id))
        row = tx.fetchone()
        if row is None:
            return Decimal("0")
        referred_id = row[0]
        tx.execute("SELECT 1 FROM referrals WHERE referred_id = %s FOR UPDATE", (referred_id,))
        tx.execute("SELECT w.id, w.referrer_id, w.amount_rub FROM referral_rewards w "
                   "WHERE w.referred_id = %(u)s AND w.status = 'paid' AND w.amount_rub > 0 AND ("
                   "(w.payment_source = %(s)s AND w.payment_external_id = %(e)s) OR "
                   "(%(fixed)s > 0 AND (SELECT COALESCE(SUM(amount_rub), 0) FROM payments "
                   "WHERE user_id = %(u)s AND status = 'credited') <= %(fixed)s))",
                   {"u": referred_id, "s": source, "e": external_id,
                    "fixed": Decimal(str(settings["reward_rub"]))})
        taken = Decimal("0")
        for reward_id, referrer_id, amount in tx.fetchall():
            tx.execute("SELECT COALESCE(balance_rub, 0) FROM balances WHERE user_id = %s FOR UPDATE",
                       (referrer_id,))
            balance = (tx.fetchone() or (Decimal("0"),))[0]
            part = min(balance, amount)
            if part > 0:
                app.balances.debit(referrer_id, part, cur=tx, reason=f"referral reward taken back: "
                                   f"{source} payment {external_id} refunded"[:200])
            tx.execute("UPDATE referral_rewards SET status = %s, unrecovered_rub = %s, updated_at = NOW() "
                       "WHERE id = %s", ("reversed" if part == amount else "unrecovered",
                                         amount - part, reward_id))
            tx.execute("UPDATE referrals SET reward_rub = GREATEST(COALESCE(reward_rub, 0) - %s, 0) "
                       "WHERE referred_id = %s", (amount, referred_id))
            taken += part
            if part < amount:
                log.warning("referral reward of %s RUB to user %s for a refunded payment: only %s "
                            "could be taken back (spent)", amount, referrer_id, part)
    return taken


def catch_up(app, settings, batch: int = 500) -> int:
    """Reward payments and take back refunds whose announcement a crash lost."""
    missed = app.db.fetch_all(
        "SELECT p.source, p.external_id FROM payments p JOIN referrals r ON r.referred_id = p.user_id "
        "WHERE p.status = 'credited' AND NOT EXISTS (SELECT 1 FROM referral_rewards w WHERE "
        "w.payment_source = p.source AND w.payment_external_id = p.external_id) "
        "ORDER BY p.id LIMIT %s", (batch,))
    refunded = app.db.fetch_all(
        "SELECT p.source, p.external_id FROM payments p JOIN referral_rewards w "
        "ON w.payment_source = p.source AND w.payment_external_id = p.external_id "
        "WHERE p.status = 'refunded' AND w.status = 'paid' AND w.amount_rub > 0 LIMIT %s", (batch,))
    for source, external_id in missed:
        reward_payment(app, settings, source, external_id)
    for source, external_id in refunded:
        take_back(app, settings, source, external_id)
    return len(missed) + len(refunded)


def show_partner_screen(ctx, settings) -> None:
    invited, earned = ctx.app.db.fetch_one(
        "SELECT COUNT(*), COALESCE(SUM(reward_rub), 0) FROM referrals WHERE referrer_id = %s",
        (ctx.user_id,))
    link = f"https://t.me/{bot_username(ctx.app, settings)}?start=ref_{ctx.user_id}"
    fixed = Decimal(str(settings["reward_rub"]))
    terms = (t("ref_terms_fixed", reward=money(fixed)) if fixed > 0
             else t("ref_terms_share", percent=f"{Decimal(str(settings['reward_percent'])):g}"))
    ctx.reply(t("ref_screen", link=link, invited=invited, earned=money(earned), terms=terms))


@hookimpl
def plugin_tables():
    return ["referrals", "referral_rewards"]


@hookimpl
def plugin_settings():
    # reward_rub > 0 switches from a share of each payment to one fixed reward.
    return {"reward_percent": Decimal("10"), "reward_rub": Decimal("0.00"), "bot_username": ""}


@hookimpl
def plugin_settings_check(settings):
    percent, fixed = Decimal(str(settings["reward_percent"])), Decimal(str(settings["reward_rub"]))
    if not 0 <= percent <= 100:
        raise ValueError("setting reward_percent must be from 0 to 100")
    if fixed < 0:
        raise ValueError("setting reward_rub must not be negative")


@hookimpl
def plugin_texts():
    return {"ru": {
        "btn_referrals": "🤝 Партнёрка",
        "ref_screen": ("🤝 Партнёрская программа\n\nВаша ссылка:\n{link}\n\n{terms}\n"
                       "Приглашено: {invited}\nЗаработано: {earned}"),
        "ref_terms_share": "Вы получаете {percent}% от каждого пополнения приглашённых.",
        "ref_terms_fixed": ("Вы получаете {reward} за приглашённого, когда он пополнит баланс "
                            "в сумме больше чем на {reward}."),
    }, "en": {
        "btn_referrals": "🤝 Invite friends",
        "ref_screen": ("🤝 Referral programme\n\nYour link:\n{link}\n\n{terms}\n"
                       "Invited: {invited}\nEarned: {earned}"),
        "ref_terms_share": "You get {percent}% of every top-up of the people you invite.",
        "ref_terms_fixed": ("You get {reward} for each person you invite, once their top-ups "
                            "add up to more than {reward}."),
    }}


@hookimpl
def menu_buttons(app, settings):
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


# The payments plugin's hooks (plugins/payments/hooks.py): optional, so referrals loads
# where payments does not.
@hookimpl(optionalhook=True)
def payment_credited(app, settings, payment):
    reward_payment(app, settings, payment.source, payment.external_id)


@hookimpl(optionalhook=True)
def payment_refunded(app, settings, payment):
    take_back(app, settings, payment.source, payment.external_id)


@hookimpl
def startup_cleanup(app, settings):
    return {"payments_caught_up": catch_up(app, settings)}
