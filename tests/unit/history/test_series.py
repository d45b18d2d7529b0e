"""Runs of one matrix form a series (oldest first, other matrices and damaged runs left
out); ``oxzep7 history`` lists it and ``oxzep7 diff`` compares its last two runs."""

from __future__ import annotations

import json
import os

from orchestrator.history import series
from orchestrator.models import Cell, CellResult, Plan, Project, RunOptions
from orchestrator.run import results, rundir
from tests.conftest import EXAMPLE, oxzep7

CELLS = (
    Cell("py3.11-click7.1.2", "3.11", {"click": "7.1.2"}, baseline=True),
    Cell("py3.11-click8.1.8", "3.11", {"click": "8.1.8"}),
)


def plan(name: str = "demo") -> Plan:
    return Plan(name, EXAMPLE / "m.yaml", Project(EXAMPLE), "debian", (), RunOptions(), CELLS)


def make_run(root, run_id: str, second: str, name: str = "demo", stamp: int = 0):
    run = rundir.create(root, plan(name), run_id=run_id)
    os.utime(run.plan_file, (stamp, stamp))  # the order runs were made in
    results.record(run, CellResult(CELLS[0], "passed", 1.0))
    results.record(run, CellResult(CELLS[1], second, 1.0))  # type: ignore[arg-type]
    return run


def test_a_series_is_one_matrix_oldest_first_without_damaged_runs(tmp_path):
    make_run(tmp_path, "b", "failed", stamp=2_000_000_000)
    make_run(tmp_path, "a", "passed", stamp=1_900_000_000)
    make_run(tmp_path, "other", "passed", name="other", stamp=2_000_000_100)
    damaged = make_run(tmp_path, "c", "passed", stamp=2_000_000_200)
    damaged.results_file.write_text("{")
    assert [r.run_id for r in series.series(tmp_path, "demo")] == ["a", "b"]
    later = series.load_run(tmp_path / "b")
    earlier = series.previous(later)
    assert earlier is not None and earlier.run_id == "a"
    assert series.previous(series.load_run(tmp_path / "a")) is None


def test_history_and_diff_on_the_command_line(tmp_path):
    make_run(tmp_path, "a", "passed", stamp=1_900_000_000)
    make_run(tmp_path, "b", "failed", stamp=2_000_000_000)
    shown = oxzep7("history", "--runs-dir", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"demo: 2 runs in {tmp_path}"
    assert "  a  passed 2, failed 0" in lines[1] and "  b  passed 1, failed 1" in lines[2]
    assert lines[2].endswith("recommended: py3.11-click7.1.2")
    diffed = oxzep7("diff", "--runs-dir", str(tmp_path), "--json")
    assert diffed.returncode == 0, diffed.stderr
    data = json.loads(diffed.stdout)
    assert (data["before"], data["after"]) == ("a", "b")
    assert data["news"] == ["py3.11-click8.1.8: passed -> failed"]
    explicit = oxzep7("diff", str(tmp_path / "b"), str(tmp_path / "a"))
    assert "py3.11-click8.1.8: failed -> passed" in explicit.stdout
    alone = oxzep7("diff", str(tmp_path / "a"))
    assert alone.returncode == 2 and "no earlier run of 'demo'" in alone.stderr
    empty = oxzep7("history", "--runs-dir", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and "no runs in" in empty.stderr
