"""Plugins use the core only through ``genbot`` (the public module) and its App surface."""

from __future__ import annotations

import ast
from pathlib import Path

import genbot
from core.app import App

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FILES = sorted((ROOT / "plugins").rglob("*.py")) + sorted(
    (ROOT / "examples").rglob("genbot_*/**/*.py"))


def core_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "core"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "core":
            found.append(node.module)
    return found


def app_members_used(tree: ast.AST) -> set[str]:
    """``app.x`` and ``ctx.app.x``: what a plugin touches of the App."""
    used = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id == "app" or \
                isinstance(owner, ast.Attribute) and owner.attr == "app":
            used.add(node.attr)
    return used


def test_the_plugin_files_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in PLUGIN_FILES}
    assert {"plugins/payments/credit.py", "plugins/providers/kie/__init__.py",
            "plugins/providers/openai/__init__.py", "plugins/providers/fal/provider.py",
            "examples/genbot-notes/genbot_notes/plugin.py"} <= names


def test_no_plugin_imports_the_core_beyond_the_public_module():
    offenders = {p.relative_to(ROOT).as_posix(): core_imports(ast.parse(p.read_text()))
                 for p in PLUGIN_FILES}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_plugins_use_only_the_documented_app_surface():
    outside = {p.relative_to(ROOT).as_posix(): sorted(app_members_used(ast.parse(p.read_text()))
                                                      - set(genbot.APP_SURFACE))
               for p in PLUGIN_FILES}
    assert {path: found for path, found in outside.items() if found} == {}


def test_the_public_module_holds_what_it_lists():
    for name in genbot.__all__:
        assert getattr(genbot, name) is not None, name
    for member in genbot.APP_SURFACE:
        assert hasattr(App, member) or member in App.__init__.__code__.co_names, member
        assert f"app.{member}" in genbot.__doc__, f"app.{member} is not documented"
