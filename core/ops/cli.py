"""``genbot [command]``: the one entry point for operators.

Exit codes: 0 done; 1 the command could not do its work (the message says what to
run); 2 the configuration is wrong (the message names the variable), or the database
role lacks a privilege (the message names the GRANT).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

import psycopg2.errors

from core import logs
from core.config import Config, ConfigError, load_config
from core.db import UNAVAILABLE_ERRORS, connect_once, query_once
from core.generation.catalog import CatalogError
from core.ops.backup import BackupError
from core.ops.cleanup import run_cleanup
from core.ops.embedded import EmbeddedError
from core.ops.migrations import MigrationLocked, Migrator

log = logging.getLogger("genbot.cli")


class CommandError(Exception):
    """The command cannot do its work; the message tells the operator what to do."""


def _terminate_as_exit(signum, _frame):
    # Turn SIGTERM into SystemExit so `finally` blocks stop the embedded database.
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def database(config: Config):
    """The configured database, or the embedded one started for the duration."""
    if not config.embedded:
        yield config.database, None
        return
    from core.ops.embedded import EmbeddedPostgres
    embedded = EmbeddedPostgres(config.data_dir)
    try:
        settings = embedded.start()
        yield settings, embedded
    finally:
        embedded.stop()


def _users_table_present(settings) -> bool:
    rows = query_once(settings, "SELECT to_regclass('public.users') IS NOT NULL")
    return bool(rows and rows[0][0])


def _host(config: Config):
    from core.host.plugin_host import PluginHost
    return PluginHost(config.plugins_file).load()


def _migrator(config: Config, settings) -> Migrator:
    """The core's migrations and those of every plugin that is switched on."""
    return Migrator(settings, _host(config).migration_dirs(),
                    lock_wait_s=config.migration_lock_wait_s)


def _apply_migrations(config: Config, settings) -> None:
    migrator = _migrator(config, settings)
    applied = migrator.apply()  # it logs each table it recreated
    log.info("migrations: %s", _migrate_summary(applied, migrator.repairs))


def _migrate_summary(applied: list[str], repairs) -> str:
    """One line: what was applied and what was rebuilt; "schema up to date" only if nothing."""
    parts = [f"applied {', '.join(applied)}"] if applied else []
    if repairs.tables:
        parts.append(f"recreated {len(repairs.tables)} table(s): {', '.join(repairs.tables)}")
    if repairs.foreign_keys:
        parts.append(f"restored {len(repairs.foreign_keys)} foreign key(s)")
    return "; ".join(parts) or "schema up to date"


def _metrics_dir() -> None:
    """Each gunicorn worker writes its counters here; /metrics sums them (before any import)."""
    import shutil
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="genbot-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, True)


def cmd_serve(config: Config, _args) -> int:
    _metrics_dir()
    from core.serve.server import serve

    with database(config) as (settings, embedded):
        if embedded is not None or config.auto_migrate:
            _apply_migrations(config, settings)
        if not _users_table_present(settings):
            raise CommandError("the users table is missing, so genbot cannot serve. "
                               "Create the schema with: genbot migrate")
        _prepare_plugins(config, settings)
        if config.bot_token is None:
            log.info("no BOT_TOKEN: local mode, nothing is sent to Telegram")
        else:
            _publish_profile(config)
            if config.bot_mode == "polling":
                log.info("BOT_MODE=polling: updates come from getUpdates, not the webhook")
            elif config.webhook_url:
                _set_webhook(config)

        def build():
            from core.app import App
            from core.serve.web import create_web_app
            app = App(config, settings)
            app.start_workers()
            if config.bot_mode == "polling":
                from core.serve.polling import Poller
                Poller(app).start()
            build.app = app
            return create_web_app(app)

        def close(_worker):
            app = getattr(build, "app", None)
            if app is not None:
                app.close()

        serve(config, build, on_worker_exit=close)
    return 0


def _prepare_plugins(config: Config, settings) -> None:
    """Before serving: say which plugins run, and let them clean up after the last run."""
    from core.app import App
    app = App(config, settings)  # the same host a worker builds, probed once
    try:
        log.info("%s", app.plugins.summary())
        run_cleanup(app)
    finally:
        app.close()


