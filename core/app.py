"""The application object: what one serve process holds, and what plugins are given.

``App`` is the composition root — configuration, the database pool, the user cache,
balances, the Bot API client, the router and the update pipeline, the plugin host, the
model catalog (``catalog``: the whole file; ``offer.catalog``: the models whose provider
runs), the job queue and a job's stages — and the plugin surface (the members
``genbot.APP_SURFACE`` names). An update goes in through ``pipeline.handle``
(``core.bot.pipeline``).
"""

from __future__ import annotations

import logging

from telebot import types

from core.accounts.balances import Balances
from core.accounts.payments import PaymentRecord, payments_of
from core.accounts.users import UserCache, Users, ensure_user_exists, ensure_user_id
from core.bot import dispatch
from core.bot.conversations import Conversations
from core.bot.menu import Menu
from core.bot.pipeline import Pipeline
from core.bot.texts import language, languages, t
from core.bot.updates import UpdateLedger
from core.config import Config, DatabaseSettings
from core.db import Database
from core.generation.catalog import load_catalog
from core.generation.delivery import Delivery
from core.generation.history import History
from core.generation.jobs import Ending, Job, JobQueue
from core.generation.lifecycle import Lifecycle
from core.generation.offer import Offer
from core.generation.ordering import Ordering
from core.generation.progress import Progress
from core.generation.workers import JobRunner
from core.host.plugin_host import ENABLED, PluginHost
from core.screens import handlers
from core.telegram.client import RateLimits, TelegramApi
from core.telegram.links import InputFiles, ResultLinks
from core.url_fetch import Fetched, UrlFetcher

log = logging.getLogger("genbot.app")


