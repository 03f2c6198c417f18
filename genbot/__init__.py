"""genbot's public API: everything a plugin may import, in one place.

    from genbot import Button, Command, hookimpl, money, t

A plugin is a module of functions marked ``@hookimpl`` (every hook, with its
parameters and what it returns: ``core.host.hookspecs`` and docs/plugins.md); it may
publish hooks of its own, functions marked ``@hookspec`` (``plugin_hookspecs``). What
those functions return is built from the declaration types here (``InlineButton`` for
the buttons under a message); what they are given is
``settings`` (the plugin's own, from ``plugins.toml``), ``ctx`` (one update: who, what,
and the ways to answer) and ``app``, of which a plugin uses only this much:

- ``app.db`` — the database (``fetch_one``, ``fetch_all``, ``execute``, ``transaction``)
  for the plugin's own tables;
- ``app.balances`` — money, typed: ``get`` (``for_update=True`` in the caller's
  transaction locks the row), ``summary``, ``credit``, ``debit``, ``credit_payment`` (each
  with its ledger row, in one transaction);
- ``app.users`` — ``exists(user_id)``, ``lock(user_id, cur=tx)`` (the user's row, locked
  in the plugin's transaction); ``app.payments_of(*user_ids, cur=)`` — their payments as
  ``PaymentRecord`` s. No plugin names a core table in its SQL;
- ``app.conversations`` — a user's place in a multi-step flow: ``get``, ``set``, ``clear``;
- ``app.telegram`` — the Bot API: ``call(method, params)``, ``send_later(method,
  params)`` (from a thread with no update, e.g. a web route) (``bot``, pyTelegramBotAPI's
  object, still works for the previous release's plugins; built-ins need it not);
- ``app.bot_id``, ``app.bot_username()`` — who the bot is; ``app.send_invoice(chat_id,
  title=…, description=…, payload=…, currency=…, prices=[(label, amount)])``;
- ``app.catalog`` — the models; ``app.is_admin(user_id)``;
- ``app.ensure_user_id(user_id)`` — the user's row, before a row of the plugin's refers to it;
- ``app.job(job_id)``, ``app.end_job(job_id, Ending.succeeded(output))`` (or
  ``Ending.failed(code, message, reason)``) — a provider's callback ending a job
  (``app.settle_job(job_id, status, …)``, the previous spelling, still works);
  ``app.generation_result(user_id, job_id)`` — a finished job as plugins see it;
- ``app.download_file(file_id)`` — a user's file from Telegram; ``app.public_url``;
- ``app.fetch_url(url, max_bytes=…, timeout_s=…)`` — a URL's body, only from public
  addresses (every redirect checked), cut at the cap; ``UrlRefused`` says why not;
- ``app.secret(name)`` — an environment variable; ``app.hook(name, **arguments)`` — call
  a hook of every plugin (how payments tells the others of a payment).

Built-in plugins use nothing else of the core (``tests/test_public_api.py`` holds them
to it), so neither need third-party plugins. ``genbot.providers`` is the toolkit every
built-in generation provider is made of (a service's HTTP API within a job's deadline
and cancel, pollers, callback routes and their signatures, one provider per App);
``genbot.testing`` is the test harness.
"""

from core.accounts.balances import CENT, BalanceChange, InsufficientFunds, InvalidAmount, to_money
from core.accounts.payments import PaymentRecord
from core.bot.buttons import ButtonData, InlineButton, flag, unpack_any
from core.bot.dispatch import Context
from core.bot.menu import inline_keyboard
from core.bot.texts import current_language, money, t
from core.db import DEGRADED_ERRORS, UNAVAILABLE_ERRORS
from core.generation.buttons import PastJob
from core.generation.contract import (
    REASONS,
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    OutputFile,
    Usage,
)
from core.generation.events import GenerationEvent, PaymentEvent
from core.generation.jobs import Ending
from core.host.hookspecs import (
    Button,
    Callback,
    Command,
    Flow,
    UpdateHandler,
    WebRoute,
    hookimpl,
    hookspec,
)
from core.logs import first_line
from core.url_fetch import Fetched, UrlFetcher, UrlRefused

# What a plugin may use of ``app``, as listed above.
APP_SURFACE = ("db", "balances", "users", "payments_of", "conversations", "telegram", "bot_id",
               "bot_username", "send_invoice", "catalog", "is_admin", "ensure_user_id", "job",
               "end_job", "settle_job", "generation_result", "download_file", "public_url",
               "secret", "hook", "fetch_url")

__all__ = [
    # declaring
    "hookimpl", "Button", "Command", "Callback", "Flow", "UpdateHandler", "WebRoute",
    # publishing hooks of one's own (plugin_hookspecs)
    "hookspec",
    # speaking
    "t", "money", "current_language", "inline_keyboard", "Context",
    # buttons: under a message (InlineButton), callback data as types (ButtonData), and
    # the core's a plugin may show
    "InlineButton", "ButtonData", "flag", "unpack_any", "PastJob",
    # money
    "to_money", "CENT", "InvalidAmount", "InsufficientFunds", "BalanceChange",
    # events plugins hear of
    "GenerationEvent", "PaymentEvent", "PaymentRecord",
    # providers
    "GenerationRequest", "GenerationOutput", "OutputFile", "Usage", "GenerationFailed",
    "GenerationTimeout", "FinishedElsewhere", "REASONS", "Ending",
    # fetching a URL from outside
    "Fetched", "UrlFetcher", "UrlRefused",
    # the database away
    "UNAVAILABLE_ERRORS", "DEGRADED_ERRORS", "first_line",
]
