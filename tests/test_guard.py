"""genbot starts only with its own ``core``, ``plugins`` and ``migrations`` (genbot_guard.py):
another project's package of the same name, in the same virtualenv or earlier on the path,
stops every command with exit code 2 and one line that names it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.serve import ROOT, base_env, run_cli
from tests.support.wheel import build_wheel, make_venv, pip, small_wheel

GUARD = ROOT / "genbot_guard.py"
OTHER_CORE = {"core/__init__.py": '"""Another project\'s core."""\n',
              "core/config.py": "SETTINGS = {}\n"}


def fake_site(folder: Path, genbot_record: list[str] | None = None) -> Path:
    """A site-packages as genbot's wheel leaves it: the guard beside the four packages, and
    genbot's dist-info whose RECORD lists ``genbot_record`` (default: what is there)."""
    site = folder / "site-packages"
    for package in ("core", "plugins", "genbot"):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
    (site / "migrations").mkdir()
    (site / "migrations" / "0001_seed_schema.sql").write_text("")
    shutil.copy(GUARD, site / "genbot_guard.py")
    listed = genbot_record if genbot_record is not None else \
        ["core/__init__.py", "plugins/__init__.py", "genbot/__init__.py", "migrations/0001_seed_schema.sql"]
    install(site, "genbot", "0.1.0", listed + ["genbot_guard.py"])
    return site


def install(site: Path, name: str, version: str, files: list[str]) -> None:
    """``name``'s dist-info in ``site``, as pip writes it, with these files in its RECORD."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in files))
    for path in files:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).touch()


def guard_says(*path: Path, cwd: Path) -> str:
    """The guard's verdict in a fresh interpreter whose path is exactly ``path`` (and the
    standard library): "None", or the sentence it stops genbot with."""
    env = base_env(PYTHONPATH=":".join(map(str, path)))
    done = subprocess.run([sys.executable, "-S", "-c", "import genbot_guard; print(genbot_guard.problem())"],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_genbot_alone_in_its_folder_starts(tmp_path):
    assert guard_says(fake_site(tmp_path), cwd=tmp_path) == "None"


def test_another_distribution_with_files_in_core_is_named(tmp_path):
    site = fake_site(tmp_path)
    install(site, "othercore", "2.3", ["core/config.py", "othercore/__init__.py"])
    said = guard_says(site, cwd=tmp_path)
    assert said.startswith(f'the distribution othercore 2.3 also installs the package(s) "core" into {site}')
    assert said.endswith("install genbot in a virtualenv or container of its own (README, \"Installing\")")


def test_a_core_earlier_on_the_path_is_named_by_its_folder(tmp_path):
    site = fake_site(tmp_path)
    elsewhere = tmp_path / "project"
    (elsewhere / "core").mkdir(parents=True)
    (elsewhere / "core" / "__init__.py").write_text("")
    said = guard_says(elsewhere, site, cwd=tmp_path)
    assert said.startswith(f'"import core" finds {elsewhere}/core/__init__.py (a folder no installed '
                           f"distribution owns: PYTHONPATH? a .pth file?), not genbot's {site}/core")


def test_a_regular_package_hiding_the_migrations_namespace_is_named(tmp_path):
    site = fake_site(tmp_path)
    elsewhere = tmp_path / "project"
    (elsewhere / "migrations").mkdir(parents=True)
    (elsewhere / "migrations" / "__init__.py").write_text("")
    install(elsewhere, "alembic-app", "1.0", ["migrations/__init__.py"])
    said = guard_says(elsewhere, site, cwd=tmp_path)
    assert said.startswith(f'"import migrations" finds {elsewhere}/migrations/__init__.py (the '
                           f"distribution alembic-app 1.0), not genbot's {site}/migrations")


def test_a_namespace_portion_beside_genbots_migrations_is_no_conflict(tmp_path):
    site = fake_site(tmp_path)
    (tmp_path / "project" / "migrations").mkdir(parents=True)  # yoyo's folder of some project
    assert guard_says(tmp_path / "project", site, cwd=tmp_path) == "None"


def test_files_genbot_installed_that_are_gone_are_named(tmp_path):
    site = fake_site(tmp_path)
    record = site / "genbot-0.1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "core/config.py,,\ncore/__pycache__/config.cpython-311.pyc,,\n")
    said = guard_says(site, cwd=tmp_path)
    assert said.startswith(f"files genbot installed into {site} are gone (core/config.py), as when a "
                           f"package that shared its folders is uninstalled: reinstall genbot")


def test_a_checkout_runs_its_own_packages_whatever_is_on_the_path(tmp_path):
    """run.py puts the checkout first on sys.path, so a ``core`` elsewhere cannot shadow
    it; the checkout holds no distribution to compare with, so nothing stops it."""
    elsewhere = tmp_path / "project"
    for path, text in OTHER_CORE.items():
        (elsewhere / path).parent.mkdir(parents=True, exist_ok=True)
        (elsewhere / path).write_text(text)
    done = run_cli("--version", env=base_env(PYTHONPATH=f"{elsewhere}:{ROOT}"), cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "genbot 0.1.0"), done.stderr


@pytest.mark.slow
def test_a_package_with_its_own_core_config_in_the_same_virtualenv_makes_genbot_exit_2_naming_it(tmp_path):
    wheel = build_wheel(ROOT, tmp_path)
    other = small_wheel(tmp_path, "othercore", "2.3", OTHER_CORE)
    bin_dir = make_venv(tmp_path, wheel)
    env = base_env()
    env.pop("PYTHONPATH")

    def genbot(*args, **settings) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "genbot"), *args], env={**env, **settings}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    assert genbot("--version").stdout.strip() == "genbot 0.1.0"
    pip(bin_dir, "install", "--no-deps", "--no-index", str(other))  # pip warns of nothing
    site = Path(subprocess.run([str(bin_dir / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, env=env, check=True).stdout.strip())
    # What genbot met before: its core/config.py is the other's now, and it cannot start.
    broken = subprocess.run([str(bin_dir / "python"), "-c", "import core.ops.cli"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1 and "ImportError" in broken.stderr

    for command in (("--version",), ("doctor",)):
        stopped = genbot(*command)
        assert stopped.returncode == 2, stopped.stdout + stopped.stderr
        assert stopped.stdout == ""
        assert stopped.stderr == (f'genbot: the distribution othercore 2.3 also installs the package(s) '
                                  f'"core" into {site}, over genbot\'s own files (uninstalling it would '
                                  f'delete them too): install genbot in a virtualenv or container of its '
                                  f'own (README, "Installing")\n')

    # Uninstalling the other takes genbot's core/__init__.py and core/config.py with it.
    pip(bin_dir, "uninstall", "--yes", "othercore")
    gone = genbot("--version")
    assert gone.returncode == 2
    assert gone.stderr.startswith(f"genbot: files genbot installed into {site} are gone (core/__init__.py "
                                  f"and 1 more)")
    pip(bin_dir, "install", "--no-deps", "--no-index", "--force-reinstall", str(wheel))
    assert genbot("--version").stdout.strip() == "genbot 0.1.0"

    # A core earlier on the path (here PYTHONPATH) hides genbot's: named by its folder.
    elsewhere = tmp_path / "project"
    (elsewhere / "core").mkdir(parents=True)
    (elsewhere / "core" / "__init__.py").write_text("")
    shadowed = genbot("--version", PYTHONPATH=str(elsewhere))
    assert shadowed.returncode == 2
    assert shadowed.stderr.startswith(f'genbot: "import core" finds {elsewhere}/core/__init__.py')