class App:
    def __init__(self, config: Config, database: DatabaseSettings, *, local_sink=None,
                 plugins: PluginHost | None = None):
        self.config = config
        self.db = Database(database, minconn=config.db_pool_min, maxconn=config.db_pool_max,
                           wait_s=config.db_pool_wait_s,
                           statement_timeout_ms=config.db_statement_timeout_ms)
        self.user_cache = UserCache(ttl_s=config.user_cache_ttl_s)
        self.balances = Balances(self.db, self.user_cache)
        self.users = Users(self.db)
        self.updates = UpdateLedger(self.db, self.user_cache)
        self.conversations = Conversations(self.db)
        self.runner = None
        self.telegram = TelegramApi(config.bot_token, config.telegram_api_url,
                                    local_sink=local_sink, limits=RateLimits(
                                        config.bot_api_rate, config.bot_api_chat_rate))
        link_key = config.webhook_secret or config.bot_token or "local"
        self.input_files = InputFiles(self.telegram, config.webhook_url, link_key)
        self.result_links = ResultLinks(config.webhook_url, link_key, config.result_link_days)
        self.fetcher = UrlFetcher(config.fetch_allow_networks)
        self.router = dispatch.Router()
        self.pipeline = Pipeline(self)  # one update's way through, for every door
        self.menu = Menu()
        self.catalog = load_catalog(config.catalog_file)
        self.jobs = JobQueue(self.db, self.balances, free_quota=config.free_daily_quota,
                             lock_ttl_s=config.job_lock_ttl_s, max_active=config.max_active_jobs)
        self.plugins = plugins or PluginHost(config.plugins_file).load()
        handlers.register(self)  # after the plugins' texts: their languages get menus too
        self.plugins.on_user_tables_recreated = self.user_cache.forget
        self.plugins.collect(self)  # what each plugin adds; one that raises fails here
        providers = self._providers()
        offered = self._offered_models(providers).with_request_overheads(providers)
        self.offer = Offer(offered, providers, is_admin=self.is_admin,
                           show_demo_models=config.show_demo_models)
        self.jobs.catalog = offered  # what a job cancelled mid-answer is priced by
        # A job's stages, each given what it works with; none of them points back.
        self.delivery = Delivery(self, offered)
        self.progress = Progress(self, on_ended=self.delivery.show_ending_again)
        self.lifecycle = Lifecycle(self, self.offer, self.progress, self.delivery)
        self.ordering = Ordering(self, self.offer, self.lifecycle)
        self.history = History(self, self.offer, self.delivery, self.ordering.category_keyboard)
        # Before the plugins: a draft's text goes to the draft first.
        self.ordering.register()
        self.history.register()
        self.plugins.install(self)
        self.balances.listeners.append(self._tell_plugins_of_balance_change)
        self.plugins.start_probing(self.db, config.plugin_probe_interval_s)

    def _providers(self) -> dict:
        return {p.name: p for _plugin, p in self.plugins.contributions("generation_providers")}

    def _offered_models(self, providers: dict):
        """The catalog less models whose provider is not running (off, failed, no key)."""
        hidden = sorted({m.provider for m in self.catalog.models.values()} - set(providers))
        for name in hidden:
            count = sum(1 for m in self.catalog.models.values() if m.provider == name)
            plugin = self.plugins.plugins.get(name)
            if plugin is not None and plugin.state == ENABLED:  # no key yet: the usual case
                log.info("catalog: %d model(s) of provider %r hidden until it is configured "
                         "(its key in %s)", count, name, self.config.plugins_file)
            else:
                log.warning("catalog: %d model(s) use provider %r, which is not available "
                            "(switched off, failed or not installed): they are hidden", count, name)
        return self.catalog.only_providers(set(providers))

    def start_workers(self):
        """Start this process's job workers (`genbot serve` does it in every worker process)."""
        self.runner = JobRunner(
            self.jobs, self.lifecycle.run_job, threads=self.config.job_workers,
            heartbeat_s=self.config.job_heartbeat_s, sweep_s=self.config.job_sweep_s,
            listen=self.config.job_listen,
            on_lost=lambda job_id, status: self.lifecycle.end(job_id, Ending.found_lost(status)),
            on_untold=lambda job, dead_holder: self.delivery.deliver(job, steal_from=dead_holder))
        return self.runner.start()

    def _tell_plugins_of_balance_change(self, change) -> None:
        self.plugins.call("balance_changed", app=self, change=change)

    # -- what plugins may call besides db, balances, users, conversations, telegram, catalog
    # (the surface genbot/__init__.py documents; tests/test_public_api.py holds plugins to it)

    def ensure_user_id(self, user_id: int) -> None:
        """The user's row exists (cached), before a plugin's row refers to it."""
        ensure_user_id(self.db, self.user_cache, user_id)

    def payments_of(self, *user_ids: int, cur=None) -> list[PaymentRecord]:
        """Every payment of these users as it stands, oldest first (in ``cur``'s
        transaction when given): what a plugin's rule on real money is read from."""
        return payments_of(self.db, *user_ids, cur=cur)

    def generation_result(self, user_id: int, job_id: int) -> dict | None:
        """A succeeded job of this user as plugins see it (to save it in a project), or None."""
        return self.delivery.generation_result(user_id, job_id)

    def job(self, job_id: int) -> Job | None:
        """A generation job, e.g. the one a provider's callback names."""
        return self.jobs.get(job_id)

    def end_job(self, job_id: int, ending: Ending, *, deadline_s: float | None = None) -> bool:
        """End a running job from a provider's callback (``Ending.succeeded(output)``,
        ``Ending.failed(code, message, reason)``): the money is settled and the user told,
        once; False if the job had ended already."""
        return self.lifecycle.end(job_id, ending, deadline_s=deadline_s) is not None

    def settle_job(self, job_id: int, status: str, *, output=None, error_code: str | None = None,
                   error_message: str | None = None, reason: str | None = None,
                   deadline_s: float | None = None) -> bool:
        """``end_job`` as the previous release spelled it (status and fields), kept for
        plugins written against it."""
        ending = Ending(status, output, error_code, error_message, reason)
        return self.end_job(job_id, ending, deadline_s=deadline_s)

    def download_file(self, file_id: str) -> tuple[bytes, str]:
        """A file a user sent, from Telegram: its bytes and content type."""
        return self.input_files.fetch(file_id)

    def fetch_url(self, url: str, *, max_bytes: int, timeout_s: float) -> Fetched:
        """A URL's body, fetched only from public addresses (every redirect too), cut at
        ``max_bytes`` and ``timeout_s``; ``UrlRefused`` says why not (``core.url_fetch``)."""
        return self.fetcher.fetch(url, max_bytes=max_bytes, timeout_s=timeout_s)

    @property
    def bot_id(self) -> int:
        """The bot's own Telegram user id (from its token; 0 in local mode)."""
        return self.telegram.bot_id

    def bot_username(self) -> str:
        """The bot's @username without the @ (asked of Telegram once), e.g. for t.me links."""
        return self.telegram.username()

    def send_invoice(self, chat_id: int, *, title: str, description: str, payload: str,
                     currency: str, prices: list[tuple[str, int]], provider_token: str = ""):
        """An invoice (Telegram Payments; currency ``XTR`` and no token for Stars);
        ``prices``: (label, amount in the smallest units)."""
        return self.telegram.send_invoice(chat_id, title=title, description=description,
                                          payload=payload, currency=currency, prices=prices,
                                          provider_token=provider_token)

    @property
    def public_url(self) -> str | None:
        """Where the world reaches this bot (``WEBHOOK_URL``), for provider callbacks."""
        return self.config.webhook_url

    def secret(self, name: str, default: str = "") -> str:
        """An environment variable (a key a plugin's settings do not hold)."""
        return self.plugins.env.get(name, default)

    def hook(self, name: str, **arguments) -> list:
        """Call a hook of every plugin, each isolated; the answers that are not None."""
        return [answer for _plugin, answer in self.plugins.call(name, app=self, **arguments)]

    # -- what handlers and plugins use -------------------------------------------------

    def ensure_user(self, user: types.User) -> bool:
        return ensure_user_exists(self.db, self.user_cache, user.id, user.username,
                                  user.first_name, user.last_name)

    def add_button(self, label: str, handler, *, order: int = 100, owner: str = "core",
                   needs_db: bool = True, lang: str | None = None) -> None:
        """Put a button in the main menu (of ``lang``, else the current language) together
        with the handler that answers it."""
        self.router.button(label, handler, owner, needs_db=needs_db)
        self.menu.add(label, order, owner, lang)

    def add_button_in_every_language(self, text_key: str, handler, *, order: int = 100,
                                     owner: str = "core", needs_db: bool = True) -> None:
        """The button whose label is the text ``text_key``, in every language's menu."""
        for lang in languages():
            with language(lang):
                self.add_button(t(text_key), handler, order=order, owner=owner,
                                needs_db=needs_db, lang=lang)

    def main_menu(self):
        """The menu keyboard in the language of the update being handled."""
        return self.menu.keyboard()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.config.admin_ids

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.progress.stop()
        self.plugins.stop()
        self.telegram.close()
        self.db.close()
