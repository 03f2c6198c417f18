"""Every hook a genbot plugin can implement, each a small documented function.

A plugin is a plain module of functions decorated with ``hookimpl``::

    from core.hookspecs import Button, hookimpl

    @hookimpl
    def plugin_tables():
        return ["notes"]

    @hookimpl
    def menu_buttons(app, settings):
        return [Button("📝 Заметки", show_notes, order=50)]

The host calls each plugin's implementation on its own (an exception in one plugin is
logged with its name and never reaches the core or another plugin), passes it its own
``settings`` from ``plugins.toml``, and skips plugins that are disabled, failed, or —
for work that needs their tables — degraded. Every hook here is documented in
``docs/plugins.md``; a test fails when one is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pluggy

hookspec = pluggy.HookspecMarker("genbot")
hookimpl = pluggy.HookimplMarker("genbot")


@dataclass(frozen=True)
class Button:
    """A main-menu button: ``handler(ctx)`` answers when it is pressed."""

    label: str
    handler: Callable
    order: int = 100


@dataclass(frozen=True)
class Command:
    """A slash command: ``handler(ctx, args)``; ``admin_only`` hides it from everyone else."""

    name: str
    handler: Callable
    admin_only: bool = False


@dataclass(frozen=True)
class Callback:
    """Inline-button data ``prefix`` or ``prefix:payload`` goes to ``handler(ctx, payload)``."""

    prefix: str
    handler: Callable


@dataclass(frozen=True)
class UpdateHandler:
    """An update that is not a command, button or text: ``kind`` is ``pre_checkout_query``
    or ``successful_payment``; ``handler(ctx)`` answers it."""

    kind: str
    handler: Callable


@dataclass(frozen=True)
class Flow:
    """A message from a user whose conversation state is exactly ``name`` goes to
    ``handler(ctx, data) -> bool`` (``data``: what the flow holds); False passes it on."""

    name: str
    handler: Callable


@dataclass(frozen=True)
class WebRoute:
    """An HTTP route served by the web app: ``view(**url_arguments)`` as in Flask."""

    rule: str
    view: Callable
    methods: tuple[str, ...] = ("GET",)


# -- what a plugin declares -------------------------------------------------------------

@hookspec
def plugin_tables():
    """Names of the database tables the plugin needs; while one is missing it is degraded."""


@hookspec
def plugin_settings():
    """The plugin's settings with their defaults, as a dict; ``plugins.toml`` overrides them."""


@hookspec
def plugin_migrations():
    """A folder of yoyo SQL migrations that ``genbot migrate`` applies for the plugin."""


@hookspec
def plugin_texts():
    """User-facing texts the plugin adds, as ``{language: {key: text}}``."""


# -- what a plugin adds to the bot and the web app --------------------------------------

@hookspec
def menu_buttons(app, settings):
    """Main-menu buttons, as a list of ``Button``; while degraded they answer the outage message."""


@hookspec
def bot_commands(app, settings):
    """Slash commands, as a list of ``Command``."""


@hookspec
def callback_handlers(app, settings):
    """Inline-button handlers, as a list of ``Callback``."""


@hookspec
def flow_handlers(app, settings):
    """Handlers of the plugin's conversation flows, as a list of ``Flow``."""


@hookspec
def update_handlers(app, settings):
    """Handlers of payment updates, as a list of ``UpdateHandler`` (one per kind)."""


@hookspec
def web_routes(app, settings):
    """HTTP routes, as a list of ``WebRoute``; they answer 503 while the plugin is degraded."""


@hookspec
def generation_providers(app, settings):
    """Generation providers, as a list of objects with ``name`` and ``generate(request)``."""


# -- what a plugin hears about -----------------------------------------------------------

@hookspec
def start_payload(app, settings, ctx, payload, new_user):
    """``/start <payload>`` arrived (``new_user``: first contact); return True if it was yours."""


@hookspec
def generation_started(app, settings, event):
    """A generation began; ``event`` is a ``core.events.GenerationEvent``."""


@hookspec
def generation_finished(app, settings, event):
    """A generation ended as ``success``, ``failed`` or ``timeout`` (``event.status``)."""


@hookspec
def balance_changed(app, settings, change):
    """A balance change committed; ``change`` is a ``core.balances.BalanceChange``."""


@hookspec
def payment_credited(app, settings, payment):
    """A real payment was credited (committed); ``payment`` is a ``core.events.PaymentEvent``."""


@hookspec
def payment_refunded(app, settings, payment):
    """A credited payment was refunded (committed); ``payment.status`` is ``refunded``."""


@hookspec
def result_buttons(app, settings, result):
    """Inline buttons to offer under a generation's result, as a list of InlineKeyboardButton."""


@hookspec
def topup_buttons(app, settings, user_id, missing):
    """Inline buttons that top up the balance (``missing``: roubles short, or None), as a list."""


@hookspec
def generation_estimate(app, settings, model_id):
    """Seconds a generation of ``model_id`` usually takes, from the plugin's records, or None."""


# -- what a plugin does for operators ---------------------------------------------------

@hookspec
def startup_cleanup(app, settings):
    """Housekeeping before the webhook takes updates and on ``genbot cleanup``; return counts."""


@hookspec
def admin_stats(app, settings):
    """A section of text for the admins' ``/stats``."""
