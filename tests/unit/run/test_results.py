"""results: per-cell result.json files collated into results.json."""

from __future__ import annotations

import json

import pytest

from orchestrator.models import Cell, CellResult, Plan, Project, RunOptions, TestCounts
from orchestrator.run import results, rundir

CELLS = (
    Cell(id="py3.11-click8.1.8", python="3.11", deps={"click": "8.1.8"}, baseline=True),
    Cell(id="py3.11-click8.2.0", python="3.11", deps={"click": "8.2.0"}),
    Cell(id="py3.13-click8.1.8", python="3.13", deps={"click": "8.1.8"}),
)


@pytest.fixture
def plan(tmp_path):
    (tmp_path / "project").mkdir()
    return Plan(
        name="demo",
        matrix_path=tmp_path / "matrix.yaml",
        project=Project(tmp_path / "project"),
        image_family="debian",
        constraints=(),
        run=RunOptions(),
        cells=CELLS,
    )


@pytest.fixture
def run(tmp_path, plan):
    return rundir.create(tmp_path, plan, run_id="r1")


def _result(cell, status="passed", **kwargs):
    return CellResult(cell=cell, status=status, duration=1.5, **kwargs)


def _collated(run):
    return json.loads(run.results_file.read_text())


def test_recorded_cells_are_listed_in_plan_order(run):
    results.record(run, _result(CELLS[2], "failed"))
    results.record(run, _result(CELLS[0]))
    data = _collated(run)
    assert [cell["id"] for cell in data["cells"]] == [CELLS[0].id, CELLS[2].id]
    assert [cell["status"] for cell in data["cells"]] == ["passed", "failed"]
    assert data["not_run"] == [CELLS[1].id]
    assert data["complete"] is False
    assert data["baseline"] == CELLS[0].id
    assert data["run_id"] == "r1"


def test_summary_counts_by_status(run):
    results.record(run, _result(CELLS[0], "timeout"))
    results.record(run, _result(CELLS[1], "timeout"))
    assert _collated(run)["summary"] == {
        "passed": 0,
        "failed": 0,
        "error": 0,
        "timeout": 2,
        "infeasible": 0,
        "not_run": 1,
    }


def test_complete_flips_when_every_cell_has_a_result(run):
    for cell, status in zip(CELLS[:2], ["passed", "failed"], strict=True):
        results.record(run, _result(cell, status))
        assert _collated(run)["complete"] is False
    results.record(run, _result(CELLS[2], "error"))
    data = _collated(run)
    assert data["complete"] is True
    assert data["not_run"] == []
    assert data["summary"] == {
        "passed": 1,
        "failed": 1,
        "error": 1,
        "timeout": 0,
        "infeasible": 0,
        "not_run": 0,
    }


def test_recording_a_cell_again_replaces_its_result(run):
    results.record(run, _result(CELLS[0], "failed"))
    results.record(run, _result(CELLS[0], "passed"))
    data = _collated(run)
    assert [(c["id"], c["status"]) for c in data["cells"]] == [(CELLS[0].id, "passed")]
    assert data["summary"]["failed"] == 0


def test_collate_with_no_results_lists_every_cell_as_not_run(run):
    data = results.collate(run)
    assert data == _collated(run)
    assert data["cells"] == []
    assert data["not_run"] == [cell.id for cell in CELLS]
    assert data["summary"]["not_run"] == len(CELLS)


def test_result_is_written_in_the_cell_folder(run):
    results.record(run, _result(CELLS[1], "error", message="build failed"))
    saved = json.loads((run.cell(CELLS[1].id) / "result.json").read_text())
    assert saved["status"] == "error"
    assert saved["message"] == "build failed"


def test_cell_result_round_trips_through_dicts(run, plan):
    result = CellResult(
        cell=CELLS[0],
        status="failed",
        duration=12.345,
        counts=TestCounts(passed=3, failed=1, errors=0, skipped=2),
        failing_tests=("tests/test_x.py::test_a",),
        tests={"tests/test_x.py::test_a": "failed", "tests/test_x.py::test_b": "passed"},
        junit=True,
        exit_code=1,
        image="oxzep7-cell:py3.11-click8.1.8-abc",
        image_id="sha256:" + "0" * 64,
        packages={"click": "8.1.8"},
        message="1 failed",
        logs={"test": "cells/py3.11-click8.1.8/test.log"},
    )
    assert CellResult.from_dict(result.to_dict()) == result
    assert CellResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    results.record(run, result)
    assert results.load_cell_results(run, plan) == {CELLS[0].id: result}
