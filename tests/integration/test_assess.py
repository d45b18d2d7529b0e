"""`oxzep7 assess` and `oxzep7 try` on the bundled example, on the real engine and the
real package index: the matrix assess writes runs unchanged (trimmed to Python 3.9/3.11
and two click versions), and a trial shows the README's click 8.1 regression with its
culprit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, oxzep7
from tests.unit.assess.conftest import ADVISORIES

pytestmark = [pytest.mark.docker, pytest.mark.network]

CLI = "tests/test_cli.py::test_render_table_aligns_names"


def test_assessed_matrix_runs(tmp_path: Path):
    written = tmp_path / "m.yaml"
    done = oxzep7("assess", str(EXAMPLE), "--write-matrix", str(written))
    assert done.returncode == 0, done.stdout + done.stderr
    planned = oxzep7("plan", str(written))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    # A trimmed copy: a few cells on Python 3.9/3.11, the click line the README names.
    document = yaml.safe_load(written.read_text())
    document["axes"]["python"] = ["3.9", "3.11"]
    document["axes"]["click"] = ["7.1.2", {"range": ">=8.1,<8.2", "pick": "latest"}]
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(yaml.safe_dump(document, sort_keys=False))
    runs = tmp_path / "runs"
    done = oxzep7("run", str(trimmed), "--runs-dir", str(runs))
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((runs / "latest" / "results.json").read_text())
    got = {c["id"]: (c["status"], c["failing_tests"]) for c in results["cells"]}
    assert got == {
        "py3.9-click7.1.2": ("passed", []),
        "py3.11-click7.1.2": ("passed", []),
        "py3.9-click8.1.8": ("failed", [CLI]),
        "py3.11-click8.1.8": ("failed", [CLI]),
    }
    assert results["baseline"] == "py3.9-click7.1.2"


def test_try_shows_the_regression_and_its_culprit(tmp_path: Path):
    runs = tmp_path / "runs"
    done = oxzep7(
        "try",
        str(EXAMPLE),
        "--python",
        "3.11",
        "--with",
        "click==8.1.8",
        "--runs-dir",
        str(runs),
        "--advisories",
        str(ADVISORIES),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((runs / "latest" / "results.json").read_text())
    cells = {c["id"]: c for c in results["cells"]}
    assert results["baseline"] == "py3.9-click7.1.2"
    assert cells["py3.11-click8.1.8"]["status"] == "failed"
    assert cells["py3.11-click8.1.8"]["failing_tests"] == [CLI]
    assert cells["py3.11-click7.1.2"]["status"] == "passed"
    assert "✗ py3.11-click8.1.8 (Python 3.11, click 8.1.8): 1 regression" in done.stdout
    assert CLI in done.stdout
    assert "culprit: click 7.1.2 -> 8.1.8 (py3.11-click7.1.2 is safe)" in done.stdout
    verdict = json.loads((runs / "latest" / "verdict.json").read_text())
    blocker = next(b for b in verdict["blockers"] if b["cell"] == "py3.11-click8.1.8")
    assert blocker["culprits"][0]["axis"] == "click"
    # Each cell's resolved packages against the offline advisories: Debian 11's
    # setuptools 44.1.1 in the Python 3.9 cells has PYSEC-2022-43012 (fixed in 65.5.1).
    advisories = json.loads((runs / "latest" / "advisories.json").read_text())
    line = "setuptools 44.1.1: PYSEC-2022-43012 (fixed in 65.5.1)"
    assert advisories["vulnerable"] == {"py3.9-click7.1.2": [line], "py3.9-click8.1.8": [line]}
    assert "The recommendation py3.11-click7.1.2 has no known vulnerability" in done.stdout
    assert line in done.stdout
