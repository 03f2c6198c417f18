"""The plugin host: loads plugins, configures them, probes their tables, isolates them.

Built-in plugins are listed in ``BUILTIN_PLUGINS``; third-party ones come from the
entry-point group ``genbot.plugins``. Every plugin has a state:

- ``enabled``  — running;
- ``disabled`` — switched off in ``plugins.toml``;
- ``degraded`` — a table it declared is missing: its buttons stay and answer
  "⚠️ База временно недоступна", its routes answer 503, its background work is skipped;
  it comes back by itself when the table does (the probe runs every
  ``PLUGIN_PROBE_INTERVAL`` seconds and at once when a handler meets a missing table);
- ``failed``   — it could not be imported or configured, or a declaration hook raised.

A plugin may publish hooks of its own (``plugin_hookspecs``: the payments plugin
publishes ``payment_credited``); every plugin is imported and every published hook added
before any plugin is registered, so an implementation of another plugin's hook is
checked against its spec like one of the core's, whatever the load order.

Nothing a plugin does wrong stops the core: each call into a plugin is wrapped and
logged with the plugin's name. ``GENBOT_LOAD_PLUGINS=a,b`` loads only those plugins;
``GENBOT_TRACE_PLUGINS=1`` logs every hook call with its arguments and results.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import logging
import os
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pluggy
import psycopg2.errors
from telebot import types

from core.bot.buttons import InlineButton
from core.bot.dispatch import RedeliveryNeeded, Router
from core.bot.texts import language, languages, register_texts, t
from core.db import UNAVAILABLE_ERRORS
from core.host import hookspecs
from core.logs import first_line

log = logging.getLogger("genbot.plugins")

BUILTIN_PLUGINS = ("plugins.generation_events", "plugins.projects", "plugins.referrals",
                   "plugins.payments", "plugins.providers.demo", "plugins.providers.kie",
                   "plugins.providers.openai", "plugins.providers.replicate", "plugins.providers.fal")
ENTRY_POINT_GROUP = "genbot.plugins"
ENABLED, DISABLED, DEGRADED, FAILED = "enabled", "disabled", "degraded", "failed"
STATES = (ENABLED, DISABLED, DEGRADED, FAILED)
# Tables whose rows the user cache vouches for: a user it knows has both rows.
USER_TABLES = ("balances", "users")


# The hooks a plugin answers with what it adds to the bot: asked once at start (menu
# buttons once per language); a plugin whose answer raises fails as a whole.
CONTRIBUTION_HOOKS = ("generation_providers", "menu_buttons", "bot_commands", "callback_handlers",
                      "flow_handlers", "update_handlers", "web_routes")
KNOWN_HOOKS = frozenset(name for name, value in vars(hookspecs).items()
                        if hasattr(value, "genbot_spec"))
# Hooks the core had until plugins published their own (now the payments plugin's): a
# plugin of the previous release implementing one loads even where payments does not.
FORMER_CORE_HOOKS = frozenset({"payment_credited", "payment_refunded"})


class HostApp(Protocol):
    """What the plugin host uses of the application (``core.app.App`` is one): its
    router, to register what plugins add, and its menu."""

    router: Router

    def add_button(self, label: str, handler, *, order: int = 100, owner: str = "core",
                   needs_db: bool = True, lang: str | None = None) -> None: ...


class PluginSettingError(ValueError):
    pass


class HookRaised(Exception):
    """A plugin's declaration or contribution hook raised: the plugin fails."""


def _implementations_in(module):
    """(hook name, function, options) of every ``@hookimpl`` in a plugin module, as
    pluggy will find them."""
    marker = hookspecs.hookimpl.project_name + "_impl"
    for attribute, value in sorted(vars(module).items()):
        if not inspect.isroutine(value):  # as pluggy looks (a module may hold Flask proxies)
            continue
        opts = getattr(value, marker, None)
        if isinstance(opts, dict):
            yield opts.get("specname") or attribute, value, opts


