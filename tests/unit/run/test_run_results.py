"""RunResults: results.json read into types once, checked, and written back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import verdict
from orchestrator.errors import DamagedResultsError
from orchestrator.jsonread import ShapeError
from orchestrator.models import NOT_RUN, CellResult
from orchestrator.run import results
from orchestrator.run.results import NotRun, RunResults

EXAMPLE = Path(__file__).parents[1] / "data" / "results-example.json"


@pytest.fixture
def data():
    return json.loads(EXAMPLE.read_text())


def test_a_results_file_reads_into_types_and_writes_back_the_same(data):
    run = RunResults.from_dict(data)
    assert run.name == "sample-app-upgrade"
    assert run.baseline == "py3.9-click7.1.2"
    assert run.axes == ("python", "click")
    assert all(isinstance(c, CellResult) for c in run.cells)
    assert run.state("py3.11-click7.1.2") == "passed"
    assert run.state("py3.99-nothing") == NOT_RUN
    assert run.complete and run.pruned == ()
    again = run.to_dict()
    for key in ("schema", "run_id", "name", "matrix", "updated", "complete", "baseline"):
        assert again[key] == data[key]
    # This file predates the infeasible count, flaky_tests, passed_on_retry and failures (all
    # written now, with their empty values); everything else comes back identical.
    assert {k: v for k, v in again["summary"].items() if k != "infeasible"} == data["summary"]
    newer = {"passed_on_retry": False, "flaky_tests": [], "failures": {}, "log_failure": None}
    for before, after in zip(data["cells"], again["cells"], strict=True):
        assert after == {**before, **newer}
    assert RunResults.from_dict(again) == run


def test_load_reads_a_run_directory_or_its_file(tmp_path, data):
    (tmp_path / "results.json").write_text(json.dumps(data))
    assert results.load(tmp_path) == results.load(tmp_path / "results.json")
    assert results.load(tmp_path) == RunResults.from_dict(data)


def test_not_run_entries_are_ids_or_objects():
    run = RunResults.from_dict({"not_run": ["a", {"id": "b", "axes": {"python": "3.13"}}]})
    assert run.not_run == (NotRun("a"), NotRun("b", {"python": "3.13"}))
    assert run.summary[NOT_RUN] == 2 and not run.complete


def test_a_cells_error_names_the_cell_and_the_key(data):
    data["cells"][2]["counts"] = {"passed": "nine"}
    with pytest.raises(ShapeError) as caught:
        RunResults.from_dict(data)
    assert str(caught.value) == (
        "cells[2] (py3.11-click7.1.2): counts.passed: expected a whole number of at least 0, "
        "got the string 'nine'"
    )


def test_a_damaged_cell_result_file_is_one_error_naming_it(tmp_path):
    from orchestrator.run.rundir import RunDir

    run = RunDir(tmp_path)
    run.cell_result("c").parent.mkdir(parents=True)
    run.cell_result("c").write_text('{"id": "c"}')
    with pytest.raises(DamagedResultsError, match=r"cells/c/result.json: axes.python: missing"):
        results.load_cell_result(run, "c")


# --------------------------------------------------------------------------- flakiness as data


def _passed_cell(**extra):
    return {
        "id": "py3.11",
        "axes": {"python": "3.11"},
        "status": "passed",
        "duration": 1.0,
        "junit": False,
        "exit_code": 0,
        **extra,
    }


def test_passed_on_retry_is_a_field_and_older_files_are_read_by_their_note():
    assert CellResult.from_dict(_passed_cell(passed_on_retry=True)).passed_on_retry
    assert not CellResult.from_dict(_passed_cell()).passed_on_retry
    old_cell = _passed_cell(message="failed, then passed on retry (flaky): exited with 1")
    assert CellResult.from_dict(old_cell).passed_on_retry
    old_tests = _passed_cell(message="2 flaky test(s) passed on retry", junit=True)
    assert CellResult.from_dict(old_tests).passed_on_retry
    # The field, once written, wins over any message.
    assert not CellResult.from_dict({**old_cell, "passed_on_retry": False}).passed_on_retry


def test_the_verdict_notes_flakiness_from_the_data_not_the_message():
    base = _passed_cell(baseline=True)
    flaky = {
        **_passed_cell(message="2 flaky test(s) passed on retry", junit=True),
        "id": "py3.13",
        "axes": {"python": "3.13"},
        "tests": {"t::a": "flaky", "t::b": "passed"},
        "passed_on_retry": True,
    }
    judged = verdict.compute({"baseline": "py3.11", "cells": [base, flaky]}).cell("py3.13")
    assert judged.notes == ("1 flaky test",) and judged.safe
    # A message that merely mentions flakiness is not deleted any more.
    worded = {**flaky, "message": "flaky network, retried", "passed_on_retry": False}
    judged = verdict.compute({"baseline": "py3.11", "cells": [base, worded]}).cell("py3.13")
    assert judged.notes == ("flaky network, retried", "1 flaky test")
