"""Every hook is documented in docs/plugins.md, and nothing documented is missing."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def specified_hooks() -> set[str]:
    return {name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(fn, "genbot_spec")}


def documented_hooks() -> set[str]:
    return set(re.findall(r"^### `([a-z_]+)`$", DOCS.read_text(encoding="utf-8"), re.M))


def test_every_hookspec_is_documented():
    missing = specified_hooks() - documented_hooks()
    assert not missing, f"hooks without a section in docs/plugins.md: {sorted(missing)}"


def test_every_documented_hook_exists():
    assert documented_hooks() - specified_hooks() == set()


def test_every_hookspec_has_a_one_sentence_docstring():
    for name in specified_hooks():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert doc and "\n" not in doc.strip(), name
