"""Before genbot imports anything of its own: are its top-level packages genbot's?

genbot's wheel installs the top-level packages ``core``, ``plugins``, ``migrations`` and
``genbot``. Names as common as these are taken by other projects too, and pip lets two
distributions write into one folder without a word: the later one overwrites the
other's files (genbot then dies of an ImportError somewhere inside ``core``), and
uninstalling either deletes files the other still needs. A package of the same name
earlier on ``sys.path`` hides genbot's altogether. So every ``genbot`` command (the
console script and ``run.py`` both start in ``main``) checks first, and otherwise stops
with exit code 2 and one line naming the other package and what to do: genbot belongs
in a virtualenv or container of its own.

This module sits at the top level beside those packages and imports none of them: a
check inside ``core`` would never run when ``core`` is the broken one.

genbot's packages are the folders beside this module, wherever it runs from:
site-packages for a wheel; the checkout for ``run.py`` and for an editable install
(whose finder maps the names to the checkout, and whose RECORD lists no package file
to compare with). Three rules follow:
- each package is imported from that folder; whatever else answers to the name (a
  package earlier on ``sys.path``, a neighbour's files in site-packages ahead of an
  editable install's finder) is another's;
- no other distribution installed in that folder lists files of those packages in its
  RECORD. A checkout holds no other distribution, and one installed elsewhere cannot
  reach the checkout's folders, so there this rule finds nothing, rightly;
- when genbot was installed into that folder (its RECORD is there: a wheel, not an
  editable install or a checkout), every file it installed there still exists.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOME = Path(__file__).resolve().parent
PACKAGES = ("core", "plugins", "migrations", "genbot")  # every top-level package of the wheel
EXIT_CODE = 2
ADVICE = "install genbot in a virtualenv or container of its own (README, \"Installing\")"
_OURS = re.compile(r"^(?:core|plugins|migrations|genbot)/", re.MULTILINE)


def main(argv=None) -> int:
    """The ``genbot`` command: the check, then the command line (imported only now)."""
    found = problem()
    if found:
        print(f"genbot: {found}", file=sys.stderr)
        return EXIT_CODE
    from core.ops.cli import main as run_command
    return run_command(argv)


def problem(home: Path = HOME) -> str | None:
    """Why the packages in ``home`` are not (all) genbot's, in one sentence; None if they are."""
    for name in PACKAGES:
        shadowed = _shadowed(name, home)
        if shadowed:
            return shadowed
    import importlib.metadata  # after the cheap check above; only the folder's own metadata is read

    installed = list(importlib.metadata.distributions(path=[str(home)]))
    for dist in installed:
        claimed = _claimed(dist)
        if claimed and _normal(dist.name) != "genbot":
            listed = ", ".join(f'"{name}"' for name in claimed)
            return (f"the distribution {_named(dist)} also installs the package(s) {listed} into "
                    f"{home}, over genbot's own files (uninstalling it would delete them too): {ADVICE}")
    for dist in installed:
        record = dist.read_text("RECORD") if _normal(dist.name) == "genbot" else None
        missing = _missing(record, home) if record is not None else []
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            return (f"files genbot installed into {home} are gone ({missing[0]}{more}), as when a "
                    f"package that shared its folders is uninstalled: reinstall genbot (pip install "
                    f"--force-reinstall genbot), and {ADVICE}")
    return None


def _shadowed(name: str, home: Path) -> str | None:
    """Who answers to ``import name`` instead of genbot's package in ``home``, if anyone."""
    ours = _real(home / name)
    try:
        spec = importlib.util.find_spec(name)  # a top-level name: finds, runs nothing
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return f'genbot\'s package "{name}" is not importable (expected at {ours}): reinstall genbot'
    if spec.origin is None:  # a namespace package (genbot's migrations/ is one): ours among its folders
        folders = [_real(Path(folder)) for folder in spec.submodule_search_locations or ()]
        if ours in folders:
            return None
        other = folders[0] if folders else Path(name)
    else:
        other = _real(Path(spec.origin))
        if other.parent == ours:
            return None
    owner = _owner(name, other)
    whose = owner or "a folder no installed distribution owns: PYTHONPATH? a .pth file?"
    return (f'"import {name}" finds {other} ({whose}), not genbot\'s {ours}: another '
            f"project's package of the same name comes first; {ADVICE}")


def _claimed(dist) -> list[str]:
    """genbot's package names among the files ``dist`` installed (its RECORD; else its file list)."""
    record = dist.read_text("RECORD")
    if record is not None:
        paths = [match.group(0) for match in _OURS.finditer(record)]
    else:
        paths = [str(path) for path in dist.files or ()]
    return sorted({path.split("/", 1)[0] for path in paths if path.split("/", 1)[0] in PACKAGES})


def _missing(record: str, home: Path) -> list[str]:
    """The files of genbot's packages that its RECORD lists and ``home`` no longer has."""
    missing = []
    for line in record.splitlines():
        path = line.split(",", 1)[0]
        if _OURS.match(path) and "__pycache__" not in path and not (home / path).exists():
            missing.append(path)
    return missing


def _owner(name: str, found: Path) -> str | None:
    """The installed distribution that ``found`` (a package's __init__.py or folder) belongs
    to, named with its version; None for a folder no distribution put there."""
    import importlib.metadata

    package = found.parent if found.name == "__init__.py" else found
    for dist in importlib.metadata.distributions():
        record = dist.read_text("RECORD") or ""
        if f"{name}/" in record and _real(Path(dist.locate_file(name))) == package:
            return f"the distribution {_named(dist)}"
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "{}")
        except ValueError:
            continue
        if direct.get("dir_info", {}).get("editable") and direct.get("url", "").startswith("file:"):
            source = _real(Path(unquote(urlsplit(direct["url"]).path)))
            if package.is_relative_to(source) and _normal(dist.name) != "genbot":
                return f"the distribution {_named(dist)}, installed editable from {source}"
    return None


def _named(dist) -> str:
    return f"{dist.name} {dist.version}"


def _normal(name: str | None) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name or "").lower()


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))
