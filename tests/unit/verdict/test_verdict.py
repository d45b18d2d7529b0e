"""verdict: safe cells, regressions against the baseline, the recommendation and culprits.

Small results.json dicts are built by hand (``cell`` and ``run`` below) so each test
shows exactly the situation it judges; the last tests use a real run's results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from orchestrator import verdict
from orchestrator.verdict.judge import compute

EXAMPLE = Path(__file__).parents[1] / "data" / "results-example.json"
TESTS = ("t.py::a", "t.py::b", "t.py::c")


def cell(
    python: str = "3.11",
    status: str | None = None,
    *,
    fail: tuple[str, ...] = (),
    error: tuple[str, ...] = (),
    flaky: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
    tests: tuple[str, ...] = TESTS,
    junit: bool = True,
    exit_code: int | None = None,
    message: str = "",
    packages: dict[str, str] | None = None,
    baseline: bool = False,
    flaky_key: bool = False,
    **deps: str,
) -> dict[str, Any]:
    """One results.json cell entry: every test in ``tests`` passes unless listed in
    ``fail``/``error``/``flaky``/``skip``; status follows from the tests unless given."""
    outcomes = {t: "passed" for t in tests}
    for names, outcome in ((fail, "failed"), (error, "error"), (flaky, "flaky"), (skip, "skipped")):
        outcomes.update(dict.fromkeys(names, outcome))
    if not junit:
        outcomes = {}
    if status is None:
        status = "failed" if fail or error else "passed"
    if exit_code is None and status in ("passed", "failed"):
        exit_code = 0 if status == "passed" else 1
    entry = {
        "id": "-".join([f"py{python}", *(f"{name}{value}" for name, value in deps.items())]),
        "axes": {"python": python, **deps},
        "baseline": baseline,
        "status": status,
        "duration": 1.0,
        "counts": {
            "passed": sum(o in ("passed", "flaky") for o in outcomes.values()),
            "failed": sum(o == "failed" for o in outcomes.values()),
            "errors": sum(o == "error" for o in outcomes.values()),
            "skipped": sum(o == "skipped" for o in outcomes.values()),
        },
        "failing_tests": [t for t, o in outcomes.items() if o in ("failed", "error")],
        "tests": outcomes,
        "junit": junit,
        "exit_code": exit_code,
        "image": None,
        "image_id": None,
        "packages": packages or {},
        "message": message,
        "logs": {},
    }
    if flaky_key:
        entry["flaky_tests"] = list(flaky)
    return entry


def run(*cells: dict[str, Any], not_run: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A results.json dict; the baseline is the cell marked ``baseline=True`` (if any)."""
    data = {
        "schema": "oxzep7.results/1",
        "run_id": "r1",
        "name": "demo",
        "complete": not not_run,
        "baseline": next((c["id"] for c in cells if c["baseline"]), None),
        "cells": list(cells),
        "not_run": list(not_run),
    }
    data.update(extra)
    return data


