"""Fixtures: the shipped harness's (a real PostgreSQL for the session, a fresh database
for each test, the Bot API stand-in), and a few of the suite's own."""

from __future__ import annotations

import pytest

from core.accounts.users import UserCache
from core.db import Database
from genbot.testing.fixtures import bot, bot_api, db_settings, empty_db_settings, pg  # noqa: F401


@pytest.fixture
def db(db_settings):  # noqa: F811
    database = Database(db_settings, minconn=1, maxconn=60)
    yield database
    database.close()


@pytest.fixture
def user_cache():
    return UserCache(ttl_s=600)
