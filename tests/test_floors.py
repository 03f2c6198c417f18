"""core/ is built in floors, lowest first; a module imports only from its own floor or
below (each package's __init__ says which). A lower floor never learns of a higher one,
so each can be read, and tested, knowing only what is under it."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "core"
# Lowest first. The ground is core/'s own modules (config, db, logs, metrics, url_fetch).
FLOORS = ("ground", "telegram", "accounts", "bot", "host", "generation", "screens", "app", "serve",
          "ops")
# Old import paths kept for plugins written against the previous release: each only
# re-exports its module's new home, and nothing in genbot imports it.
COMPATIBILITY = {"core.migrations"}


def floor_of(module: str) -> str:
    """The floor of a module of core by its dotted name (core.bot.texts: bot)."""
    parts = module.split(".")
    if len(parts) < 2:
        return "ground"  # `from core import logs`: a ground module, checked by its name below
    if parts[1] == "app":
        return "app"
    return parts[1] if parts[1] in FLOORS else "ground"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of core in a file, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("core")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("core"):
            if node.module == "core":  # from core import logs: each name is a module
                found += [(node.lineno, f"core.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def upward_imports(core: Path) -> list[str]:
    """Every import that climbs: 'core/bot/menu.py:12 (bot) imports core.generation.jobs'."""
    problems = []
    for path in sorted(core.rglob("*.py")):
        relative = path.relative_to(core.parent)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        if module in COMPATIBILITY:
            continue
        own = FLOORS.index(floor_of(module))
        for line, target in imports_of(path):
            if target in COMPATIBILITY:
                problems.append(f"{relative}:{line} imports {target}, an old path: import its new home")
            elif FLOORS.index(floor_of(target)) > own:
                problems.append(f"{relative}:{line} ({floor_of(module)}) imports {target} "
                                f"({floor_of(target)})")
    return problems


def test_every_import_goes_to_its_own_floor_or_below():
    assert upward_imports(CORE) == []


def test_an_upward_import_is_found(tmp_path):
    copy = tmp_path / "core"
    shutil.copytree(CORE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "telegram" / "planted.py").write_text(
        "def later():\n    from core.generation.jobs import JobQueue\n    return JobQueue\n")
    (copy / "metrics_planted.py").write_text("from core.bot import texts\n")
    assert upward_imports(copy) == [
        "core/metrics_planted.py:1 (ground) imports core.bot (bot)",
        "core/telegram/planted.py:2 (telegram) imports core.generation.jobs (generation)"]


@pytest.mark.parametrize("floor", [f for f in FLOORS if f not in ("ground", "app")])
def test_each_floor_says_what_it_is_and_what_it_may_import(floor):
    doc = ast.get_docstring(ast.parse((CORE / floor / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "May import" in doc


def test_the_ground_floor_is_only_these_modules():
    """Anything new in core/ itself is ground by its place: it must not climb either."""
    assert sorted(p.stem for p in CORE.glob("*.py")) == ["__init__", "app", "config", "db", "logs",
                                                        "metrics", "migrations", "url_fetch"]
