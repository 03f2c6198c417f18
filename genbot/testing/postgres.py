"""One real PostgreSQL per test session; one database per test, cloned from a template.

The template is migrated once; cloning it (``CREATE DATABASE … TEMPLATE``) takes a
few milliseconds, so every test gets a database of its own with the full schema.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from urllib.parse import quote

from core.config import DatabaseSettings
from core.db import query_once
from core.ops.embedded import EmbeddedPostgres

TEMPLATE = "genbot_template"
_names = itertools.count(1)


def migrated_server_of_its_own(data_dir) -> tuple[EmbeddedPostgres, DatabaseSettings]:
    """A PostgreSQL a test may stop and start (outage drills), with the full schema:
    the core's migrations and those of every installed plugin."""
    from core.host.plugin_host import PluginHost
    from core.ops.migrations import Migrator

    embedded = EmbeddedPostgres(data_dir)
    settings = embedded.start()
    Migrator(settings, PluginHost(Path("/nonexistent/plugins.toml"), env={}).load()
             .migration_dirs()).apply()
    return embedded, settings


class TestPostgres:
    def __init__(self, data_dir):
        self.embedded = EmbeddedPostgres(data_dir)
        self.admin: DatabaseSettings | None = None

    def start(self) -> TestPostgres:
        self.admin = self.embedded.start(database="postgres")
        return self

    def settings(self, dbname: str) -> DatabaseSettings:
        admin = self._started()
        return DatabaseSettings(host=admin.host, port=admin.port, dbname=dbname, user=admin.user)

    def _started(self) -> DatabaseSettings:
        assert self.admin is not None, "TestPostgres.start() first"
        return self.admin

    def _admin(self, sql: str) -> None:
        query_once(self._started(), sql)

    def create(self, template: str | None = None, name: str | None = None) -> DatabaseSettings:
        name = name or f"t{os.getpid()}_{next(_names)}"
        suffix = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{suffix}')
        return self.settings(name)

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self.embedded.stop()


def url_for(settings: DatabaseSettings) -> str:
    """A DATABASE_URL for a unix-socket database, as an operator would write it."""
    return (f"postgresql://{settings.user}@/{settings.dbname}"
            f"?host={quote(settings.host or '')}&port={settings.port}")
