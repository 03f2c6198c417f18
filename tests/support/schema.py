"""A comparable picture of a database's schema, read from the catalogs."""

from __future__ import annotations

import subprocess

from core.db import connect_once
from core.ops.embedded import pg_bin_dir

YOYO_TABLES = ("_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock")


def snapshot(settings, tables=None) -> dict:
    conn = connect_once(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            present = sorted(r[0] for r in cur.fetchall() if r[0] not in YOYO_TABLES)
            wanted = sorted(tables) if tables is not None else present
            cur.execute(
                """SELECT table_name, column_name, ordinal_position, data_type,
                          numeric_precision, numeric_scale, column_default, is_nullable
                   FROM information_schema.columns
                   WHERE table_schema = 'public' AND table_name = ANY(%s)
                   ORDER BY table_name, ordinal_position""", (wanted,))
            columns = cur.fetchall()
            cur.execute(
                """SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
                   FROM pg_constraint
                   WHERE connamespace = 'public'::regnamespace
                     AND conrelid::regclass::text = ANY(%s)
                   ORDER BY 1, 2""", (wanted,))
            constraints = cur.fetchall()
            cur.execute(
                """SELECT tablename, indexname, indexdef FROM pg_indexes
                   WHERE schemaname = 'public' AND tablename = ANY(%s) ORDER BY 1, 2""",
                (wanted,))
            indexes = cur.fetchall()
    finally:
        conn.close()
    return {"tables": [t for t in present if t in wanted], "columns": columns,
            "constraints": constraints, "indexes": indexes}


def run_psql(settings, sql_file) -> subprocess.CompletedProcess:
    """``psql "$DATABASE_URL" < file`` with the server's own psql."""
    args = [str(pg_bin_dir() / "psql"), "-X", "-q", "-h", settings.host, "-p", str(settings.port),
            "-U", settings.user, "-d", settings.dbname]
    with open(sql_file) as stdin:
        return subprocess.run(args, stdin=stdin, capture_output=True, text=True, timeout=60)
