"""Fixtures: a real PostgreSQL for the session, a fresh database for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from core.migrations import Migrator
from core.plugins import PluginHost
from core.users import UserCache
from tests.support.pg import TEMPLATE, TestPostgres
from tests.support.telegram_standin import BotApiStandIn


@pytest.fixture(scope="session")
def pg(tmp_path_factory):
    server = TestPostgres(tmp_path_factory.mktemp("pg")).start()
    template = server.create(name=TEMPLATE)
    # The core's migrations and those of every installed plugin (the example one too).
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
def db(db_settings):
    database = Database(db_settings, minconn=1, maxconn=60)
    yield database
    database.close()


@pytest.fixture
def user_cache():
    return UserCache(ttl_s=600)


@pytest.fixture
def bot_api():
    standin = BotApiStandIn().start()
    yield standin
    standin.stop()