def cmd_chat(config: Config, args) -> int:
    import dataclasses

    from core.app import App
    from core.serve.console import Console

    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.ERROR)  # the conversation, not the logs
    local = dataclasses.replace(config, bot_token=None, webhook_secret=None)
    with database(config) as (settings, embedded):
        if embedded is not None or config.auto_migrate:
            _apply_migrations(config, settings)
        if not _users_table_present(settings):
            raise CommandError("the users table is missing. Create the schema with: genbot migrate")
        app = App(local, settings)
        try:
            app.start_workers()
            Console(app, config.data_dir / "chat-files", user_id=args.user_id).run()
        finally:
            app.close()
    return 0


def cmd_cleanup(config: Config, _args) -> int:
    from core.app import App

    with database(config) as (settings, _embedded):
        app = App(config, settings)
        try:
            counts = run_cleanup(app)
        finally:
            app.close()
    for name, count in counts.items():
        print(f"{name}: {count}")
    return 0


def cmd_doctor(config: Config, args) -> int:
    import json

    from core.db import Database
    from core.ops import doctor

    try:
        with database(config) as (settings, _embedded):
            db = Database(settings, minconn=0, maxconn=2)
            try:
                host = _host(config)
                host.probe(db)
                findings = doctor.run_checks(db, host, _migrator(config, settings),
                                             config.job_lock_ttl_s)
            except psycopg2.errors.InsufficientPrivilege as exc:
                findings = doctor.denied(*_denied(settings, _needs("doctor", args), exc))
            finally:
                db.close()
    except UNAVAILABLE_ERRORS as exc:  # a monitoring check reports this, it does not crash
        findings = doctor.unreachable(logs.first_line(exc))
    if args.json:
        print(json.dumps(doctor.as_json(findings), ensure_ascii=False, indent=2))
    else:
        print(doctor.as_text(findings))
    return doctor.exit_code(findings)


def cmd_repair_balances(config: Config, args) -> int:
    """Balances rebuilt from the ledger: a dry run unless ``--apply``."""
    import json

    from core.accounts.balances import balance_repairs, repair_balances
    from core.db import Database

    with database(config) as (settings, _embedded):
        db = Database(settings, minconn=0, maxconn=1,
                      statement_timeout_ms=config.db_statement_timeout_ms)
        try:
            repairs = repair_balances(db) if args.apply else balance_repairs(db)
        except psycopg2.errors.UndefinedTable as exc:
            raise CommandError(f"{logs.first_line(exc)}: bring the schema back with "
                               f"`genbot migrate`, then run this again") from None
        finally:
            db.close()
    stuck = [r for r in repairs if not r.repairable]
    fixed = len(repairs) - len(stuck)
    if args.json:
        print(json.dumps({"applied": args.apply, "differences": len(repairs),
                          "repaired": fixed if args.apply else 0, "unrepairable": len(stuck),
                          "repairs": [r.as_dict() for r in repairs]}, ensure_ascii=False, indent=2))
        return 1 if stuck else 0
    for r in repairs:
        old = "no balance" if r.balance is None else f"{r.balance:.2f}"
        if r.repairable:
            print(f"user {r.user_id}: {old} → {r.rebuilt:.2f}  (ledger {r.ledger:.2f} − held {r.held:.2f})")
        else:
            print(f"user {r.user_id}: {old}, NOT REPAIRABLE: ledger {r.ledger:.2f} − held "
                  f"{r.held:.2f} is {r.rebuilt:.2f}; compare payment_transactions and "
                  f"balance_reservations for this user")
    if not repairs:
        print("every balance matches the ledger (balance + held = ledger): nothing to repair")
    elif not args.apply:
        print(f"dry run: {len(repairs)} balance(s) differ from the ledger; nothing changed. "
              f"Rebuild {fixed} from the ledger with: genbot repair-balances --apply")
    else:
        print(f"repaired {fixed} balance(s) from the ledger"
              + (f"; {len(stuck)} left for a person (above)" if stuck else ""))
    return 1 if stuck else 0


def cmd_backup(config: Config, args) -> int:
    import datetime

    from core.ops.backup import backup, inspect
    if args.verify:  # reads the file only: no database is started or reached
        if not args.file:
            raise CommandError("say which backup to check: genbot backup --verify FILE")
        print(inspect(Path(args.file)).describe())
        return 0
    target = Path(args.file or f"backup_{datetime.date.today():%Y%m%d}.dump")
    with database(config) as (settings, _embedded):
        backup(settings, target)
    return 0


