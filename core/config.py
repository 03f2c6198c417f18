"""Configuration from the environment.

Every setting an operator can give lives here, with its default. A wrong value raises
``ConfigError`` whose message names the variable and never repeats a password: the
command line turns it into a one-line error and exit code 2.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from core.url_fetch import parse_networks

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
# The default catalog ships inside the package: installed from the wheel, it is found
# wherever genbot runs from.
DEFAULT_CATALOG = Path(str(importlib.resources.files("core.generation").joinpath("catalog.toml")))
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
# Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in secret_token.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# A bearer token travels in a header: visible ASCII, long enough not to be guessed.
_METRICS_TOKEN_RE = re.compile(r"^[\x21-\x7e]{16,256}$")


class ConfigError(Exception):
    """A setting has a value genbot cannot use; the message names the variable."""


@dataclass(frozen=True)
class DatabaseSettings:
    """Connection parameters for psycopg2 (``None`` host means the embedded server)."""

    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: tuple[tuple[str, str], ...] = ()

    def connect_kwargs(self) -> dict:
        kwargs = {k: v for k, v in (
            ("host", self.host), ("port", self.port), ("dbname", self.dbname),
            ("user", self.user), ("password", self.password),
        ) if v is not None}
        kwargs.update(dict(self.extra))
        return kwargs

    def describe(self) -> str:
        """Where the database is, for logs: never the password."""
        return f"{self.user or '?'}@{self.host or 'local'}:{self.port or 5432}/{self.dbname or '?'}"


@dataclass(frozen=True)
class Config:
    database: DatabaseSettings | None  # None: start the embedded server
    data_dir: Path
    bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    metrics_token: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    admin_ids: frozenset[int] = frozenset()
    plugins_file: Path = Path("plugins.toml")
    auto_migrate: bool = False
    web_workers: int = 2
    web_threads: int = 16
    db_pool_min: int = 5
    db_pool_max: int = 20
    db_pool_wait_s: float = 10.0
    db_statement_timeout_ms: int = 30_000
    user_cache_ttl_s: float = 600.0
    webhook_max_bytes: int = 1_048_576
    migration_lock_wait_s: float = 60.0
    plugin_probe_interval_s: float = 30.0
    catalog_file: Path = Path("catalog.toml")
    free_daily_quota: int = 10
    job_workers: int = 4
    max_active_jobs: int = 3
    bot_api_rate: float = 30.0
    bot_api_chat_rate: float = 1.0
    delivery_deadline_s: float = 30.0
    delivery_retry_s: float = 30.0
    job_lock_ttl_s: float = 60.0
    job_heartbeat_s: float = 5.0
    job_sweep_s: float = 15.0
    # Idle workers wake on LISTEN/NOTIFY; off (PgBouncer in transaction mode): they poll.
    job_listen: bool = True
    log_level: str = "INFO"
    bot_mode: str = "webhook"
    show_demo_models: bool = False
    support_contact: str | None = None
    paysupport_text: str | None = None
    terms_text: str | None = None
    time_zone: str = "Europe/Moscow"
    # Networks genbot may fetch URLs from besides the public internet (core.url_fetch).
    fetch_allow_networks: tuple = ()
    # TELEGRAM_API_URL is a local Bot API server (telegram-bot-api --local): its larger
    # upload limit applies to results (core.generation.result_files).
    telegram_api_local: bool = False
    result_link_days: int = 7

    @property
    def embedded(self) -> bool:
        return self.database is None

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        values = [self.bot_token, self.webhook_secret, self.metrics_token]
        if self.database is not None:
            values.append(self.database.password)
        return [v for v in values if v]


def _int(env, name: str, default: int, lo: int, hi: int) -> int:
    return _number(env, name, default, lo, hi, int, "a whole number")


def _float(env, name: str, default: float, lo: float, hi: float) -> float:
    return _number(env, name, default, lo, hi, float, "a number")


def _number(env, name: str, default, lo, hi, parse, kind: str):
    """``name``'s value read by ``parse``, from ``lo`` to ``hi``; ``default`` when unset."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be {kind} from {lo} to {hi}, got {raw!r}") from None
    if not lo <= value <= hi:  # also refuses NaN
        raise ConfigError(f"{name} must be {kind} from {lo} to {hi}, got {raw.strip()}")
    return value


