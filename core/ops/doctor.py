"""``genbot doctor``: the seed's Monitoring section as one command, with what to do.

Each check gives a finding with a severity and the command that fixes it. The exit
code follows the monitoring-plugins convention (Nagios, Icinga, Prometheus' script
exporters): 0 healthy, 1 warning (genbot serves, something is degraded or awaits a
person), 2 critical (genbot cannot serve, or the money does not add up). The checks use
the seed's own queries where it has them (tables, foreign keys, recent failures).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from core.accounts.balances import ledger_differences
from core.db import CORE_TABLES
from core.generation.jobs import failing_providers

# The seed's "Check Table Existence" and "Check FK Constraints" queries.
SEED_TABLES_QUERY = "SELECT tablename FROM pg_tables WHERE schemaname = 'public';"
SEED_FK_QUERY = """
SELECT conname, conrelid::regclass, confrelid::regclass
FROM pg_constraint
WHERE contype = 'f';
"""
EXPECTED_FOREIGN_KEYS = (
    "balances_user_id_fkey", "generation_events_user_id_fkey", "projects_user_id_fkey",
    "project_history_project_id_fkey", "project_history_user_id_fkey",
    "referrals_referrer_id_fkey", "referrals_referred_id_fkey",
    "payment_transactions_user_id_fkey", "balance_reservations_user_id_fkey",
    "generation_jobs_user_id_fkey", "payments_user_id_fkey")


@dataclass
class Finding:
    check: str
    severity: str  # ok, warning, critical
    message: str
    fix: str = ""
    details: list = field(default_factory=list)


def run_checks(db, host, migrator, lock_ttl_s: float) -> list[Finding]:
    findings: list[Finding] = []
    present = {r[0] for r in db.fetch_all(SEED_TABLES_QUERY)}
    missing_core = [t for t in CORE_TABLES if t not in present]
    plugin_tables = {t: p.name for p in host.plugins.values() if p.active for t in p.tables}
    missing_optional = sorted(t for t in plugin_tables if t not in present and t not in CORE_TABLES)
    if "users" in missing_core:
        findings.append(Finding("tables", "critical", "the users table is missing: genbot cannot serve",
                                "genbot migrate"))
    elif missing_core:
        findings.append(Finding("tables", "critical", f"core tables missing: {', '.join(missing_core)}",
                                "genbot migrate", missing_core))
    if missing_optional:
        findings.append(Finding("tables", "warning", "plugin tables missing (their plugins are "
                                f"degraded): {', '.join(missing_optional)}", "genbot migrate",
                                missing_optional))
    if not missing_core and not missing_optional:
        findings.append(Finding("tables", "ok", f"{len(present)} tables present"))

    foreign_keys = {r[0] for r in db.fetch_all(SEED_FK_QUERY)}
    # A key of a missing table is the tables check's finding, not this one's; a key of a
    # plugin's table degrades that plugin only (a warning), a core table's is critical.
    absent = [name for name in EXPECTED_FOREIGN_KEYS
              if name not in foreign_keys and _table_of(name, present)]
    core_keys = [name for name in absent if _table_of(name, set(CORE_TABLES))]
    findings.append(Finding("foreign_keys", "critical" if core_keys else "warning",
                            f"foreign keys missing: {', '.join(absent)}", "genbot migrate", absent)
                    if absent else
                    Finding("foreign_keys", "ok", f"{len(foreign_keys)} foreign keys in place"))

    pending = migrator.pending()
    findings.append(Finding("migrations", "warning", f"pending migrations: {', '.join(pending)}",
                            "genbot migrate", pending) if pending else
                    Finding("migrations", "ok", "every migration applied"))

    troubled = [p for p in host.plugins.values() if p.state in ("degraded", "failed")]
    findings.append(Finding("plugins", "warning", "; ".join(f"{p.name} {p.state}: {p.reason}" for p in troubled),
                            "genbot plugins") if troubled else
                    Finding("plugins", "ok", host.summary()))

    if "generation_events" in present:
        failures = db.fetch_all(
            "SELECT model_id, error_code, error_message, COUNT(*) FROM generation_events "
            "WHERE status IN ('failed', 'timeout') AND created_at > NOW() - INTERVAL '24 hours' "
            "GROUP BY model_id, error_code, error_message ORDER BY COUNT(*) DESC LIMIT 10")
        # Providers fail now and then: the count informs, it does not page anyone.
        findings.append(Finding("recent_failures", "ok",
                                f"{sum(r[3] for r in failures)} failed or timed-out generations in 24 h"
                                if failures else "no failed generations in 24 h", "",
                                [list(map(str, r)) for r in failures]))

    if "balance_reservations" in present:
        stuck = db.fetch_all("SELECT id, user_id, amount_rub FROM balance_reservations "
                             "WHERE status = 'held' AND created_at < NOW() - INTERVAL '1 hour' "
                             "ORDER BY id LIMIT 50")
        findings.append(Finding("stuck_reservations", "warning", f"{len(stuck)} holds older than 1 h",
                                "genbot cleanup", [list(map(str, r)) for r in stuck])
                        if stuck else Finding("stuck_reservations", "ok", "no holds older than 1 h"))
    if "generation_jobs" in present:
        dead = db.fetch_all("SELECT id, user_id, model_id FROM generation_jobs WHERE status = 'running' "
                            "AND heartbeat_at < NOW() - make_interval(secs => %s) ORDER BY id LIMIT 50",
                            (lock_ttl_s,))
        findings.append(Finding("dead_jobs", "warning", f"{len(dead)} running jobs without a heartbeat",
                                "genbot cleanup", [list(map(str, r)) for r in dead])
                        if dead else Finding("dead_jobs", "ok", "no dead jobs"))

    if "generation_jobs" in present:
        findings.append(_providers(db))
    if "payments" in present:
        findings.append(_unsettled_payments(db))
    if "referral_rewards" in present:
        unrecovered = db.fetch_all("SELECT referrer_id, payment_external_id, unrecovered_rub "
                                   "FROM referral_rewards WHERE unrecovered_rub > 0 ORDER BY id LIMIT 50")
        total = sum((r[2] for r in unrecovered), Decimal("0"))
        findings.append(Finding(
            "referral_rewards", "warning",
            f"{total:.2f} RUB of rewards for refunded payments could not be taken back (spent)",
            "decide per referrer: /adjust <id> -<amount> <reason>, or write it off",
            [" ".join(map(str, r)) for r in unrecovered]) if unrecovered else
            Finding("referral_rewards", "ok", "every reward of a refunded payment taken back"))

    if {"balances", "payment_transactions", "balance_reservations"} <= present:
        differences = ledger_differences(db)
        findings.append(Finding(
            "ledger", "critical",
            f"{len(differences)} user(s) whose balance + held differs from the ledger",
            "genbot repair-balances (a dry run: balance → ledger − held per user), "
            "then genbot repair-balances --apply",
            [{"user_id": u, "balance": str(b), "held": str(h), "ledger": str(total)}
             for u, b, h, total in differences]) if differences else
            Finding("ledger", "ok", "balance + held = ledger for every user"))
    return findings


def _providers(db) -> Finding:
    """Providers the operator's account cannot use (out of credit, a key refused) since
    their last successful job."""
    failing = failing_providers(db)
    if not failing:
        return Finding("providers", "ok", "no provider failing for its account")
    return Finding("providers", "warning",
                   "; ".join(f"{name} failing since {since:%Y-%m-%d %H:%M} UTC: {code}"
                             for name, code, _message, since in failing),
                   "fix the provider's account (top it up, a new key in plugins.toml); it counts "
                   "as working again once one of its jobs succeeds",
                   [f"{name}: {message}" for name, _code, message, _since in failing])


def _unsettled_payments(db) -> Finding:
    """Money Telegram took that is not (yet) on a balance: payments matching no invoice,
    and Stars refunds whose outcome is not known."""
    rows = db.fetch_all(
        "SELECT status, source, external_id, user_id, currency, total_amount, review_reason "
        "FROM payments WHERE status = 'review' OR (status = 'refunding' "
        "AND updated_at < NOW() - INTERVAL '1 minute') ORDER BY id LIMIT 50")
    if not rows:
        return Finding("payments", "ok", "every payment credited or refunded")
    review = sum(1 for r in rows if r[0] == "review")
    return Finding("payments", "warning",
                   f"{review} payment(s) await review (recorded, not credited), "
                   f"{len(rows) - review} refund(s) with an unknown outcome",
                   "an admin settles each: /settle <charge id> credit <amount> | refund; "
                   "refunds: genbot cleanup",
                   [" ".join(map(str, r)) for r in rows])


def _table_of(fk_name: str, present: set[str]) -> bool:
    """Whether the table a foreign key belongs to exists (its name is the key's prefix)."""
    return any(fk_name.startswith(table + "_") for table in present)


EXIT_CODES = {"ok": 0, "warning": 1, "critical": 2}
STATUS_LINES = {"ok": "healthy", "warning": "warnings: genbot serves, something needs a look",
                "critical": "critical problems found"}


def status(findings: list[Finding]) -> str:
    """The worst severity among the findings: ok, warning or critical."""
    return max((f.severity for f in findings), key=EXIT_CODES.__getitem__, default="ok")


def exit_code(findings: list[Finding]) -> int:
    return EXIT_CODES[status(findings)]


def unreachable(error: str) -> list[Finding]:
    """What doctor says when it cannot reach the database at all: critical."""
    return [Finding("database", "critical", f"cannot reach the database: {error}",
                    "check DATABASE_URL and that PostgreSQL runs")]


def denied(problem: str, grant: str) -> list[Finding]:
    """What doctor says when its role may not read what it checks: critical, with the GRANT."""
    return [Finding("database", "critical", problem, grant)]


def as_json(findings: list[Finding]) -> dict:
    return {"status": status(findings), "exit_code": exit_code(findings),
            "healthy": exit_code(findings) == 0, "findings": [asdict(f) for f in findings]}


def as_text(findings: list[Finding]) -> str:
    marks = {"ok": "✓", "warning": "!", "critical": "✗"}
    lines = []
    for f in findings:
        lines.append(f"{marks[f.severity]} {f.check}: {f.message}" + (f"  → {f.fix}" if f.fix and f.severity != "ok" else ""))
        for detail in f.details[:20]:
            lines.append(f"    {detail}")
    if [f.check for f in findings] != ["database"]:  # that one line says it all
        lines.append(STATUS_LINES[status(findings)])
    return "\n".join(lines)
