"""The one sender: the Bot API client, its outbox and limits, and the links genbot signs.

May import: the ground floor (core.config, core.db, core.logs, core.metrics, core.url_fetch)."""
