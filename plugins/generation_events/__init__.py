"""generation_events: a row for every step of every generation, and the admins' /stats.

Each generation logs ``started`` and then ``success``, ``failed`` or ``timeout``
with the seed's columns. Without the table generations carry on and /stats answers
"⚠️ База временно недоступна" (the host degrades the plugin and logs
"generation_events table missing"). The same rows tell how long a model usually takes
(``generation_estimate``: the median of its last successes), which the progress
message shows; while the plugin is degraded the message simply says nothing of it.
"""

from __future__ import annotations

import logging

from genbot import UNAVAILABLE_ERRORS, Command, GenerationEvent, hookimpl
from plugins.generation_events.stats import stats_text

log = logging.getLogger("genbot.plugins.generation_events")

_INSERT = """
INSERT INTO generation_events (user_id, chat_id, model_id, category, status, is_free_applied,
    price_rub, request_id, task_id, error_code, error_message, duration_ms)
VALUES (%(user_id)s, %(chat_id)s, %(model_id)s, %(category)s, %(status)s, %(is_free_applied)s,
    %(price_rub)s, %(request_id)s, %(task_id)s, %(error_code)s, %(error_message)s, %(duration_ms)s)
"""


def log_generation_event(app, event: GenerationEvent) -> None:
    """Insert one event row; the user is written first, so no foreign key can fail.
    Without the table this raises, and the host degrades the plugin at once."""
    if event.status not in GenerationEvent.STATUSES:
        raise ValueError(f"generation event status must be one of {GenerationEvent.STATUSES}")
    app.ensure_user_id(event.user_id)
    row = {name: getattr(event, name) for name in (
        "user_id", "chat_id", "model_id", "category", "status", "is_free_applied", "price_rub",
        "request_id", "task_id", "error_code", "error_message", "duration_ms")}
    row["error_message"] = (row["error_message"] or None) and row["error_message"][:2000]
    app.db.execute(_INSERT, row)


# The median duration of a model's latest successes this week, if there are enough.
_ESTIMATE = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), count(*) FROM (
    SELECT duration_ms FROM generation_events
    WHERE model_id = %s AND status = 'success' AND duration_ms IS NOT NULL
      AND created_at > NOW() - INTERVAL '7 days'
    ORDER BY created_at DESC LIMIT 20) recent
"""
_ESTIMATE_MIN_SAMPLES = 3


def usual_duration_s(app, model_id: str) -> float | None:
    try:
        median_ms, samples = app.db.fetch_one(_ESTIMATE, (model_id,))
    except UNAVAILABLE_ERRORS:  # the progress message just says less
        return None
    if samples < _ESTIMATE_MIN_SAMPLES or median_ms is None:
        return None
    return float(median_ms) / 1000.0


def show_stats(ctx, _args="") -> None:
    ctx.reply(stats_text(ctx.app))


@hookimpl
def plugin_tables():
    return ["generation_events"]


@hookimpl
def plugin_texts():
    return {"ru": {"stats_head": "📊 Генерации за 24 часа",
                   "stats_no_events": "• событий нет",
                   "stats_successes": "Успешных бесплатных: {free}, платных: {paid}\nВыручка: {revenue}",
                   "stats_failures": "Частые ошибки:"},
            "en": {"stats_head": "📊 Generations in the last 24 hours",
                   "stats_no_events": "• no events",
                   "stats_successes": "Succeeded free: {free}, paid: {paid}\nRevenue: {revenue}",
                   "stats_failures": "Most frequent errors:"}}


@hookimpl
def generation_started(app, event):
    log_generation_event(app, event)


@hookimpl
def generation_finished(app, event):
    log_generation_event(app, event)


@hookimpl
def generation_estimate(app, settings, model_id):
    return usual_duration_s(app, model_id)


@hookimpl
def bot_commands(app, settings):
    return [Command("stats", show_stats, admin_only=True)]