def contract_problem(module, known=KNOWN_HOOKS) -> str | None:
    """What in a plugin module genbot cannot honour, as the reason the plugin failed:
    an implementation of a hook neither genbot nor a loaded plugin has (``known``; a
    typo, unless marked ``optionalhook``), or a hookwrapper (genbot calls each plugin on
    its own, so there is no call for a wrapper to wrap)."""
    for hook, _function, opts in _implementations_in(module):
        if hook not in known | FORMER_CORE_HOOKS and not opts.get("optionalhook"):
            close = difflib.get_close_matches(hook, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"{hook!r} is not a genbot hook{hint}"
        if opts.get("hookwrapper") or opts.get("wrapper"):
            return (f"{hook!r} is a hookwrapper, which genbot does not support: it calls each "
                    f"plugin's implementation on its own")
    return None


@dataclass
class Plugin:
    name: str
    source: str
    version: str
    module: object | None = None
    state: str = ENABLED
    reason: str = ""
    tables: list[str] = field(default_factory=list)
    defaults: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    migrations: Path | None = None
    hooks: list[str] = field(default_factory=list)
    publishes: list[str] = field(default_factory=list)  # hooks of its own (plugin_hookspecs)

    @property
    def active(self) -> bool:
        """Loaded and switched on (enabled or degraded): its migrations and buttons count."""
        return self.state in (ENABLED, DEGRADED)

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "source": self.source,
                "state": self.state, "reason": self.reason, "tables": self.tables,
                "hooks": self.hooks, "publishes": self.publishes}


def _genbot_version() -> str:
    try:
        return importlib.metadata.version("genbot")
    except importlib.metadata.PackageNotFoundError:
        return "0+local"


def read_plugins_file(path: Path) -> tuple[dict, list[str]]:
    """The operator's plugin table and any warnings; a broken file never stops the core."""
    if not path.exists():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"{path} is not valid TOML ({exc}); every plugin runs with its defaults"]
    warnings, table = [], {}
    for name, section in data.items():
        if isinstance(section, dict):
            table[name] = section
        else:
            warnings.append(f"{path}: [{name}] must be a table of settings, got {section!r}")
    return table, warnings


def resolve_setting(name: str, default, value, env):
    """Check a configured value against the default's type; ``{env = "VAR"}`` reads VAR."""
    if isinstance(value, dict):
        if set(value) != {"env"} or not isinstance(value["env"], str):
            raise PluginSettingError(f"setting {name}: a reference must be {{ env = \"VARIABLE\" }}")
        if value["env"] not in env:
            raise PluginSettingError(f"setting {name}: environment variable {value['env']} is not set")
        value = env[value["env"]]
        if isinstance(default, str) or default is None:
            return value
        return _coerce_text(name, default, value)
    if default is None or isinstance(value, type(default)) and not (
            isinstance(value, bool) and not isinstance(default, bool)):
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, Decimal) and isinstance(value, (int, str)) and not isinstance(value, bool):
        return _coerce_text(name, default, str(value))
    raise PluginSettingError(f"setting {name} must be {type(default).__name__}, got {value!r}")


def _coerce_text(name: str, default, text: str):
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        value = type(default)(text)
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(text)
        return value
    except (ValueError, ArithmeticError):
        raise PluginSettingError(f"setting {name} must be {type(default).__name__}, got {text!r}") from None


