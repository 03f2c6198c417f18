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
        if not app.users.lock(referred_id, cur=tx):
            return False
        if not app.users.exists(referrer_id, cur=tx):
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


def _referrer_locked(tx, referred_id: int) -> int | None:
    """Who referred the user, their referral row locked: one referred user's payments
    are rewarded and taken back one at a time (the fixed reward once). None: not referred."""
    tx.execute("SELECT referrer_id FROM referrals WHERE referred_id = %s FOR UPDATE", (referred_id,))
    row = tx.fetchone()
    return row[0] if row else None


def reward_payment(app, settings, source: str, external_id: str, user_id: int) -> Decimal | None:
    """Reward the referrer for one credited payment of ``user_id``, once; the reward, or None."""
    with app.db.transaction() as tx:
        referrer_id = _referrer_locked(tx, user_id)
        if referrer_id is None:
            return None  # the payer was not referred
        payments = app.payments_of(user_id, cur=tx)  # read under the lock: as they stand
        payment = next((p for p in payments if p.key == (source, external_id)), None)
        if payment is None or payment.status != "credited":
            return None  # not this user's, or no longer credited
        tx.execute("SELECT payment_source, payment_external_id, status, amount_rub "
                   "FROM referral_rewards WHERE referred_id = %s", (user_id,))
        rewards = tx.fetchall()
        rewarded = {(row[0], row[1]) for row in rewards}
        paid_before = sum((p.amount_rub for p in payments if p.status == "credited"
                           and p.key in rewarded), Decimal("0"))
        fixed_paid = any(status == "paid" and amount > 0 for _s, _e, status, amount in rewards)
        reward = reward_for(settings, payment.amount_rub, paid_before, fixed_paid)
        tx.execute("INSERT INTO referral_rewards (payment_source, payment_external_id, referrer_id, "
                   "referred_id, amount_rub) VALUES (%s, %s, %s, %s, %s) "
                   "ON CONFLICT (payment_source, payment_external_id) DO NOTHING RETURNING id",
                   (source, external_id, referrer_id, user_id, reward))
        if tx.fetchone() is None:
            return None  # rewarded before
        if reward > 0:
            app.balances.credit(referrer_id, reward, kind="referral", cur=tx,
                                reason=f"referral of user {user_id}: {source} payment {external_id}"[:200])
            tx.execute("UPDATE referrals SET reward_rub = COALESCE(reward_rub, 0) + %s "
                       "WHERE referred_id = %s", (reward, user_id))
    if reward > 0:
        log.info("referrer %s rewarded %s RUB for user %s's payment %s", referrer_id, reward,
                 user_id, external_id)
    return reward


def take_back(app, settings, source: str, external_id: str, user_id: int) -> Decimal:
    """A payment of ``user_id`` was refunded: take back the reward it earned (a fixed
    reward too, once what the user still has paid no longer exceeds it). Returns what
    was taken."""
    with app.db.transaction() as tx:
        if _referrer_locked(tx, user_id) is None:
            return Decimal("0")
        still_paid = sum((p.amount_rub for p in app.payments_of(user_id, cur=tx)
                          if p.status == "credited"), Decimal("0"))
        fixed = Decimal(str(settings["reward_rub"]))
        tx.execute("SELECT w.id, w.referrer_id, w.amount_rub FROM referral_rewards w "
                   "WHERE w.referred_id = %(u)s AND w.status = 'paid' AND w.amount_rub > 0 AND ("
                   "(w.payment_source = %(s)s AND w.payment_external_id = %(e)s) OR "
                   "(%(fixed)s > 0 AND %(still_paid)s <= %(fixed)s))",
                   {"u": user_id, "s": source, "e": external_id, "fixed": fixed,
                    "still_paid": still_paid})
        taken = Decimal("0")
        for reward_id, referrer_id, amount in tx.fetchall():
            # Locked till the end: what is taken back is at most what the referrer has left.
            balance = app.balances.get(referrer_id, cur=tx, for_update=True)
            part = min(balance, amount)
            if part > 0:
                app.balances.debit(referrer_id, part, cur=tx, reason=f"referral reward taken back: "
                                   f"{source} payment {external_id} refunded"[:200])
            tx.execute("UPDATE referral_rewards SET status = %s, unrecovered_rub = %s, updated_at = NOW() "
                       "WHERE id = %s", ("reversed" if part == amount else "unrecovered",
                                         amount - part, reward_id))
            tx.execute("UPDATE referrals SET reward_rub = GREATEST(COALESCE(reward_rub, 0) - %s, 0) "
                       "WHERE referred_id = %s", (amount, user_id))
            taken += part
            if part < amount:
                log.warning("referral reward of %s RUB to user %s for a refunded payment: only %s "
                            "could be taken back (spent)", amount, referrer_id, part)
    return taken


def catch_up(app, settings, batch: int = 500) -> int:
    """Reward payments and take back refunds whose announcement a crash lost: the
    referred users are read ``batch`` at a time with their payments and rewards."""
    done, after = 0, 0
    while True:
        rows = app.db.fetch_all("SELECT id, referred_id FROM referrals WHERE id > %s "
                                "ORDER BY id LIMIT %s", (after, batch))
        if not rows:
            return done
        after, referred = rows[-1][0], [row[1] for row in rows]
        rewards = {(s, e): (status, amount) for s, e, status, amount in app.db.fetch_all(
            "SELECT payment_source, payment_external_id, status, amount_rub FROM referral_rewards "
            "WHERE referred_id = ANY(%s)", (referred,))}
        for payment in app.payments_of(*referred):  # oldest first: a fixed reward as it fell due
            reward = rewards.get(payment.key)
            if payment.status == "credited" and reward is None:
                reward_payment(app, settings, payment.source, payment.external_id, payment.user_id)
            elif payment.status == "refunded" and reward is not None and reward[0] == "paid" \
                    and reward[1] > 0:
                take_back(app, settings, payment.source, payment.external_id, payment.user_id)
            else:
                continue
            done += 1


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
    reward_payment(app, settings, payment.source, payment.external_id, payment.user_id)


@hookimpl(optionalhook=True)
def payment_refunded(app, settings, payment):
    take_back(app, settings, payment.source, payment.external_id, payment.user_id)


@hookimpl
def startup_cleanup(app, settings):
    return {"payments_caught_up": catch_up(app, settings)}