def cmd_restore(config: Config, args) -> int:
    from core.ops.backup import restore
    with database(config) as (settings, _embedded):
        restore(settings, Path(args.file), force=args.force)
    return 0


def cmd_plugins(config: Config, args) -> int:
    import json

    with database(config) as (settings, _embedded):
        from core.db import Database
        host = _host(config)
        db = Database(settings, minconn=0, maxconn=1)
        try:
            host.probe(db)
        finally:
            db.close()
    if args.json:
        print(json.dumps(host.as_json(), ensure_ascii=False, indent=2))
        return 0
    rows = [("NAME", "VERSION", "SOURCE", "STATE", "HOOKS")]
    for p in host.as_json():
        state = p["state"] + (f" ({p['reason']})" if p["reason"] else "")
        rows.append((p["name"], p["version"], p["source"], state, ", ".join(p["hooks"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    print(host.summary())
    return 0


def _publish_profile(config: Config) -> None:
    """setMyCommands and the descriptions, once, before the workers start."""
    from core.bot.profile import publish
    from core.telegram.client import TelegramApi

    publish(TelegramApi(config.bot_token, config.telegram_api_url))


def _set_webhook(config: Config) -> None:
    from core.telegram.client import TelegramApi

    api = TelegramApi(config.bot_token, config.telegram_api_url)
    url = f"{config.webhook_url}/webhook"
    try:
        # Never drop_pending_updates: updates sent while we were down must still arrive.
        api.bot.set_webhook(url=url, secret_token=config.webhook_secret,
                            drop_pending_updates=False)
        log.info("webhook set to %s", url)
    except Exception as exc:  # the old webhook may still be right: serve anyway
        log.error("setWebhook to %s failed: %s", url, logs.first_line(exc))


def cmd_migrate(config: Config, args) -> int:
    if args.new:
        return _new_migration(args)
    if args.name or args.dir:
        raise CommandError("a name and --dir go with `genbot migrate new NAME`")
    with database(config) as (settings, _embedded):
        migrator = _migrator(config, settings)
        if args.break_lock:
            migrator.break_lock()
            print("migration lock cleared")
            return 0
        if args.list:
            for state in migrator.status():
                mark = "applied" if state.applied else "pending"
                print(f"{mark:8} {state.id}  ({state.source})")
            return 0
        applied = migrator.apply()
        for table in migrator.repairs.tables:
            print(f"recreated table {table}")
        for key in migrator.repairs.foreign_keys:
            print(f"restored foreign key {key}")
        if applied:
            print(f"applied: {', '.join(applied)}")
        if migrator.repairs or not applied:
            print(_migrate_summary([], migrator.repairs))
        if "balances" in migrator.repairs.tables:
            print("balances was recreated empty: rebuild every balance from the ledger with "
                  "`genbot repair-balances` (a dry run), then `genbot repair-balances --apply`")
        return 0


def _new_migration(args) -> int:
    from core.ops.migrations import CORE_MIGRATIONS_DIR, MigrationNameError, new_migration

    if not args.name:
        raise CommandError("name the migration: genbot migrate new add_invoices")
    folder = args.dir or CORE_MIGRATIONS_DIR
    if args.dir is None and any(part in ("site-packages", "dist-packages") for part in folder.parts):
        raise CommandError("genbot is installed, not checked out: give your plugin's migrations "
                           "folder with --dir")
    try:
        created = new_migration(folder, args.name)
    except MigrationNameError as exc:
        raise CommandError(str(exc)) from None
    for path in created:
        print(f"created {path}")
    if folder == CORE_MIGRATIONS_DIR:
        print("then regenerate the psql schema: python -m core.ops.migrations > migrations/bootstrap.sql")
    return 0


def cmd_rollback(config: Config, args) -> int:
    if args.n < 1:
        raise CommandError("-n must be 1 or more")
    with database(config) as (settings, _embedded):
        undone = _migrator(config, settings).rollback(args.n)
        print(f"rolled back: {', '.join(undone)}" if undone else "nothing to roll back")
        return 0


# -- a role without privileges ---------------------------------------------------------
#
# PostgreSQL names the first object it refused, which is not always the one to grant
# (yoyo, unable to see its tables, tries to take its lock and is refused that). So the
# answer is worked out from what the command needs and what the role has.

_READ_MONEY = ("users", "balances", "balance_reservations", "payment_transactions")


def _needs(command: str, args) -> dict[str, tuple[str, ...]] | None:
    """What a command needs: table → privileges ("*": every table of the schema); None
    for the commands that change the schema, which takes owning its tables."""
    if command == "migrate" and getattr(args, "list", False):
        return {"_yoyo_migration": ("SELECT",), "_yoyo_version": ("SELECT",)}
    if command == "doctor":
        return {"*": ("SELECT",)}
    if command in ("serve", "chat", "cleanup"):
        return {"*": ("SELECT", "INSERT", "UPDATE", "DELETE")}
    if command == "repair-balances":
        needs: dict[str, tuple[str, ...]] = {table: ("SELECT",) for table in _READ_MONEY}
        if getattr(args, "apply", False):
            needs.update(users=("SELECT", "INSERT"), balances=("SELECT", "INSERT", "UPDATE"))
        return needs
    return None


def _quoted(name: str) -> str:
    return name if name.isidentifier() and name.islower() and name.isascii() else \
        '"' + name.replace('"', '""') + '"'


def _role(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _denied(settings, needs, exc) -> tuple[str, str]:
    """(what the role lacks, the GRANT that gives it) for an ``InsufficientPrivilege``."""
    said = logs.first_line(exc)
    generic = ("as the owner of that object, grant the privilege named to the role in "
               "DATABASE_URL (docs/operations.md, \"Database roles\")")
    if settings is None:
        return said, generic
    try:
        conn = connect_once(settings)
        try:
            with conn.cursor() as cur:
                found = _missing_privileges(cur, needs)
        finally:
            conn.close()
    except psycopg2.Error:
        return said, generic
    if found is None:
        return said, generic
    problem, fix = found
    return f"{problem} (the server said: {said})", fix


def _missing_privileges(cur, needs) -> tuple[str, str] | None:
    cur.execute("SELECT current_user, current_schema()")
    role, schema = cur.fetchone()
    who, where = _role(role), _quoted(schema)
    cur.execute("SELECT relname, pg_get_userbyid(relowner), pg_has_role(relowner, 'USAGE'), "
                "(SELECT rolsuper FROM pg_roles WHERE oid = relowner) FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') "
                "ORDER BY relname")
    tables = cur.fetchall()
    others = [(owner, superuser) for _name, owner, mine, superuser in tables if not mine]
    if needs is None and others:  # migrate, rollback: creating and altering tables takes owning them
        owners = sorted(set(others))
        owner, superuser = _role(owners[0][0]), owners[0][1]
        # Membership in a superuser would hand over every object it owns: not offered.
        fix = (f"run it as {owner}, their owner (its DATABASE_URL)" if superuser else
               f"run it as {owner}, their owner, or as {owner} run: GRANT {owner} TO {who};")
        return (f"role {who} does not own {len(others)} of the schema's tables (owned by "
                f"{', '.join(_role(o) for o, _ in owners)}), and migrations create and alter them", fix)
    wanted = ["USAGE", "CREATE"] if needs is None else ["USAGE"]
    cur.execute("SELECT p FROM unnest(%s::text[]) AS p WHERE NOT has_schema_privilege(%s, p)",
                (wanted, schema))
    lacking = [row[0] for row in cur.fetchall()]
    if lacking:
        privileges = ", ".join(lacking)
        return (f"role {who} lacks {privileges} on schema {schema}",
                f"as its owner run: GRANT {privileges} ON SCHEMA {where} TO {who};")
    if needs is None:
        return None
    pairs = [(name, privilege) for name, *_rest in tables
             for privilege in needs.get(name, needs.get("*", ()))]
    cur.execute("SELECT t, p FROM unnest(%s::text[], %s::text[]) AS x(t, p) "
                "WHERE NOT has_table_privilege(quote_ident(%s) || '.' || quote_ident(t), p)",
                ([t for t, _ in pairs], [p for _, p in pairs], schema))
    missing: dict[str, list[str]] = {}
    for name, privilege in cur.fetchall():
        missing.setdefault(name, []).append(privilege)
    if not missing:
        return None
    groups: dict[tuple[str, ...], list[str]] = {}
    for name in sorted(missing):
        groups.setdefault(tuple(missing[name]), []).append(name)
    lacks, grants = [], []
    for kinds, names in groups.items():
        listed = ", ".join(kinds)
        if "*" in needs and len(names) > 5:
            lacks.append(f"{listed} on {len(names)} tables of schema {schema}")
            grants.append(f"GRANT {listed} ON ALL TABLES IN SCHEMA {where} TO {who};")
        else:
            lacks.append(f"{listed} on {', '.join(names)}")
            grants.append(f"GRANT {listed} ON {', '.join(where + '.' + _quoted(n) for n in names)} "
                          f"TO {who};")
    return f"role {who} lacks {'; '.join(lacks)}", "as their owner run: " + " ".join(grants)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genbot", description="genbot: AI generations for a rouble balance")
    parser.add_argument("--version", action="version", version=f"genbot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.add_parser("serve", help="run the bot and its web server (the default)")
    migrate = sub.add_parser("migrate", help="bring the database to the full schema; "
                             "`migrate new NAME` starts a migration")
    migrate.add_argument("new", nargs="?", choices=["new"], help=argparse.SUPPRESS)
    migrate.add_argument("name", nargs="?", help="with `new`: what the migration does, e.g. add_invoices")
    migrate.add_argument("--dir", type=Path, help="with `new`: the migrations folder (a plugin's); "
                         "default the core's migrations/ in a checkout")
    migrate.add_argument("--list", action="store_true", help="list migrations and whether each is applied")
    migrate.add_argument("--break-lock", action="store_true",
                         help="clear a migration lock left by a killed migrator")
    plugins = sub.add_parser("plugins", help="list plugins: version, source, state, hooks")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    backup = sub.add_parser("backup", help="write the database to a file (pg_dump custom format)")
    backup.add_argument("file", nargs="?", help="where to write (default backup_YYYYMMDD.dump)")
    backup.add_argument("--verify", action="store_true",
                        help="check FILE instead: complete?, its tables and row counts (no database)")
    restore = sub.add_parser("restore", help="load a backup into the database, all or nothing")
    restore.add_argument("file", help="the backup to load (.dump, or an older plain-SQL .sql)")
    restore.add_argument("--force", action="store_true", help="replace a database that has tables")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no Telegram needed)")
    chat.add_argument("--user-id", type=int, default=100_000_001, help="the Telegram id you play")
    sub.add_parser("cleanup", help="settle what crashes left: dead jobs, stale holds, old records")
    doctor = sub.add_parser("doctor", help="check tables, keys, migrations, plugins, jobs and the ledger")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    repair = sub.add_parser("repair-balances", help="rebuild balances from the ledger "
                            "(balance = ledger − held); a dry run unless --apply")
    repair.add_argument("--apply", action="store_true",
                        help="write them, in one transaction, each change logged")
    repair.add_argument("--json", action="store_true", help="print JSON")
    rollback = sub.add_parser("rollback", help="undo the last migration(s)")
    rollback.add_argument("-n", type=int, default=1, help="how many migrations to undo (default 1)")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("genbot")
    except PackageNotFoundError:
        return "(not installed: run from a checkout)"


COMMANDS = {"serve": cmd_serve, "migrate": cmd_migrate, "rollback": cmd_rollback,
            "plugins": cmd_plugins, "cleanup": cmd_cleanup, "doctor": cmd_doctor,
            "repair-balances": cmd_repair_balances, "backup": cmd_backup,
            "restore": cmd_restore, "chat": cmd_chat}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"genbot: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.setup_logging(config.log_level, config.secrets())
    signal.signal(signal.SIGTERM, _terminate_as_exit)
    try:
        return COMMANDS[command](config, args)
    except CommandError as exc:
        print(f"genbot: {exc}", file=sys.stderr)
        return 1
    except (MigrationLocked, EmbeddedError) as exc:
        print(f"genbot: {exc}", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"genbot: {exc}", file=sys.stderr)
        return 1
    except CatalogError as exc:
        print(f"genbot: catalog error: {exc}", file=sys.stderr)
        return 2
    except UNAVAILABLE_ERRORS as exc:
        print(f"genbot: cannot reach the database: {logs.first_line(exc)}", file=sys.stderr)
        return 1
    except psycopg2.errors.InsufficientPrivilege as exc:
        problem, fix = _denied(None if config.embedded else config.database,
                               _needs(command, args), exc)
        print(f"genbot: {problem}; {fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
