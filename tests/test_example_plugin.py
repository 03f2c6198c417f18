"""The example third-party plugin (examples/genbot-notes), installed as a package; its
own tests (examples/genbot-notes/tests) run with the harness genbot ships."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess

import pytest

from genbot.testing.postgres import url_for
from tests.support.serve import ROOT, base_env, run_cli
from tests.support.wheel import build_wheel, make_venv, wheel_files

UNAVAILABLE = "⚠️ База временно недоступна"


def test_it_is_installed_under_the_entry_point_group():
    names = {e.name: e.value for e in importlib.metadata.entry_points(group="genbot.plugins")}
    assert names.get("notes") == "genbot_notes.plugin"


def test_run_py_plugins_lists_it(db_settings, tmp_path):
    result = run_cli("plugins", "--json", env=base_env(DATABASE_URL=url_for(db_settings)),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["notes"]["source"] == "package genbot-notes"
    assert listed["notes"]["state"] == "enabled"
    assert "menu_buttons" in listed["notes"]["hooks"]
    table = run_cli("plugins", env=base_env(DATABASE_URL=url_for(db_settings)), cwd=tmp_path)
    assert "notes" in table.stdout and "plugins: 10 loaded, 10 enabled" in table.stdout


@pytest.mark.slow
def test_its_own_tests_pass_from_its_wheel_with_the_shipped_harness(tmp_path):
    """As a plugin author's CI does it: genbot's wheel and the plugin's, in a clean
    virtualenv, the plugin's tests run from a folder outside any checkout."""
    genbot_wheel = build_wheel(ROOT, tmp_path / "genbot")
    assert {"genbot/testing/fixtures.py", "genbot/testing/bot_api.py"} <= wheel_files(genbot_wheel)
    notes_wheel = build_wheel(ROOT / "examples" / "genbot-notes", tmp_path / "notes")
    bin_dir = make_venv(tmp_path, genbot_wheel, notes_wheel, also=("pytest",))
    author = tmp_path / "author"
    shutil.copytree(ROOT / "examples" / "genbot-notes" / "tests", author / "tests")
    env = base_env()
    env.pop("PYTHONPATH")  # nothing of this checkout
    result = subprocess.run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests"], cwd=author, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "5 passed" in result.stdout
    where = subprocess.run([str(bin_dir / "python"), "-c", "import genbot.testing, genbot_notes; "
                            "print(genbot.testing.__file__, genbot_notes.__file__)"],
                           cwd=author, env=env, capture_output=True, text=True)
    assert all(path.startswith(str(tmp_path / "venv")) for path in where.stdout.split()), where.stdout
