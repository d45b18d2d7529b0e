"""Projects as they are published, on the real engine: a flit_core project unpacked with
file times of 0, test dependencies only in a requirements file, a git-versioned
(hatch-vcs) project in a git checkout with tests needing a dependency group, and a
matrix with no baseline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, oxzep7

pytestmark = pytest.mark.docker

PROJECTS = ROOT / "tests" / "integration" / "projects"


def cells_of(runs: Path) -> dict[str, dict]:
    data = json.loads((runs / "latest" / "results.json").read_text())
    return {cell["id"]: cell for cell in data["cells"]}


def copy_with_zero_mtimes(name: str, target: Path) -> Path:
    shutil.copytree(PROJECTS / name, target, symlinks=True)
    for folder, _, files in os.walk(target):
        for item in [folder, *(os.path.join(folder, f) for f in files)]:
            os.utime(item, (0, 0), follow_symlinks=False)
    return target


def test_flit_project_with_epoch_mtimes_and_requirements_file(write_matrix, tmp_path):
    project = copy_with_zero_mtimes("flitpkg", tmp_path / "flitpkg")
    matrix = write_matrix(f"""
name: flit
project:
  path: "{project}"
  requirements: [requirements-test.txt]
  env: {{FLITPKG_MODE: "strict $HOME"}}
axes: {{python: ["3.11"]}}
""")
    runs = tmp_path / "runs"
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs))
    cell = cells_of(runs)["py3.11"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert cell["status"] == "passed"
    assert cell["counts"]["passed"] == 4


def test_git_versioned_project_from_a_checkout(write_matrix, tmp_path):
    project = tmp_path / "vcspkg"
    shutil.copytree(PROJECTS / "vcspkg", project)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"], ["tag", "v1.2.3"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    matrix = write_matrix(f"""
name: vcs
project: {{path: "{project}", dependency_groups: [test]}}
axes: {{python: ["3.11"]}}
""")
    runs = tmp_path / "runs"
    plan = oxzep7("plan", str(matrix), "--no-index")
    assert "baseline: py3.11 (python 3.11: the lowest that works" in plan.stdout
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert cells_of(runs)["py3.11"]["counts"]["passed"] == 1


def test_every_debian_interpreter_builds_and_runs(write_matrix, tmp_path):
    """Each interpreter of the debian family, bases built from nothing but a Debian
    mirror (3.14 and 3.15 come from forky, the testing suite, in one root filesystem).
    The example's cgi use breaks from 3.13 on (PEP 594), and only that."""
    matrix = write_matrix(f"""
name: interpreters
project: {{path: "{ROOT / "examples" / "sample-app"}", install: ".[test]"}}
axes: {{python: ["3.9", "3.11", "3.13", "3.14", "3.15"], click: ["7.1.2"]}}
run: {{jobs: 2, retries: 0}}
""")
    runs = tmp_path / "runs"
    oxzep7("run", str(matrix), "--runs-dir", str(runs))
    cells = cells_of(runs)
    headers = {
        "tests/test_headers.py::test_parse_content_type_with_charset",
        "tests/test_headers.py::test_charset_defaults_to_utf8",
    }
    for python in ("3.9", "3.11"):
        assert cells[f"py{python}-click7.1.2"]["status"] == "passed", cells
    for python in ("3.13", "3.14", "3.15"):
        cell = cells[f"py{python}-click7.1.2"]
        assert cell["status"] == "failed", cell.get("message")
        assert set(cell["failing_tests"]) == headers
