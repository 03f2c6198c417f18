"""The admins' /stats: the last 24 hours of generation_events."""

from __future__ import annotations

from genbot import money, t

# The seed's "Check Recent Failures" query, as it stands in DATABASE_BOOTSTRAP.md.
RECENT_FAILURES = """
SELECT model_id, error_code, error_message, COUNT(*)
FROM generation_events
WHERE status IN ('failed', 'timeout')
  AND created_at > NOW() - INTERVAL '24 hours'
GROUP BY model_id, error_code, error_message
ORDER BY COUNT(*) DESC
LIMIT 10;
"""

BY_STATUS = """
SELECT status, COUNT(*) FROM generation_events
WHERE created_at > NOW() - INTERVAL '24 hours' GROUP BY status ORDER BY status
"""

FREE_PAID_REVENUE = """
SELECT COUNT(*) FILTER (WHERE is_free_applied),
       COUNT(*) FILTER (WHERE NOT COALESCE(is_free_applied, false)),
       COALESCE(SUM(price_rub) FILTER (WHERE NOT COALESCE(is_free_applied, false)), 0)
FROM generation_events
WHERE status = 'success' AND created_at > NOW() - INTERVAL '24 hours'
"""


def stats_text(app) -> str:
    by_status = app.db.fetch_all(BY_STATUS)
    failures = app.db.fetch_all(RECENT_FAILURES)
    free, paid, revenue = app.db.fetch_one(FREE_PAID_REVENUE)
    lines = [t("stats_head")]
    lines += [f"• {status}: {count}" for status, count in by_status] or [t("stats_no_events")]
    lines += ["", t("stats_successes", free=free, paid=paid, revenue=money(revenue)), "",
              t("stats_failures")]
    lines += [f"• {model} {code or '-'}: {(message or '')[:80]} × {count}"
              for model, code, message, count in failures] or [t("admin_none")]
    for section in app.hook("admin_stats"):
        lines += ["", str(section)]
    return "\n".join(lines)
