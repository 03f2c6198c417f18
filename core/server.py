"""The production WSGI server: gunicorn with threaded workers, started from Python.

Each worker process builds its own ``App`` after the fork (its own connection pool),
so nothing that holds a socket crosses a fork. Threads are sized for handlers that
block on Telegram and the database. gunicorn's master handles SIGTERM and SIGINT:
it stops the workers gracefully, then returns here so the caller can stop the
embedded database.
"""

from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

log = logging.getLogger("genbot.server")


class _GunicornServer(BaseApplication):
    def __init__(self, factory, options: dict):
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._factory()


def serve(config, build_wsgi_app, *, on_worker_exit=None) -> None:
    """Serve until SIGTERM/SIGINT. ``build_wsgi_app()`` runs once in every worker."""

    def worker_exit(_server, worker):
        if on_worker_exit is not None:
            on_worker_exit(worker)

    options = {
        "bind": f"{config.host}:{config.port}",
        "workers": config.web_workers,
        "worker_class": "gthread",
        "threads": config.web_threads,
        # Telegram waits up to 60 s for a webhook answer; a worker stuck longer is restarted.
        "timeout": 75,
        "graceful_timeout": 20,
        "keepalive": 30,
        "backlog": 2048,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": config.log_level.lower(),
        "proc_name": "genbot",
        "control_socket_disable": True,
        "worker_exit": worker_exit,
    }
    log.info("serving on http://%s:%s with %d workers x %d threads", config.host, config.port,
             config.web_workers, config.web_threads)
    _GunicornServer(build_wsgi_app, options).run()
