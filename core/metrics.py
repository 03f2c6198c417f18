"""Prometheus metrics, served at ``GET /metrics`` to the holder of ``METRICS_TOKEN`` (core.serve.web).

Counters and the latency histogram are kept with prometheus-client. Under
``genbot serve`` every gunicorn worker writes them to ``PROMETHEUS_MULTIPROC_DIR``
(set by serve before the workers start), so a scrape sees the sum over workers,
whichever worker answers it. Gauges that describe the present — queue depth, plugin
states, this worker's pool — are read at scrape time.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

UPDATES = Counter("genbot_updates_total", "Telegram updates by type and outcome",
                  ["type", "outcome"])
WEBHOOK_SECONDS = Histogram("genbot_webhook_seconds", "Time to answer POST /webhook",
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
GENERATIONS = Counter("genbot_generations_total", "Finished generations by model and status",
                      ["model", "status"])
PAYMENTS = Counter("genbot_payments_total", "Payments by source and result (credited, duplicate)",
                   ["source", "result"])


class Reported(Protocol):
    """What the gauges read of the application (``core.app.App`` is one): each member is
    an object of a higher floor, so it is only named here."""

    plugins: Any  # core.host.plugin_host.PluginHost: plugins and their states
    db: Any  # core.db.Database: the pool's busy and max
    jobs: Any  # core.generation.jobs.JobQueue: the queue's depth


class _Live:
    """Gauges read when scraped."""

    def __init__(self, app: Reported):
        self.app = app

    def collect(self):
        app = self.app
        plugins = GaugeMetricFamily("genbot_plugin_state", "1 for each plugin's current state",
                                    labels=["plugin", "state"])
        for plugin in app.plugins.loaded():
            for state in app.plugins.STATES:
                plugins.add_metric([plugin.name, state], 1 if plugin.state == state else 0)
        yield plugins
        pool = GaugeMetricFamily("genbot_db_pool_connections", "This worker's pool: busy and max",
                                 labels=["kind"])
        pool.add_metric(["busy"], app.db.busy)
        pool.add_metric(["max"], app.db.maxconn)
        yield pool
        try:
            depth = app.jobs.depth()
        except Exception:  # no database: the gauge is absent rather than wrong
            return
        queue = GaugeMetricFamily("genbot_queue_depth", "Generation jobs waiting for a worker")
        queue.add_metric([], depth)
        yield queue


def render(app: Reported) -> tuple[bytes, str]:
    """The metrics text and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        shared = generate_latest(registry)
    else:
        shared = generate_latest(REGISTRY)
    live = CollectorRegistry()
    live.register(_Live(app))
    return shared + generate_latest(live), CONTENT_TYPE_LATEST