def base(python: str = "3.9", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("click", "7.1.2")
    return cell(python, baseline=True, **kwargs)


# --------------------------------------------------------------------------- recommendation


def test_recommendation_is_the_highest_safe_cell_versions_compared_as_versions():
    v = compute(
        run(
            base("3.9"),
            cell("3.10", click="7.1.2"),
            cell("3.11", click="8.1.8", fail=("t.py::a",)),
            cell("3.10", click="8.1.8"),
        )
    )
    # 3.10 > 3.9 as versions (as strings it would sort below); 3.11 regresses.
    assert v.recommended == "py3.10-click8.1.8"
    assert v.order[0] == "py3.11-click8.1.8"
    assert v.headline == "Recommended: py3.10-click8.1.8 (Python 3.10, click 8.1.8)"
    assert [b.cell for b in v.blockers] == ["py3.11-click8.1.8"]
    assert v.warnings == ()


def test_baseline_itself_can_be_the_recommendation():
    v = compute(run(base("3.9"), cell("3.11", click="7.1.2", fail=("t.py::b",))))
    assert v.recommended == "py3.9-click7.1.2"
    assert v.cell("py3.9-click7.1.2").baseline


def test_priority_order_changes_the_recommendation():
    results = run(
        base("3.9"),
        cell("3.13", click="7.1.2"),
        cell("3.11", click="8.1.8"),
        cell("3.13", click="8.1.8", fail=("t.py::a",)),
    )
    assert compute(results).recommended == "py3.13-click7.1.2"
    assert compute(results, priority=["click", "python"]).recommended == "py3.11-click8.1.8"
    # From results.json too; an explicit argument wins; [] means the default.
    assert compute({**results, "priority": ["click"]}).recommended == "py3.11-click8.1.8"
    assert compute({**results, "priority": ["click"]}, ["python"]).recommended == (
        "py3.13-click7.1.2"
    )
    assert compute({**results, "priority": []}).recommended == "py3.13-click7.1.2"
    assert compute(results, priority=["click"]).priority == ("click", "python")


def test_unknown_priority_names_are_ignored_with_a_warning():
    v = compute(run(base("3.9"), cell("3.11", click="7.1.2")), priority=["django", "python"])
    assert v.recommended == "py3.11-click7.1.2"
    assert any("django" in w for w in v.warnings)


def test_ties_pick_the_cell_listed_first_and_say_so():
    # "8.1.*" resolved to 8.1.8 reads as the same version as the exact pin.
    wildcard = cell("3.11", click="8.1.*", packages={"Click": "8.1.8"})
    exact = cell("3.11", click="8.1.8")
    v = compute(run(base("3.9"), wildcard, exact))
    assert v.recommended == wildcard["id"]
    assert v.tied_with == (exact["id"],)
    assert any("rank" in w and "equal" in w for w in v.warnings)


def test_no_safe_cell_explains_every_cell():
    v = compute(
        run(
            base("3.9", status="error", junit=False, message="pip: no matching distribution"),
            cell("3.11", click="7.1.2", fail=("t.py::a",)),
            cell("3.13", click="7.1.2", status="timeout", junit=False, message="timed out"),
        )
    )
    assert v.recommended is None
    assert v.headline.startswith("No safe cell")
    assert {b.cell for b in v.blockers} == set(v.order)
    assert all(b.explanation == "no safe cell to compare with" for b in v.blockers)
    assert v.cell("py3.13-click7.1.2").reason == "timeout: timed out"


# --------------------------------------------------------------------------- classification


def test_pre_existing_failures_are_not_regressions():
    v = compute(
        run(
            base("3.9", fail=("t.py::a",)),
            cell("3.11", click="7.1.2", fail=("t.py::a",)),
            cell("3.13", click="7.1.2", fail=("t.py::a", "t.py::b")),
        )
    )
    same = v.cell("py3.11-click7.1.2")
    assert same.safe and same.pre_existing == ("t.py::a",) and not same.regressions
    assert same.notes == ("1 pre-existing failure",)
    worse = v.cell("py3.13-click7.1.2")
    assert not worse.safe
    assert [r.test for r in worse.regressions] == ["t.py::b"]
    assert worse.pre_existing == ("t.py::a",)
    assert worse.reason == "1 regression: t.py::b"
    # The baseline fails too, yet built and ran: safe, its failures pre-existing.
    assert v.cell("py3.9-click7.1.2").safe
    assert v.recommended == "py3.11-click7.1.2"


def test_fixed_tests_are_noted():
    v = compute(run(base("3.9", fail=("t.py::a",)), cell("3.11", click="7.1.2")))
    assert v.cell("py3.11-click7.1.2").fixed == ("t.py::a",)


def test_a_failing_test_absent_from_the_baseline_is_a_new_regression():
    v = compute(
        run(
            base("3.9"),
            cell("3.11", click="7.1.2", tests=(*TESTS, "t.py::new"), fail=("t.py::new",)),
        )
    )
    (regression,) = v.cell("py3.11-click7.1.2").regressions
    assert regression.baseline_outcome == "absent"
    assert "new failing test" in regression.note
    assert v.recommended == "py3.9-click7.1.2"


def test_error_outcome_and_skipped_in_baseline_are_regressions_too():
    v = compute(
        run(base("3.9", skip=("t.py::c",)), cell("3.11", click="7.1.2", error=("t.py::c",)))
    )
    (regression,) = v.cell("py3.11-click7.1.2").regressions
    assert (regression.outcome, regression.baseline_outcome) == ("error", "skipped")
    assert regression.note == "skipped in the baseline"


@pytest.mark.parametrize("flaky_key", [False, True])
def test_flaky_tests_are_never_regressions(flaky_key):
    candidate = cell("3.11", click="7.1.2", flaky=("t.py::b",), flaky_key=flaky_key)
    if flaky_key:  # only listed in flaky_tests: that list wins over the outcome
        candidate["tests"]["t.py::b"] = "failed"
    v = compute(run(base("3.9"), candidate))
    judged = v.cell("py3.11-click7.1.2")
    assert judged.safe and judged.flaky == ("t.py::b",) and not judged.regressions
    assert judged.notes == ("1 flaky test",)
    assert v.recommended == "py3.11-click7.1.2"
    assert v.matrix.outcome("t.py::b", "py3.11-click7.1.2") == "flaky"


def test_flaky_in_the_baseline_and_failing_here_counts_as_a_regression():
    # Conservative: the test passed on a retry in the baseline, and fails here even then.
    v = compute(
        run(base("3.9", flaky=("t.py::a",)), cell("3.11", click="7.1.2", fail=("t.py::a",)))
    )
    (regression,) = v.cell("py3.11-click7.1.2").regressions
    assert regression.baseline_outcome == "flaky"
    assert "flaky in the baseline" in regression.note


def test_status_problems_are_never_safe():
    v = compute(
        run(
            base("3.9"),
            cell("3.11", click="7.1.2", status="error", junit=False, message="build failed\nlog"),
            cell("3.12", click="7.1.2", status="timeout", junit=False),
            cell("3.13", click="7.1.2", status="infeasible", junit=False, message="no wheel"),
        )
    )
    assert v.recommended == "py3.9-click7.1.2"
    reasons = {b.cell: b.problem for b in v.blockers}
    assert reasons == {
        "py3.13-click7.1.2": "infeasible: no wheel",
        "py3.12-click7.1.2": "timeout",
        "py3.11-click7.1.2": "error (did not build or run): build failed",
    }
    # Each is one python step away from the safe baseline.
    infeasible = v.blockers[0]
    assert infeasible.culprits[0].text == "python 3.9 -> 3.13"


def test_failed_without_per_test_data_is_unsafe():
    v = compute(
        run(base("3.9"), cell("3.11", click="7.1.2", junit=False, status="failed", exit_code=2))
    )
    assert v.cell("py3.11-click7.1.2").reason == "failed (exit code 2), no per-test data"
    assert v.recommended == "py3.9-click7.1.2"


def test_failed_without_per_test_data_like_the_baseline_is_a_pre_existing_failure():
    v = compute(
        run(
            base("3.9", junit=False, status="failed", exit_code=1),
            cell("3.11", click="7.1.2", junit=False, status="failed", exit_code=1),
            cell("3.13", click="7.1.2", junit=False, status="failed", exit_code=2),
        )
    )
    same = v.cell("py3.11-click7.1.2")
    assert same.safe
    assert same.notes[0].startswith("pre-existing failure, cannot compare")
    assert not v.cell("py3.13-click7.1.2").safe
    assert v.recommended == "py3.11-click7.1.2"
    assert any("without per-test data" in w for w in v.warnings)


def test_per_test_failures_against_a_baseline_without_per_test_data():
    failed_base = base("3.9", junit=False, status="failed", exit_code=1)
    passed_base = base("3.9", junit=False, status="passed")
    candidate = cell("3.11", click="7.1.2", fail=("t.py::a",))
    unknown = compute(run(failed_base, candidate)).cell(candidate["id"])
    assert not unknown.safe and "cannot be told" in unknown.reason
    regressed = compute(run(passed_base, candidate)).cell(candidate["id"])
    assert [r.test for r in regressed.regressions] == ["t.py::a"]


# --------------------------------------------------------------------------- broken baselines


@pytest.mark.parametrize(
    ("baseline_cell", "status", "words"),
    [
        (None, "missing", "no baseline"),
        (base("3.9", status="error", junit=False, message="no python3.9"), "error", "no python3.9"),
        ("not run", "not_run", "not run"),
    ],
)
def test_without_a_usable_baseline_cells_are_judged_on_their_own(baseline_cell, status, words):
    cells = [cell("3.11", click="7.1.2"), cell("3.13", click="7.1.2", fail=("t.py::a",))]
    if isinstance(baseline_cell, dict):
        results = run(baseline_cell, *cells)
    elif baseline_cell == "not run":
        results = run(*cells, not_run=("py3.9-click7.1.2",), baseline="py3.9-click7.1.2")
    else:
        results = run(*cells)
    v = compute(results)
    assert v.baseline_status == status
    assert not v.comparable
    assert v.recommended == "py3.11-click7.1.2"  # passed = safe
    failing = v.cell("py3.13-click7.1.2")
    assert not failing.safe and not failing.regressions
    assert failing.failing == ("t.py::a",)
    assert "to compare with" in failing.reason
    assert "comparison with the baseline is impossible" in v.warnings[0]
    assert words in v.warnings[0]


# --------------------------------------------------------------------------- culprits


def test_single_axis_culprit_names_the_change_and_the_safe_neighbours():
    v = compute(
        run(
            base("3.9"),
            cell("3.11", click="7.1.2"),
            cell("3.11", click="8.1.8", fail=("t.py::a",)),
        )
    )
    (blocker,) = v.blockers
    (culprit,) = blocker.culprits
    assert culprit.text == "click 7.1.2 -> 8.1.8"
    assert culprit.neighbours == ("py3.11-click7.1.2",)
    assert blocker.regressions == ("t.py::a",)
    assert blocker.explanation == "culprit: click 7.1.2 -> 8.1.8 (py3.11-click7.1.2 is safe)"


def test_the_closest_value_is_the_culprit_and_all_neighbours_are_listed():
    v = compute(
        run(
            base("3.9"), cell("3.11", click="7.1.2"), cell("3.13", click="7.1.2", fail=("t.py::a",))
        )
    )
    (culprit,) = v.blockers[0].culprits
    assert culprit.text == "python 3.11 -> 3.13"
    assert culprit.neighbours == ("py3.11-click7.1.2", "py3.9-click7.1.2")


def test_two_axis_change_has_no_single_axis_culprit_but_each_test_its_change():
    v = compute(
        run(
            base("3.11"),
            cell("3.11", click="8.1.8", fail=("t.py::a",)),
            cell("3.13", click="7.1.2", fail=("t.py::b",)),
            cell("3.13", click="8.1.8", fail=("t.py::a", "t.py::b")),
        )
    )
    top = v.blockers[0]
    assert top.cell == "py3.13-click8.1.8"
    assert top.culprits == ()
    assert top.nearest == "py3.11-click7.1.2"
    assert [c.text for c in top.nearest_changes] == ["python 3.11 -> 3.13", "click 7.1.2 -> 8.1.8"]
    # Each regression has its own change: t.py::a passes with click 7.1.2 on 3.13, t.py::b
    # passes on 3.11 with click 8.1.8.
    assert top.explanation == (
        "more than one axis changes at once: 1 regression from click 7.1.2 -> 8.1.8, "
        "1 from python 3.11 -> 3.13"
    )
    assert [(a.cause, a.tests) for a in top.attributions] == [
        ("click 7.1.2 -> 8.1.8", ("t.py::a",)),
        ("python 3.11 -> 3.13", ("t.py::b",)),
    ]


def test_two_axis_change_without_neighbours_that_ran_explains_nothing():
    v = compute(
        run(
            base("3.11"),
            cell("3.13", click="8.1.8", fail=("t.py::a", "t.py::b")),
        )
    )
    top = v.blockers[0]
    assert top.explanation.startswith(
        "more than one axis changes at once; no single-axis culprit (nearest safe cell: "
        "py3.11-click7.1.2"
    )
    assert [(a.cause, a.tests) for a in top.attributions] == [("nothing", ("t.py::a", "t.py::b"))]


def test_combination_culprit_when_each_single_change_is_safe():
    v = compute(
        run(
            base("3.11"),
            cell("3.11", click="8.1.8"),
            cell("3.13", click="7.1.2"),
            cell("3.13", click="8.1.8", fail=("t.py::a",)),
        )
    )
    (blocker,) = v.blockers
    assert {c.text for c in blocker.culprits} == {"python 3.11 -> 3.13", "click 7.1.2 -> 8.1.8"}
    assert "combination" in blocker.explanation
    assert v.recommended == "py3.13-click7.1.2"


# --------------------------------------------------------------------------- not run, values


def test_cells_not_run_are_placed_by_their_id_and_block_when_higher():
    v = compute(
        run(
            base("3.9", click="6.0.x"),
            cell("3.11", click="6.0.x"),
            not_run=("py3.13-click6.0.x", "something-odd"),
        )
    )
    missing = v.cell("py3.13-click6.0.x")
    assert missing.status == "not_run" and not missing.safe
    assert missing.axes == {"python": "3.13", "click": "6.0.x"}
    assert v.order[0] == "py3.13-click6.0.x"  # ranks by its inferred axes
    assert v.cell("something-odd").axes == {}
    assert v.order[-1] == "something-odd"  # unknown axes rank lowest
    assert v.recommended == "py3.11-click6.0.x"
    assert [b.cell for b in v.blockers] == ["py3.13-click6.0.x"]
    assert any("2 cells not run" in w for w in v.warnings)


def test_not_run_ids_map_back_to_matrix_values_through_their_slug():
    v = compute(
        run(base("3.9", click="8.1.*"), not_run=("py3.11-click8.1.x",)),
    )
    assert v.cell("py3.11-click8.1.x").axes == {"python": "3.11", "click": "8.1.*"}


@pytest.mark.parametrize(
    ("value", "resolved", "expected"),
    [
        ("3.10", None, "3.10"),
        ("8.1.*", None, "8.1"),
        (">=6,<7", None, "7"),
        (">=6,<7", "6.0.2", "6.0.2"),
        ("6.0.2", "", "6.0.2"),
        ("latest", None, "0"),
    ],
)
def test_value_key(value, resolved, expected):
    assert verdict.value_key(value, resolved) == Version(expected)


def test_resolved_versions_order_specifier_cells():
    low = cell("3.11", pyyaml=">=6,<7", packages={"PyYAML": "6.0.1"})
    high = cell("3.11", pyyaml="6.0.2")
    v = compute(run(cell("3.9", pyyaml="5.4.1", baseline=True), low, high))
    assert v.recommended == high["id"]


def test_first_line_of_a_log_tail_is_clean_text():
    assert verdict.first_line("\n  \x1b[31mERROR\x1b[0m: no wheel\x07\nmore") == "ERROR: no wheel"
    assert verdict.first_line(None) == ""


def test_outcome_matrix_marks_missing_tests_absent():
    v = compute(run(base("3.9"), cell("3.11", click="7.1.2", tests=("t.py::a", "t.py::z"))))
    assert v.matrix.tests == (*TESTS, "t.py::z")
    assert v.matrix.outcome("t.py::z", "py3.9-click7.1.2") == "absent"
    assert v.matrix.outcome("t.py::b", "py3.11-click7.1.2") == "absent"


def test_verdict_is_json_serializable():
    v = compute(run(base("3.9"), cell("3.11", click="8.1.8", fail=("t.py::a",))))
    data = json.loads(json.dumps(v.to_dict()))
    assert data["schema"] == "oxzep7.verdict/1"
    assert data["recommended"] == "py3.9-click7.1.2"
    assert data["tests"]["outcomes"]["t.py::a"]["py3.11-click8.1.8"] == "failed"


# --------------------------------------------------------------------------- a real run


@pytest.fixture(scope="module")
def example() -> verdict.Verdict:
    return compute(json.loads(EXAMPLE.read_text()))


def test_example_recommends_python_3_11_with_click_7(example):
    assert example.recommended == "py3.11-click7.1.2"
    assert example.headline == "Recommended: py3.11-click7.1.2 (Python 3.11, click 7.1.2)"
    assert example.comparable and example.warnings == ()


def test_example_click_8_regresses_because_of_click(example):
    judged = example.cell("py3.11-click8.1.8")
    assert not judged.safe
    assert [r.test for r in judged.regressions] == [
        "tests/test_cli.py::test_render_table_aligns_names"
    ]
    blocker = next(b for b in example.blockers if b.cell == "py3.11-click8.1.8")
    assert [c.text for c in blocker.culprits] == ["click 7.1.2 -> 8.1.8"]


def test_example_python_3_13_regresses_because_of_python(example):
    blocker = next(b for b in example.blockers if b.cell == "py3.13-click7.1.2")
    assert [c.text for c in blocker.culprits] == ["python 3.11 -> 3.13"]
    assert set(blocker.regressions) == {
        "tests/test_headers.py::test_parse_content_type_with_charset",
        "tests/test_headers.py::test_charset_defaults_to_utf8",
    }


def test_example_both_changes_at_once_has_no_single_culprit(example):
    blocker = example.blockers[0]
    assert blocker.cell == "py3.13-click8.1.8"
    assert blocker.culprits == () and blocker.nearest == "py3.11-click7.1.2"
    assert [b.cell for b in example.blockers] == [
        "py3.13-click8.1.8",
        "py3.13-click7.1.2",
        "py3.11-click8.1.8",
    ]
