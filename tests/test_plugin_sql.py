"""No plugin's SQL names a core table or another plugin's table.

Users, balances and payments are reached through typed calls (``app.users``,
``app.balances``, ``app.payments_of``), which take the locks a rule needs in the
plugin's own transaction; a plugin's queries name only its own tables. The payments
plugin keeps the ``payments`` rows it moves through review and refunds, and its invoice
records (``idempotency_records``). Provider plugins keep no tables and are not read.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from core.db import CORE_TABLES

ROOT = Path(__file__).resolve().parents[1]
# The core tables a plugin may name in its own SQL.
OWNED_CORE_TABLES = {"payments": {"payments", "idempotency_records"}}
NOT_READ = ("providers",)  # plugins/providers/: generation providers, no tables of their own
# A table named after a keyword that reads or writes it.
_NAMED_TABLE = re.compile(
    r"\b(FROM|JOIN|UPDATE|INTO|TABLE|TRUNCATE)\s+(?:ONLY\s+)?(?:public\s*\.\s*)?\"?([A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE)


def declared_tables() -> dict[str, set[str]]:
    """Each built-in plugin's ``plugin_tables``, less the core's (payments declares those
    a top-up writes)."""
    declared = {}
    for package in sorted((ROOT / "plugins").iterdir()):
        if (package / "__init__.py").is_file() and package.name not in NOT_READ:
            module = importlib.import_module(f"plugins.{package.name}")
            tables = module.plugin_tables() if hasattr(module, "plugin_tables") else []
            declared[package.name] = set(tables) - set(CORE_TABLES)
    return declared


def forbidden_for(owner: str, declared: dict[str, set[str]]) -> set[str]:
    others = set().union(*(tables for name, tables in declared.items() if name != owner))
    return (set(CORE_TABLES) - OWNED_CORE_TABLES.get(owner, set())) | others


def sql_strings(source: str):
    """(line, text) of every string literal but docstrings: where SQL is written.
    Adjacent literals come joined, as Python joins them."""
    tree = ast.parse(source)
    prose = {id(node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            yield node.lineno, node.value


def trespasses(source: str, forbidden: set[str]) -> list[str]:
    return [f"line {line}: {match.group(1)} {match.group(2)}"
            for line, text in sorted(sql_strings(source), key=lambda found: found[0])
            for match in _NAMED_TABLE.finditer(text) if match.group(2).lower() in forbidden]


def scan(root: Path, declared: dict[str, set[str]]) -> dict[str, list[str]]:
    """Every plugin module under ``root``/plugins whose SQL names a table not its own."""
    found = {}
    for path in sorted((root / "plugins").rglob("*.py")):
        parts = path.relative_to(root / "plugins").parts
        owner = parts[0] if len(parts) > 1 else ""
        if owner in NOT_READ:
            continue
        hits = trespasses(path.read_text(), forbidden_for(owner, declared))
        if hits:
            found[path.relative_to(root).as_posix()] = hits
    return found


def test_the_plugins_and_their_tables_are_found():
    declared = declared_tables()
    assert declared["referrals"] == {"referrals", "referral_rewards"}
    assert declared["projects"] == {"projects", "project_history"}
    assert declared["payments"] == set()  # it declares only core tables
    assert {"users", "balances", "payments"} <= forbidden_for("referrals", declared)
    assert "payments" not in forbidden_for("payments", declared)


def test_no_plugin_names_a_core_table_or_another_plugins_table():
    assert scan(ROOT, declared_tables()) == {}


def test_a_planted_query_is_found(tmp_path):
    """The scanner at work on modules written for it: what it must find, and what not."""
    leak = tmp_path / "plugins" / "projects" / "leak.py"
    leak.parent.mkdir(parents=True)
    leak.write_text('''"""Projects read from users and balances only through app calls."""

def count(app, tx, user_id):
    """Nothing in a docstring is SQL: SELECT 1 FROM users."""
    tx.execute("SELECT 1 FROM users WHERE user_id = %s FOR UPDATE", (user_id,))
    tx.execute("select balance_rub "
               "from public.balances where user_id = %s", (user_id,))
    tx.execute(f"UPDATE referral_rewards SET status = 'paid' WHERE id = {user_id}")
    tx.execute("SELECT COUNT(*) FROM projects p JOIN project_history h ON h.project_id = p.id")
''')
    own = tmp_path / "plugins" / "payments" / "own.py"
    own.parent.mkdir(parents=True)
    own.write_text('SQL = "UPDATE payments SET status = %s; INSERT INTO payment_transactions VALUES (1)"\n')
    provider = tmp_path / "plugins" / "providers" / "demo" / "__init__.py"
    provider.parent.mkdir(parents=True)
    provider.write_text('SQL = "SELECT * FROM generation_jobs"\n')

    found = scan(tmp_path, declared_tables())

    assert found == {
        "plugins/projects/leak.py": ["line 5: FROM users", "line 6: from balances",
                                     "line 8: UPDATE referral_rewards"],
        "plugins/payments/own.py": ["line 1: INTO payment_transactions"],
    }