class PluginHost:
    STATES = STATES  # a plugin's states, for whoever reports them (the metrics)

    def __init__(self, plugins_file: Path | None = None, env=None):
        self.env = os.environ if env is None else env
        self.plugins_file = Path(plugins_file or "plugins.toml")
        self.pm = pluggy.PluginManager("genbot")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, Plugin] = {}
        self.warnings: list[str] = []
        self._probe_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._db = None
        # Called when `users` or `balances` is not the table it was (dropped, recreated):
        # the user cache vouches for rows of the old ones (App: UserCache.forget).
        self.on_user_tables_recreated: Callable[..., None] | None = None
        self._user_tables: dict[str, int | None] | None = None
        self.trace = bool(self.env.get("GENBOT_TRACE_PLUGINS"))
        self.known_hooks = set(KNOWN_HOOKS)  # and those plugins publish (plugin_hookspecs)
        self._contributions: list[tuple[Plugin, str, Any, str | None]] = []

    # -- loading and configuring -------------------------------------------------------

    def load(self, extra: tuple[str, ...] = ()) -> PluginHost:
        """Load the built-ins, ``extra`` modules (dotted paths) and the entry-point plugins:
        import them all, add the hooks they publish, then register them in load order."""
        only = {n.strip() for n in self.env.get("GENBOT_LOAD_PLUGINS", "").split(",") if n.strip()}
        for module_name in BUILTIN_PLUGINS + tuple(extra):
            name = module_name.rsplit(".", 1)[-1]
            if only and name not in only:
                continue
            source = "built-in" if module_name in BUILTIN_PLUGINS else f"module {module_name}"
            plugin = Plugin(name, source, _genbot_version())
            self._import(plugin, lambda m=module_name: importlib.import_module(m))
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if only and entry.name not in only:
                continue
            dist = entry.dist
            plugin = Plugin(entry.name, f"package {dist.name if dist else entry.value}",
                            dist.version if dist else "?")
            if entry.name in self.plugins:
                self.warnings.append(f"plugin {entry.name} from {plugin.source} has the name of a "
                                     f"plugin already loaded; skipped")
                continue
            self._import(plugin, entry.load)
        imported = [p for p in self.plugins.values() if p.state != FAILED]
        for plugin in imported:
            self._publish(plugin)
        for plugin in imported:
            if plugin.state != FAILED:
                self._register(plugin)
        self._configure()
        return self

    def _import(self, plugin: Plugin, import_module) -> None:
        try:
            module = import_module()
        except Exception as exc:
            self._fail(plugin, f"import failed: {first_line(exc, with_type=True)}", exc)
            return
        plugin.module = module
        self.plugins[plugin.name] = plugin

    def _publish(self, plugin: Plugin) -> None:
        """Add the hooks the plugin publishes (``plugin_hookspecs``), before any plugin is
        registered: pluggy then checks every implementation of them as it registers it.
        A plugin whose answer raises, holds no hookspec or takes a hook's name fails."""
        found = [function for hook, function, _opts in _implementations_in(plugin.module)
                 if hook == "plugin_hookspecs"]
        if not found:
            return
        try:
            answer = found[0]()
            namespaces = list(answer) if isinstance(answer, (list, tuple)) else [answer]
            names = sorted({name for namespace in namespaces for name in dir(namespace)
                            if self.pm.parse_hookspec_opts(namespace, name) is not None})
            if not names:
                raise ValueError(f"no function marked @hookspec in {answer!r}")
            taken = [name for name in names if name in self.known_hooks]
            if taken:
                owner = next((p.name for p in self.plugins.values() if taken[0] in p.publishes),
                             "genbot")
                raise ValueError(f"hook {taken[0]!r} is {owner}'s already")
            for namespace in namespaces:
                self.pm.add_hookspecs(namespace)
        except Exception as exc:
            self._fail(plugin, f"plugin_hookspecs raised {first_line(exc, with_type=True)}", exc)
            return
        plugin.publishes = names
        self.known_hooks.update(names)

    def _register(self, plugin: Plugin) -> None:
        module = plugin.module
        problem = contract_problem(module, frozenset(self.known_hooks))
        if problem:
            self._fail(plugin, problem)
            return
        try:
            self.pm.register(module, name=plugin.name)
        except pluggy.PluginValidationError as exc:  # an argument the hook does not have
            # pluggy's first line names the plugin; the others, the function and the argument
            self._fail(plugin, "; ".join(str(exc).splitlines()[1:]) or str(exc))
            return
        plugin.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(module) or [])
        try:
            plugin.tables = list(self._declared(plugin, "plugin_tables") or [])
            plugin.defaults = dict(self._declared(plugin, "plugin_settings") or {})
            migrations = self._declared(plugin, "plugin_migrations")
            plugin.migrations = Path(migrations) if migrations else None
            texts = self._declared(plugin, "plugin_texts") or {}
        except HookRaised as exc:
            self._fail(plugin, str(exc), exc.__cause__)
            return
        for lang, table in texts.items():
            register_texts(lang, table)

    def _declared(self, plugin: Plugin, hook_name: str):
        impl = self._impl(plugin, hook_name)
        if impl is None:
            return None
        try:
            result = impl.function()
        except Exception as exc:
            raise HookRaised(f"{hook_name} raised {first_line(exc, with_type=True)}") from exc
        if self.trace:
            log.info("trace: %s.%s() -> %r", plugin.name, hook_name, result)
        return result

    def _fail(self, plugin: Plugin, reason: str, exc: BaseException | None = None) -> None:
        plugin.state, plugin.reason = FAILED, reason
        self.plugins[plugin.name] = plugin
        if plugin.module is not None and self.pm.is_registered(plugin.module):
            self.pm.unregister(plugin.module)
        log.error("plugin %s failed: %s", plugin.name, reason, exc_info=exc)

    def _configure(self) -> None:
        table, warnings = read_plugins_file(self.plugins_file)
        self.warnings.extend(warnings)
        for name in table:
            if name not in self.plugins:
                self.warnings.append(f"{self.plugins_file}: unknown plugin [{name}] "
                                     f"(known: {', '.join(sorted(self.plugins))})")
        for plugin in self.plugins.values():
            if plugin.state == FAILED:
                continue
            section = dict(table.get(plugin.name, {}))
            enabled = section.pop("enabled", True)
            if not isinstance(enabled, bool):
                self.warnings.append(f"{self.plugins_file}: [{plugin.name}] enabled must be true "
                                     f"or false; the plugin stays enabled")
                enabled = True
            settings = dict(plugin.defaults)
            try:
                for key, value in section.items():
                    if key not in plugin.defaults:
                        self.warnings.append(f"{self.plugins_file}: [{plugin.name}] has no setting "
                                             f"{key!r} (known: {', '.join(sorted(plugin.defaults)) or 'none'})")
                        continue
                    settings[key] = resolve_setting(key, plugin.defaults[key], value, self.env)
            except PluginSettingError as exc:
                self._fail(plugin, f"bad setting in {self.plugins_file}: {exc}")
                continue
            plugin.settings = settings
            check = self._impl(plugin, "plugin_settings_check")
            try:
                if check is not None:
                    check.function(settings=settings)
            except Exception as exc:
                self._fail(plugin, f"bad setting in {self.plugins_file}: "
                                   f"{first_line(exc, with_type=not isinstance(exc, ValueError))}", exc)
                continue
            if not enabled:
                plugin.state, plugin.reason = DISABLED, f"disabled in {self.plugins_file}"
                self.pm.unregister(plugin.module)
        for warning in self.warnings:
            log.warning("%s", warning)

    # -- table probes ------------------------------------------------------------------

    def probe(self, db) -> None:
        """Look for every declared table; degrade or restore plugins accordingly.

        Each table is read with its identity (its oid): a ``users`` or ``balances``
        dropped and recreated between two probes is a new table although it was never
        seen missing, and the user cache, which vouches for their rows, is dropped."""
        wanted = sorted({t for p in self.plugins.values() if p.active for t in p.tables}
                        | set(USER_TABLES))
        try:
            rows = db.fetch_all("SELECT name, to_regclass('public.' || quote_ident(name))::oid "
                                "FROM unnest(%s::text[]) AS name", (wanted,))
        except UNAVAILABLE_ERRORS as exc:
            log.warning("plugin table probe: database unreachable (%s)", first_line(exc, with_type=True))
            return
        with self._probe_lock:
            missing = {name for name, oid in rows if oid is None}
            identity = {name: oid for name, oid in rows if name in USER_TABLES}
            if self._user_tables is not None and identity != self._user_tables:
                changed = sorted(n for n in USER_TABLES if identity[n] != self._user_tables[n])
                log.info("table %s %s: the user cache is dropped", " and ".join(changed),
                         "recreated" if all(identity[n] for n in changed) else "gone")
                if self.on_user_tables_recreated:
                    self.on_user_tables_recreated()
            self._user_tables = identity
            for plugin in self.plugins.values():
                if not plugin.active:
                    continue
                gone = [t for t in plugin.tables if t in missing]
                if gone and plugin.state == ENABLED:
                    plugin.state = DEGRADED
                    plugin.reason = ", ".join(f"table {t} missing" for t in gone)
                    for table in gone:
                        # The seed's words, once per outage.
                        log.warning("%s table missing: plugin %s degraded until `genbot "
                                    "migrate` brings it back", table, plugin.name)
                elif gone:
                    plugin.reason = ", ".join(f"table {t} missing" for t in gone)
                elif plugin.state == DEGRADED:
                    plugin.state, plugin.reason = ENABLED, ""
                    log.info("plugin %s: its tables are back, enabled again", plugin.name)

    def start_probing(self, db, interval_s: float) -> None:
        self._db = db
        self.probe(db)
        if interval_s <= 0:
            return

        def loop():
            while not self._stop.wait(interval_s):
                try:
                    self.probe(db)
                except Exception:
                    log.exception("plugin table probe failed")

        self._thread = threading.Thread(target=loop, name="plugin-probe", daemon=True)
        self._thread.start()

    def probe_now(self) -> None:
        if self._db is not None:
            self.probe(self._db)

    def stop(self) -> None:
        self._stop.set()

    # -- calling plugins -----------------------------------------------------------------

    def _impl(self, plugin: Plugin, hook_name: str):
        caller = getattr(self.pm.hook, hook_name, None)  # none: a hook no loaded plugin has
        for impl in caller.get_hookimpls() if caller is not None else []:
            if impl.plugin is plugin.module:
                return impl
        return None

    def _implementations(self, hook_name: str, include_degraded: bool):
        """(plugin, implementation) in calling order: ``tryfirst`` ones, then the rest in
        load order (built-ins first), then ``trylast`` ones."""
        found = []
        for plugin in list(self.plugins.values()):
            if plugin.state != ENABLED and not (include_degraded and plugin.state == DEGRADED):
                continue
            impl = self._impl(plugin, hook_name)
            if impl is not None:
                found.append((plugin, impl))
        found.sort(key=lambda pair: 0 if pair[1].tryfirst else 2 if pair[1].trylast else 1)
        return found

    def _call_one(self, plugin: Plugin, impl, hook_name: str, kwargs: dict):
        arguments = {name: (plugin.settings if name == "settings" else kwargs.get(name))
                     for name in impl.argnames}
        result = impl.function(**arguments)
        if self.trace:
            shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items() if k not in ("app", "settings"))
            log.info("trace: %s.%s(%s) -> %r", plugin.name, hook_name, shown, result)
        return result

    def call(self, hook_name: str, *, include_degraded: bool = False, **kwargs) -> list[tuple[Plugin, Any]]:
        """Call one hook on every enabled plugin, each isolated; (plugin, result) pairs
        of the answers that are not None. A ``firstresult`` hook stops at the first."""
        spec = getattr(getattr(self.pm.hook, hook_name, None), "spec", None)
        first_only = spec is not None and spec.opts.get("firstresult", False)
        results = []
        for plugin, impl in self._implementations(hook_name, include_degraded):
            try:
                result = self._call_one(plugin, impl, hook_name, kwargs)
            except psycopg2.errors.UndefinedTable as exc:
                # A table of the plugin's vanished: degrade it now, not at the next probe.
                log.warning("plugin %s: hook %s: %s", plugin.name, hook_name, first_line(exc))
                self.probe_now()
                continue
            except Exception:
                log.exception("plugin %s: hook %s failed", plugin.name, hook_name)
                continue
            if result is not None:
                results.append((plugin, result))
                if first_only:
                    break
        return results

    def inline_buttons(self, hook_name: str, **kwargs) -> list:
        """The buttons plugins offer through ``hook_name`` (``result_buttons``,
        ``topup_buttons``): ``InlineButton`` objects, and the Bot API buttons plugins of the
        previous release return; anything else is logged with the plugin's name and left out."""
        buttons = []
        for plugin, answer in self.call(hook_name, **kwargs):
            items = answer if isinstance(answer, (list, tuple)) else [answer]
            for item in items:
                if isinstance(item, (InlineButton, types.InlineKeyboardButton)):
                    buttons.append(item)
                else:
                    log.error("plugin %s: hook %s returned %r, not a genbot.InlineButton; left out",
                              plugin.name, hook_name, item)
        return buttons

    def guard(self, plugin: Plugin, handler):
        """Wrap a plugin's bot handler: answers the outage message while it is degraded."""
        host = self

        def guarded(ctx, *args):
            if plugin.state == DEGRADED:
                if ctx.message is not None and ctx.message.successful_payment is not None:
                    raise RedeliveryNeeded(f"plugin {plugin.name} degraded: {plugin.reason}")
                ctx.answer_or_reply(t("db_unavailable"))
                return True
            try:
                return handler(ctx, *args)
            except psycopg2.errors.UndefinedTable:
                host.probe_now()  # a table vanished while serving: degrade now, not at the next probe
                raise

        guarded.__name__ = getattr(handler, "__name__", "handler")
        return guarded

    def collect(self, app: HostApp) -> None:
        """Ask every active plugin what it adds (``CONTRIBUTION_HOOKS``), all of it
        before any of it is used: a plugin whose answer raises or is not a list fails
        whole, leaving no button or route behind.

        Menu buttons are asked for once per language, each time speaking it, so a label
        that is a text (``t("btn_notes")``) lands in every language's menu."""
        self._contributions = []
        for plugin in list(self.plugins.values()):
            if not plugin.active:
                continue
            try:
                found = []
                for hook_name in CONTRIBUTION_HOOKS:
                    for lang in (languages() if hook_name == "menu_buttons" else [None]):
                        with language(lang):
                            found += [(hook_name, item, lang)
                                      for item in self._contribution(plugin, hook_name, app)]
            except HookRaised as exc:
                self._fail(plugin, str(exc), exc.__cause__)
                continue
            self._contributions += [(plugin, *entry) for entry in found]

    def _contribution(self, plugin: Plugin, hook_name: str, app: HostApp) -> list:
        impl = self._impl(plugin, hook_name)
        if impl is None:
            return []
        try:
            items = self._call_one(plugin, impl, hook_name, {"app": app})
            if items is not None and not isinstance(items, (list, tuple)):
                raise TypeError(f"must return a list, got {type(items).__name__}")
        except Exception as exc:
            raise HookRaised(f"{hook_name} raised {first_line(exc, with_type=True)}") from exc
        return list(items or [])

    def contributions(self, hook_name: str) -> list[tuple[Plugin, Any]]:
        """(plugin, item) that active plugins added through ``hook_name`` (after ``collect``)."""
        return [(plugin, item) for plugin, hook, item, _lang in self._contributions
                if hook == hook_name and plugin.active]

    def install(self, app: HostApp) -> None:
        """Register every active plugin's buttons, commands, callbacks and flows. A
        plugin claiming a flow another one handles fails before any of it is registered."""
        for plugin in list(self.plugins.values()):
            mine = [(hook, item, lang) for owner, hook, item, lang in self._contributions
                    if owner is plugin and hook not in ("generation_providers", "web_routes")]
            if not plugin.active or not mine:
                continue
            taken = [item.name for hook, item, _lang in mine
                     if hook == "flow_handlers" and item.name in app.router.flows]
            if taken:
                self._fail(plugin, f"flow {taken[0]!r} is handled by "
                                   f"{app.router.flows[taken[0]].owner} already")
                continue
            for hook_name, item, lang in mine:
                self._install_one(app, plugin, hook_name, item, lang)

    def _install_one(self, app: HostApp, plugin: Plugin, hook_name: str, item, lang: str | None = None) -> None:
        if hook_name == "menu_buttons":
            app.add_button(item.label, self.guard(plugin, item.handler), order=item.order,
                           owner=plugin.name, lang=lang)
        elif hook_name == "bot_commands":
            app.router.command(item.name, self.guard(plugin, item.handler), plugin.name,
                               admin_only=item.admin_only)
        elif hook_name == "callback_handlers":
            app.router.callback(item.prefix, self.guard(plugin, item.handler), plugin.name)
        elif hook_name == "update_handlers":
            app.router.on(item.kind, self.guard(plugin, item.handler), plugin.name)
        else:
            app.router.flow(item.name, self.guard(plugin, item.handler), plugin.name)

    def web_routes(self) -> list[tuple[Plugin, hookspecs.WebRoute]]:
        return self.contributions("web_routes")

    # -- reporting ------------------------------------------------------------------------

    def loaded(self) -> list[Plugin]:
        """Every plugin found, whatever its state, in the order they were loaded."""
        return list(self.plugins.values())

    def migration_dirs(self) -> list[Path]:
        return [p.migrations for p in self.plugins.values() if p.active and p.migrations]

    def summary(self) -> str:
        counts = {state: [p for p in self.plugins.values() if p.state == state]
                  for state in STATES}
        parts = [f"{len(self.plugins)} loaded"] + [f"{len(v)} {k}" for k, v in counts.items() if v]
        details = [f"{p.name}: {p.reason}" for k in (DEGRADED, FAILED) for p in counts[k]]
        return "plugins: " + ", ".join(parts) + (f" ({'; '.join(details)})" if details else "")

    def as_json(self) -> list[dict]:
        return [p.as_dict() for p in self.plugins.values()]
