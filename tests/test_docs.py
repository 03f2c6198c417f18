"""docs/plugins.md shows every hook with its exact signature, every hookspec documents
its parameters and what it returns, and every hook has a real implementation — genbot's
own and those the built-in plugins publish (``plugin_hookspecs``)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core.host import hookspecs
from core.host.plugin_host import KNOWN_HOOKS, PluginHost

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
# A hook's section and the signature its first line opens with:
#   ### `start_payload`
#
#   `start_payload(app, settings, ctx, payload, new_user)` → …
SECTION = re.compile(r"^### `([a-z_]+)`\n\n`([a-z_]+)\(([^)]*)\)`", re.M)
SHARED = {"app", "settings"}  # described once, for every hook


def loaded() -> PluginHost:
    """Built-in plugins, the packaged example and the test plugins."""
    return PluginHost(Path("/nonexistent/plugins.toml"), env={}).load(extra=(
        "tests.support.plugins.listener", "tests.support.plugins.forward"))


def spec_functions() -> dict:
    """Every hookspec: genbot's, and those loaded plugins publish."""
    found = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, "genbot_spec")}
    host = loaded()
    for plugin in host.plugins.values():
        found.update({name: getattr(host.pm.hook, name).spec.function for name in plugin.publishes})
    return found


def specified() -> dict[str, list[str]]:
    return {name: list(inspect.signature(fn).parameters) for name, fn in spec_functions().items()}


def documented() -> dict[str, list[str]]:
    found = {}
    for heading, name, params in SECTION.findall(DOCS.read_text(encoding="utf-8")):
        assert heading == name, f"section {heading} shows the signature of {name}"
        found[name] = [p.strip() for p in params.split(",") if p.strip()]
    return found


def test_the_sections_are_found():
    headings = re.findall(r"^### `([a-z_]+)`$", DOCS.read_text(encoding="utf-8"), re.M)
    assert sorted(documented()) == sorted(headings), "a hook section does not open with its signature"


def test_docs_show_every_hook_with_its_exact_signature():
    assert documented() == specified()


def test_a_published_hook_is_among_them():
    assert {"payment_credited", "payment_refunded"} <= set(specified()) - KNOWN_HOOKS


def test_every_hookspec_documents_its_parameters_and_its_return():
    functions = spec_functions()
    for name, params in specified().items():
        doc = inspect.getdoc(functions[name]) or ""
        missing = [p for p in params if p not in SHARED and f"``{p}``" not in doc]
        assert not missing, f"{name}: parameters not documented: {missing}"
        assert "Returns" in doc, f"{name}: the docstring does not say what it returns"


def test_every_hook_has_a_real_implementation():
    """Built-in plugins, the packaged example and the test plugins together answer every
    hook, published ones too; the tests of each use them."""
    host = loaded()
    implemented = {hook for plugin in host.plugins.values() for hook in plugin.hooks}
    assert host.known_hooks - implemented == set()
    assert KNOWN_HOOKS | {"payment_credited", "payment_refunded"} == set(specified())