def _bool(env, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, got {raw!r}")


def _http_url(env, name: str, default: str | None) -> str | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw.strip().rstrip("/")


def parse_database_url(url: str) -> DatabaseSettings:
    """``postgres://`` or ``postgresql://`` URL to settings; errors never echo the URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError("DATABASE_URL must start with postgres:// or postgresql://")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("DATABASE_URL has a port that is not a number from 1 to 65535") from None
    query = dict(parse_qsl(parts.query))
    dbname = unquote(parts.path[1:]) if parts.path and parts.path != "/" else None
    host = parts.hostname or query.pop("host", None)
    if not dbname:
        raise ConfigError("DATABASE_URL must name a database (…/dbname)")
    if not host:
        raise ConfigError("DATABASE_URL must name a host (…@host/ or ?host=/socket/dir)")
    query.pop("host", None)
    return DatabaseSettings(
        host=host,
        port=port or (int(query.pop("port")) if query.get("port", "").isdigit() else None),
        dbname=dbname,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        extra=tuple(sorted((k, v) for k, v in query.items() if k != "port")),
    )


DB_PARTS = ("DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")


def _database(env) -> DatabaseSettings | None:
    """DATABASE_URL, else DB_HOST and its companions, else libpq's PGHOST…; none of them:
    the embedded server. A half-given database is an error, never the embedded one."""
    url = env.get("DATABASE_URL", "").strip()
    if url:
        return parse_database_url(url)
    if env.get("DB_HOST", "").strip():
        name = env.get("DB_NAME", "").strip()
        if not name:
            raise ConfigError("DB_NAME must be set when DB_HOST is set")
        return DatabaseSettings(
            host=env["DB_HOST"].strip(),
            port=_int(env, "DB_PORT", 5432, 1, 65535),
            dbname=name,
            user=env.get("DB_USER", "").strip() or None,
            password=env.get("DB_PASSWORD") or None,
        )
    given = [name for name in DB_PARTS if env.get(name, "").strip()]
    if given:
        raise ConfigError(f"{', '.join(given)} set without DB_HOST: set DB_HOST too (or "
                          f"DATABASE_URL); without any of them genbot uses its embedded database")
    if env.get("PGHOST", "").strip() or env.get("PGDATABASE", "").strip():
        return _from_libpq_variables(env)
    return None


def _from_libpq_variables(env) -> DatabaseSettings:
    """The standard PG* variables, read the way libpq reads them (host defaults to the
    local socket folder, the database to the user's name)."""
    user = env.get("PGUSER", "").strip() or None
    dbname = env.get("PGDATABASE", "").strip() or user
    if not dbname:
        raise ConfigError("PGDATABASE (or PGUSER) must be set when PGHOST is set")
    return DatabaseSettings(
        host=env.get("PGHOST", "").strip() or "/var/run/postgresql",
        port=_int(env, "PGPORT", 5432, 1, 65535),
        dbname=dbname,
        user=user,
        password=env.get("PGPASSWORD") or None,
    )


def _catalog_file(env) -> Path:
    """CATALOG_FILE, else ./catalog.toml (the operator's copy), else the default catalog
    shipped in the package (core/generation/catalog.toml)."""
    if env.get("CATALOG_FILE"):
        return Path(env["CATALOG_FILE"])
    here = Path("catalog.toml")
    return here if here.exists() else DEFAULT_CATALOG


def _time_zone(env) -> str:
    """TIME_ZONE, an IANA name such as Europe/Moscow: how dates are shown to users."""
    name = (env.get("TIME_ZONE") or "").strip()
    if not name:
        return "Europe/Moscow"
    import zoneinfo
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIME_ZONE must be an IANA time zone such as Europe/Moscow, got {name!r}") from None
    return name


def _text(env, name: str, limit: int) -> str | None:
    value = (env.get(name) or "").strip()
    if len(value) > limit:
        raise ConfigError(f"{name} must be at most {limit} characters, got {len(value)}")
    return value or None


def _networks(env, name: str) -> tuple:
    try:
        return parse_networks(env.get(name) or "")
    except ValueError as exc:
        raise ConfigError(f"{name} must be addresses or networks like 10.0.0.0/8, separated by "
                          f"commas: {exc}") from None


def derived_webhook_secret(token: str) -> str:
    """A stable secret for setWebhook when the operator gave none: every process agrees."""
    return hashlib.sha256(b"genbot-webhook:" + token.encode()).hexdigest()[:48]


def load_config(env=None) -> Config:
    env = os.environ if env is None else env
    token = (env.get("BOT_TOKEN") or env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None
    if token and not _TOKEN_RE.match(token):
        raise ConfigError("BOT_TOKEN does not look like a bot token (digits:letters from @BotFather)")
    secret = (env.get("WEBHOOK_SECRET") or "").strip() or None
    if secret and not _SECRET_RE.match(secret):
        raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if secret is None and token:
        secret = derived_webhook_secret(token)
    metrics_token = (env.get("METRICS_TOKEN") or "").strip() or None
    if metrics_token and not _METRICS_TOKEN_RE.match(metrics_token):
        raise ConfigError("METRICS_TOKEN must be 16-256 visible ASCII characters, no spaces "
                          "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    admin_ids = set()
    for item in (env.get("ADMIN_IDS") or "").replace(";", ",").split(","):
        if item.strip():
            try:
                admin_ids.add(int(item.strip()))
            except ValueError:
                raise ConfigError(f"ADMIN_IDS must be Telegram user ids separated by commas, got {item.strip()!r}") from None
    pool_min = _int(env, "DB_POOL_MIN", 5, 0, 1000)
    pool_max = _int(env, "DB_POOL_MAX", 20, 1, 1000)
    if pool_min > pool_max:
        raise ConfigError(f"DB_POOL_MIN ({pool_min}) must not exceed DB_POOL_MAX ({pool_max})")
    bot_mode = (env.get("BOT_MODE") or "webhook").strip().lower()
    if bot_mode not in ("webhook", "polling"):
        raise ConfigError(f"BOT_MODE must be webhook or polling, got {bot_mode!r}")
    if bot_mode == "polling" and not token:
        raise ConfigError("BOT_MODE=polling needs BOT_TOKEN")
    log_level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return Config(
        database=_database(env),
        data_dir=Path(env.get("GENBOT_DATA_DIR") or "var"),
        bot_token=token,
        telegram_api_url=_http_url(env, "TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL) or DEFAULT_TELEGRAM_API_URL,
        webhook_url=_http_url(env, "WEBHOOK_URL", None),
        webhook_secret=secret,
        metrics_token=metrics_token,
        host=(env.get("HOST") or "127.0.0.1").strip(),
        port=_int(env, "PORT", 8080, 1, 65535),
        admin_ids=frozenset(admin_ids),
        plugins_file=Path(env.get("PLUGINS_FILE") or "plugins.toml"),
        auto_migrate=_bool(env, "AUTO_MIGRATE", False),
        # One poller: in polling mode a single worker process polls.
        web_workers=1 if bot_mode == "polling" else _int(env, "WEB_CONCURRENCY", 2, 1, 64),
        web_threads=_int(env, "WEB_THREADS", 16, 1, 256),
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        db_pool_wait_s=_float(env, "DB_POOL_WAIT", 10.0, 0.1, 600.0),
        db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 30_000, 100, 3_600_000),
        user_cache_ttl_s=_float(env, "USER_CACHE_TTL", 600.0, 0.0, 86_400.0),
        webhook_max_bytes=_int(env, "WEBHOOK_MAX_BYTES", 1_048_576, 1024, 50_000_000),
        migration_lock_wait_s=_float(env, "MIGRATION_LOCK_WAIT", 60.0, 0.5, 3600.0),
        plugin_probe_interval_s=_float(env, "PLUGIN_PROBE_INTERVAL", 30.0, 0.0, 86_400.0),
        catalog_file=_catalog_file(env),
        free_daily_quota=_int(env, "FREE_DAILY_QUOTA", 10, 0, 100_000),
        job_workers=_int(env, "JOB_WORKERS", 4, 0, 256),
        max_active_jobs=_int(env, "MAX_ACTIVE_JOBS", 3, 1, 100_000),
        bot_api_rate=_float(env, "BOT_API_RATE", 30.0, 0.0, 100_000.0),
        bot_api_chat_rate=_float(env, "BOT_API_CHAT_RATE", 1.0, 0.0, 1000.0),
        delivery_deadline_s=_float(env, "DELIVERY_DEADLINE", 30.0, 0.0, 3600.0),
        delivery_retry_s=_float(env, "DELIVERY_RETRY", 30.0, 0.1, 86_400.0),
        job_lock_ttl_s=_float(env, "JOB_LOCK_TTL", 60.0, 1.0, 86_400.0),
        job_heartbeat_s=_float(env, "JOB_HEARTBEAT", 5.0, 0.1, 3600.0),
        job_sweep_s=_float(env, "JOB_SWEEP_INTERVAL", 15.0, 0.1, 3600.0),
        job_listen=_bool(env, "JOB_LISTEN", True),
        log_level=log_level,
        bot_mode=bot_mode,
        show_demo_models=_bool(env, "SHOW_DEMO_MODELS", False),
        support_contact=_text(env, "SUPPORT_CONTACT", 200),
        paysupport_text=_text(env, "PAYSUPPORT_TEXT", 4000),
        terms_text=_text(env, "TERMS_TEXT", 4000),
        time_zone=_time_zone(env),
        fetch_allow_networks=_networks(env, "FETCH_ALLOW_NETWORKS"),
        telegram_api_local=_bool(env, "TELEGRAM_API_LOCAL", False),
        result_link_days=_int(env, "RESULT_LINK_DAYS", 7, 1, 365),
    )
