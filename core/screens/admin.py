"""Admin commands, for ``ADMIN_IDS`` only (to anyone else they do not exist).

``/health`` — database, plugins, queue; ``/user <id>`` — balance, holds and the last
generations of a user; ``/adjust <id> <±amount> <reason>`` — a balance correction that
goes through the core's balance functions and so into the ledger. ``/stats`` comes
from the generation_events plugin.
"""

from __future__ import annotations

import re

from core.accounts.balances import InsufficientFunds, InvalidAmount, to_money
from core.bot.texts import money, t
from core.db import DEGRADED_ERRORS
from core.generation.ports import GenerationApp

_ADJUST = re.compile(r"^(\d{1,19})\s+([+-]?)(\S+)\s+(.{3,200})$", re.S)


def health(ctx, _args="") -> None:
    app = ctx.app
    lines = [t("admin_health")]
    try:
        app.db.fetch_one("SELECT 1")
        lines.append(t("admin_health_db", busy=app.db.busy, size=app.db.maxconn))
        lines.append(t("admin_health_queue", depth=app.jobs.depth()))
    except DEGRADED_ERRORS:
        lines.append(t("admin_health_db_down"))
    lines.append(app.plugins.summary())
    for plugin in app.plugins.loaded():
        lines.append(f"• {plugin.name}: {plugin.state}" + (f" ({plugin.reason})" if plugin.reason else ""))
    ctx.reply("\n".join(lines))


def user_card(ctx, args: str) -> None:
    if not args.strip().isdigit():
        ctx.reply(t("admin_user_usage"))
        return
    user_id = int(args.strip())
    app = ctx.app
    row = app.db.fetch_one("SELECT username, first_name, created_at FROM users WHERE user_id = %s",
                           (user_id,))
    if row is None:
        ctx.reply(t("admin_user_unknown", user_id=user_id))
        return
    balance, held = app.balances.summary(user_id)
    jobs = app.db.fetch_all("SELECT id, model_id, status, price_rub, created_at FROM generation_jobs "
                            "WHERE user_id = %s ORDER BY id DESC LIMIT 5", (user_id,))
    lines = [t("admin_user_card", user_id=user_id, username=row[0] or "-", name=row[1] or "",
               since=f"{row[2]:%d.%m.%Y}", balance=money(balance), held=money(held))]
    lines += [t("admin_user_job", id=j[0], model=j[1], status=j[2], price=money(j[3]),
                when=f"{j[4]:%d.%m %H:%M}") for j in jobs] or [t("admin_none")]
    ctx.reply("\n".join(lines))


def adjust(ctx, args: str) -> None:
    match = _ADJUST.match(args.strip())
    if match is None:
        ctx.reply(t("admin_adjust_usage"))
        return
    user_id, sign, raw_amount, reason = int(match[1]), match[2], match[3], match[4].strip()
    try:
        amount = to_money(raw_amount)
    except InvalidAmount as exc:
        ctx.reply(t("admin_adjust_bad_amount", error=str(exc)))
        return
    note = f"admin {ctx.user_id}: {reason}"
    try:
        if sign == "-":
            balance = ctx.app.balances.debit(user_id, amount, reason=note)
        else:
            balance = ctx.app.balances.credit(user_id, amount, kind="topup", reason=note)
    except InsufficientFunds as exc:
        ctx.reply(t("admin_adjust_short", balance=money(exc.balance)))
        return
    ctx.reply(t("admin_adjusted", user_id=user_id,
                change=money(-amount if sign == "-" else amount, signed=True), balance=money(balance)))


def register(app: GenerationApp) -> None:
    app.router.command("health", health, admin_only=True, needs_db=False)
    app.router.command("user", user_card, admin_only=True)
    app.router.command("adjust", adjust, admin_only=True)
