"""What a job's stages use of the application (``core.app.App`` is one), as a type:
each stage is given the App and reaches only these members of it."""

from __future__ import annotations

from typing import Protocol

from core.accounts.balances import Balances
from core.bot.conversations import Conversations
from core.bot.dispatch import Router
from core.config import Config
from core.db import Database
from core.generation.jobs import JobQueue
from core.host.plugin_host import PluginHost
from core.telegram.client import TelegramApi
from core.telegram.links import InputFiles, ResultLinks
from core.url_fetch import UrlFetcher


class GenerationApp(Protocol):
    config: Config
    db: Database
    jobs: JobQueue
    balances: Balances
    telegram: TelegramApi
    conversations: Conversations
    router: Router
    plugins: PluginHost
    input_files: InputFiles
    result_links: ResultLinks
    fetcher: UrlFetcher

    def is_admin(self, user_id: int | None) -> bool: ...

    def add_button_in_every_language(self, text_key: str, handler, *, order: int = 100,
                                     owner: str = "core", needs_db: bool = True) -> None: ...
