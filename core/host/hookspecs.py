"""Every hook a genbot plugin can implement, each a small documented function.

A plugin is a plain module of functions decorated with ``hookimpl``::

    from genbot import Button, hookimpl

    @hookimpl
    def plugin_tables():
        return ["notes"]

    @hookimpl
    def menu_buttons(app, settings):
        return [Button("📝 Заметки", show_notes, order=50)]

The host calls each plugin's implementation on its own (an exception in one plugin is
logged with its name and never reaches the core or another plugin), passes it its own
``settings`` from ``plugins.toml``, and skips plugins that are disabled, failed, or —
for work that needs their tables — degraded. Two parameters mean the same in every
hook: ``app``, the application (what a plugin may use of it: ``genbot``'s docstring),
and ``settings``, the plugin's resolved settings. An implementation takes any subset
of its hook's parameters, by name.

Plugins are called in load order (built-ins first); ``@hookimpl(tryfirst=True)`` and
``trylast=True`` move one to the front or the back. A ``firstresult`` hook stops at
the first answer that is not None. An implementation of a hook not listed here, nor
published by a loaded plugin (``plugin_hookspecs``), fails its plugin (a typo), unless
marked ``optionalhook=True``; hookwrappers are refused.

Every hook here is documented with its signature in ``docs/plugins.md``, and
``tests/test_docs.py`` compares the two.
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


# -- what a plugin declares ---------------------------------------------------------------

@hookspec
def plugin_tables():
    """The database tables the plugin needs.

    Returns a list of table names. While one is missing the plugin is ``degraded``;
    it comes back by itself when they all exist.
    """


@hookspec
def plugin_settings():
    """The plugin's settings and their defaults.

    Returns a dict of name → default; ``plugins.toml`` overrides them, each value
    checked against its default's type, and ``{ env = "VAR" }`` reads the environment.
    """


@hookspec
def plugin_settings_check(settings):
    """Refuse settings that cannot work: called once they are resolved.

    ``settings``: the resolved dict. Returns nothing; raise ``ValueError`` with a
    message, and the plugin fails with "bad setting in plugins.toml: <message>".
    """


@hookspec
def plugin_migrations():
    """Where the plugin's yoyo SQL migrations are.

    Returns a folder (a path); ``genbot migrate`` applies it with the core's.
    """


@hookspec
def plugin_hookspecs():
    """Hooks the plugin publishes for other plugins to implement (pytest's
    ``pytest_addhooks`` is the model).

    Returns a module or class (or a list of them) of functions marked
    ``@genbot.hookspec``, documented as these are; the plugin calls them with
    ``app.hook(name, **arguments)``. They are added before any plugin is registered, so
    an implementation is checked against them whatever the load order. A name genbot
    or another plugin has already fails the plugin.
    """


@hookspec
def plugin_texts():
    """The texts the plugin shows users, for ``t(key)``.

    Returns ``{language: {key: text}}``; ``"ru"`` should hold every key, a key missing
    in another language falls back to Russian.
    """


# -- what a plugin adds to the bot and the web app --------------------------------------
# Asked once at start (menu_buttons once per language, speaking it); a plugin whose
# answer raises fails whole, leaving nothing behind.

@hookspec
def menu_buttons(app, settings):
    """Buttons of the main menu.

    Returns a list of ``Button(label, handler, order)``; ``handler(ctx)`` answers the
    press. While the plugin is degraded the button answers the outage message.
    """


@hookspec
def bot_commands(app, settings):
    """Slash commands.

    Returns a list of ``Command(name, handler, admin_only)``; ``handler(ctx, args)``
    gets the text after the command.
    """


@hookspec
def callback_handlers(app, settings):
    """Handlers of inline buttons.

    Returns a list of ``Callback(prefix, handler)``: callback data ``prefix`` or
    ``prefix:payload`` goes to ``handler(ctx, payload)``.
    """


@hookspec
def flow_handlers(app, settings):
    """Handlers of the plugin's conversation flows.

    Returns a list of ``Flow(name, handler)``: a message that is no command or button,
    from a user whose conversation state is exactly ``name``, goes to
    ``handler(ctx, data) -> bool`` (False hands it on, as if there were no flow).
    """


@hookspec
def update_handlers(app, settings):
    """Handlers of payment updates.

    Returns a list of ``UpdateHandler(kind, handler)``, ``kind`` being
    ``pre_checkout_query`` or ``successful_payment``; one handler per kind.
    """


@hookspec
def web_routes(app, settings):
    """HTTP routes served beside ``/webhook``.

    Returns a list of ``WebRoute(rule, view, methods)``; they answer 503 while the
    plugin is degraded.
    """


@hookspec
def generation_providers(app, settings):
    """Generation providers (see ``core.generation.contract`` for the contract).

    Returns a list of objects with ``name`` and ``generate(request)``; the catalog's
    ``provider`` field names one.
    """


# -- what a plugin hears about -----------------------------------------------------------

@hookspec(firstresult=True)
def start_payload(app, settings, ctx, payload, new_user):
    """``/start <payload>`` arrived.

    ``ctx``: the update; ``payload``: the text after ``/start`` (128 characters at
    most); ``new_user``: True when this update created the user. Returns True when the
    payload was yours — no later plugin hears it — or None.
    """


@hookspec
def generation_started(app, settings, event):
    """A generation was queued, its price held.

    ``event``: a ``GenerationEvent`` (``status`` ``started``). Returns nothing.
    """


@hookspec
def generation_finished(app, settings, event):
    """A generation ended.

    ``event``: a ``GenerationEvent`` whose ``status`` is ``success``, ``failed`` or
    ``timeout``, with price, duration and error. Returns nothing.
    """


@hookspec
def balance_changed(app, settings, change):
    """A balance change committed.

    ``change``: a ``BalanceChange`` (user, signed amount, kind, reason, new balance).
    Returns nothing.
    """


@hookspec
def result_buttons(app, settings, result):
    """Inline buttons under a generation's result.

    ``result``: the finished job as a dict (``id``, ``user_id``, ``model_id``,
    ``inputs``, ``outputs``, ``status``). Returns a list of ``genbot.InlineButton``
    (``text`` and ``data``, a ``ButtonData`` or text, or ``url``), one row each.
    """


@hookspec
def topup_buttons(app, settings, user_id, missing):
    """Inline buttons that top up a balance.

    ``user_id``: whose balance; ``missing``: the roubles short (a ``Decimal``) under
    "not enough money", None on 💰 Баланс. Returns a list of ``genbot.InlineButton``,
    one row each.
    """


@hookspec(firstresult=True)
def generation_estimate(app, settings, model_id):
    """How long a generation of a model usually takes.

    ``model_id``: the catalog's id. Returns seconds (a number), or None when unknown.
    """


# -- what a plugin does for operators ---------------------------------------------------

@hookspec
def startup_cleanup(app, settings):
    """Housekeeping, before ``genbot serve`` takes updates and on ``genbot cleanup``.

    Returns a dict of what was cleaned → count; work in bounded batches.
    """


@hookspec
def admin_stats(app, settings):
    """A section of the admins' ``/stats``.

    Returns a text.
    """
