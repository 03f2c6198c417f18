"""genbot as an operator gets it: the wheel built from this tree, in a clean virtualenv.

Both steps work offline. The wheel is built without build isolation (with this
environment's setuptools and wheel). The virtualenv has no system site-packages; it
gets exactly genbot's declared dependencies — found by following ``Requires-Dist`` from
the wheel's own metadata — linked from this environment through a ``.pth`` file. So a
package genbot imports without declaring it is missing there, as on an operator's
machine, and nothing of this checkout is importable.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

# What a build from a fresh clone would not see.
_NOT_SOURCE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", ".hypothesis", "var")


def build_wheel(root: Path, folder: Path) -> Path:
    """``pip wheel`` of a copy of ``root`` (a build writes into its source folder), in
    ``folder``, which holds nothing else."""
    source = folder / "source"
    shutil.copytree(root, source, ignore=_NOT_SOURCE)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
                            "--no-build-isolation", "-w", str(folder / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (folder / "dist").glob("*.whl")
    return wheel


def small_wheel(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """A wheel of ``files`` (path in the wheel -> text) written by hand, as any other
    project's wheel is: its METADATA, WHEEL and a RECORD with every file's hash."""
    info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    contents[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: genbot-tests\nRoot-Is-Purelib: true\n"
                                 "Tag: py3-none-any\n")
    record = []
    for path, text in contents.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    contents[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return wheel


def pip(bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """This environment's pip, offline, acting on the virtualenv of ``bin_dir``."""
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _normal(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(lines) -> list[str]:
    """Names of the requirements that apply here (markers evaluated; no extras)."""
    names = []
    for line in lines or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.append(requirement.name)
    return names


def _declared(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode().splitlines()
    return _requirement_names(line.removeprefix("Requires-Dist:").strip()
                              for line in lines if line.startswith("Requires-Dist:"))


def _closure(names: list[str]) -> list[importlib.metadata.Distribution]:
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        key = _normal(name)
        if key in found:
            continue
        dist = importlib.metadata.distribution(name)
        found[key] = dist
        pending += _requirement_names(dist.requires)
    return list(found.values())


def make_venv(folder: Path, *wheels: Path, also: tuple[str, ...] = ()) -> Path:
    """A virtualenv with the wheels installed and their dependencies (and ``also``'s)
    linked; its bin folder."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    deps = folder / "deps"
    deps.mkdir()
    installing = {_normal(wheel.name.split("-")[0]) for wheel in wheels}
    wanted = [name for wheel in wheels for name in _declared(wheel)
              if _normal(name) not in installing] + list(also)
    for dist in _closure(wanted):
        for top in {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}:
            link = deps / top
            if not link.exists():
                link.symlink_to(Path(dist.locate_file(top)))
    (site / "genbot-dependencies.pth").write_text(f"{deps}\n")
    pip(venv / "bin", "install", "--no-deps", "--no-index", *map(str, wheels))
    return venv / "bin"
