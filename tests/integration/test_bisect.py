"""``oxzep7 run --bisect`` for real: the bundled example's click axis jumps from 7.1.2
to 8.1.8; the releases in between, run on Python 3.11, name click 8.1.0 as the first
that breaks ``render_table`` (click 8.0 deprecated ``click.get_terminal_size``, 8.1.0
removed it: its changelog, "Version 8.1.0, released 2022-03-28")."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import ROOT, oxzep7

pytestmark = [pytest.mark.docker, pytest.mark.network]

MATRIX = """\
name: sample-app-bisect
project:
  path: {project}
  install: ".[test]"
  test: "python -m pytest -q"
baseline: {{python: "3.11", click: "7.1.2"}}
axes:
  python: ["3.11"]
  click: ["7.1.2", "8.1.8"]
constraints: ["pytest==8.3.5"]
run: {{jobs: 2, timeout: 600, retries: 0}}
"""
CLI = "tests/test_cli.py::test_render_table_aligns_names"


def test_bisect_names_the_first_click_release_that_breaks_render_table(tmp_path):
    matrix = tmp_path / "bisect.yaml"
    matrix.write_text(MATRIX.format(project=ROOT / "examples" / "sample-app"))
    runs = tmp_path / "runs"
    started = time.monotonic()
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--bisect")
    took = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    run = runs / "latest"
    found = json.loads((run / "bisect.json").read_text())["first_bad"]
    assert len(found) == 1, found
    (first,) = found
    assert first["cell"] == "py3.11-click8.1.8" and first["axis"] == "click"
    assert (first["good"], first["bad"]) == ("8.0.4", "8.1.0")
    assert first["uploaded"] == "2022-03-28"
    assert first["tests"] == [CLI]
    assert first["signature"] == (
        "AttributeError: module 'click' has no attribute 'get_terminal_size'"
    )
    assert 3 <= len(first["tried"]) <= 5  # bisected, not every one of the 13 releases
    # The runs went through the planner and the nox sessions, into a run directory of
    # their own.
    (bisect_run,) = [p for p in (run / "bisect").iterdir() if p.is_dir() and p.name[0] != "."]
    assert (bisect_run / "plan.json").is_file() and (bisect_run / "results.json").is_file()
    # The verdict and every report of the run show it.
    assert "first bad release: py3.11-click8.1.8: click 8.1.0 (uploaded 2022-03-28)" in (
        done.stdout
    )
    verdict = json.loads((run / "verdict.json").read_text())
    assert verdict["first_bad"][0]["bad"] == "8.1.0"
    assert "click 8.1.0 (uploaded 2022-03-28)" in (run / "report.md").read_text()
    assert "click 8.1.0 (uploaded 2022-03-28)" in (run / "report.html").read_text()
    assert "click 8.1.0 (uploaded 2022-03-28)" in (run / "junit.xml").read_text()
    report = oxzep7("report", str(run))
    assert "First bad release: py3.11-click8.1.8: click 8.1.0 (uploaded 2022-03-28)" in (
        report.stdout
    )
    print(f"run --bisect took {took:.0f} s; tried {first['tried']}")
