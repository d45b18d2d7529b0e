"""The verdict on a run: which cells are safe to move to, which one to pick, and why
the higher ones are not safe.

Input is a run's ``results.json`` (schema ``oxzep7.results/1``) as a dict; output is
a frozen :class:`Verdict` that every report renders from. Everything here is a pure
function of that dict: no files, no Docker, no clock.

Vocabulary (see design.md, "Verdicts"):

- The **baseline** cell is what runs today. A test failing (``failed``/``error``) in a
  candidate but not failing in the baseline is a **regression**; a test failing in
  both is **pre-existing**; a test that failed and then passed on a retry is
  **flaky** - never counted as a pass, never as a regression.
- A cell is **safe** when it built and ran its tests (status ``passed`` or
  ``failed``) and shows no regression against the baseline.
- Cells are ordered by their axis values read as versions, most significant axis
  first; the **recommendation** is the highest safe cell. Every cell above it that
  is not safe is a :class:`Blocker`, with the single-axis change (the *culprit*)
  that separates it from a safe neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from orchestrator.plan import versions

SCHEMA = "oxzep7.verdict/1"

ABSENT = "absent"  # outcome of a test a cell did not report
NOT_RUN = "not_run"  # status of a planned cell without a result
FAILING = frozenset({"failed", "error"})
# Statuses of cells whose tests did not (completely) run: never safe.
BROKEN = frozenset({"error", "timeout", "infeasible"})
RAN = frozenset({"passed", "failed"})

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NO_VERSION = Version("0")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class TestMatrix:
    """Per-test outcomes across cells: ``outcomes[test][cell]``, ``absent`` when the
    cell did not report the test. ``tests`` keep first-seen order (JUnit order)."""

    __test__ = False  # not a pytest test class

    tests: tuple[str, ...]
    cells: tuple[str, ...]
    outcomes: Mapping[str, Mapping[str, str]]

    def outcome(self, test: str, cell: str) -> str:
        return self.outcomes.get(test, {}).get(cell, ABSENT)

    def failing_anywhere(self) -> tuple[str, ...]:
        """Tests that failed, errored or were flaky in at least one cell."""
        return tuple(
            test
            for test in self.tests
            if any(o in FAILING or o == "flaky" for o in self.outcomes[test].values())
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": list(self.cells),
            "outcomes": {
                test: {cell: self.outcome(test, cell) for cell in self.cells} for test in self.tests
            },
        }


@dataclass(frozen=True)
class Regression:
    """A test failing in a candidate cell and not failing in the baseline."""

    test: str
    outcome: str  # in the candidate: failed | error
    baseline_outcome: str  # in the baseline: passed | skipped | flaky | absent
    note: str = ""  # what a reader should know, e.g. "new failing test (not in the baseline)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "outcome": self.outcome,
            "baseline_outcome": self.baseline_outcome,
            "note": self.note,
        }


@dataclass(frozen=True)
class CellVerdict:
    """One cell judged against the baseline."""

    id: str
    axes: Mapping[str, str]
    status: str  # passed | failed | error | timeout | infeasible | not_run
    baseline: bool
    safe: bool
    reason: str  # why it is not safe; "" when safe
    notes: tuple[str, ...] = ()  # caveats that do not make it unsafe
    per_test: bool = False  # whether the cell reported per-test outcomes (JUnit)
    failing: tuple[str, ...] = ()  # every failing test (failed/error)
    regressions: tuple[Regression, ...] = ()
    pre_existing: tuple[str, ...] = ()  # failing here and in the baseline
    flaky: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()  # failing in the baseline, passing here
    rank: int = 0  # position in the highest-first order (0 = highest)

    @property
    def label(self) -> str:
        return describe(self.axes) or self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "axes": dict(self.axes),
            "status": self.status,
            "baseline": self.baseline,
            "safe": self.safe,
            "reason": self.reason,
            "notes": list(self.notes),
            "rank": self.rank,
            "per_test": self.per_test,
            "failing": list(self.failing),
            "regressions": [r.to_dict() for r in self.regressions],
            "pre_existing": list(self.pre_existing),
            "flaky": list(self.flaky),
            "fixed": list(self.fixed),
        }


@dataclass(frozen=True)
class Change:
    """One axis moving from one value to another, e.g. ``click 7.1.2 -> 8.1.8``."""

    axis: str
    before: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.axis} {self.before or '(none)'} -> {self.after or '(none)'}"

    def to_dict(self) -> dict[str, Any]:
        return {"axis": self.axis, "before": self.before, "after": self.after, "text": self.text}


@dataclass(frozen=True)
class Culprit:
    """The change that breaks a cell: it differs from each of ``neighbours`` (safe
    cells, closest value first) in this one axis only. ``change.before`` is the
    value of the first neighbour."""

    change: Change
    neighbours: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.change.text

    def to_dict(self) -> dict[str, Any]:
        return {**self.change.to_dict(), "neighbours": list(self.neighbours)}


@dataclass(frozen=True)
class Blocker:
    """A cell ranked above the recommendation that is not safe, and why."""

    cell: str
    label: str
    status: str
    problem: str  # the cell's reason: a status problem or its regressions
    regressions: tuple[str, ...]
    culprits: tuple[Culprit, ...]
    nearest: str | None  # nearest safe cell when no culprit changes a single axis
    nearest_changes: tuple[Change, ...]
    explanation: str  # one sentence about the culprit, for reports

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "label": self.label,
            "status": self.status,
            "problem": self.problem,
            "regressions": list(self.regressions),
            "culprits": [c.to_dict() for c in self.culprits],
            "nearest": self.nearest,
            "nearest_changes": [c.to_dict() for c in self.nearest_changes],
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Verdict:
    """Everything the reports say about a run, computed once by :func:`compute`."""

    run_id: str
    name: str
    baseline: str | None  # the baseline cell id, if the plan had one
    baseline_status: str  # its status, "not_run", or "missing" when there is none
    comparable: bool  # whether cells could be compared with the baseline at all
    axes: tuple[str, ...]  # display order: python first, then dependencies
    priority: tuple[str, ...]  # ordering significance, most significant first
    cells: tuple[CellVerdict, ...]  # highest first
    recommended: str | None
    tied_with: tuple[str, ...]  # safe cells that rank equal to the recommendation
    blockers: tuple[Blocker, ...]  # unsafe cells above the recommendation, highest first
    warnings: tuple[str, ...]
    matrix: TestMatrix = field(repr=False)

    def cell(self, cell_id: str) -> CellVerdict:
        for cell in self.cells:
            if cell.id == cell_id:
                return cell
        raise KeyError(cell_id)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(cell.id for cell in self.cells)

    @property
    def safe(self) -> tuple[str, ...]:
        return tuple(cell.id for cell in self.cells if cell.safe)

    @property
    def headline(self) -> str:
        """``Recommended: py3.11-click7.1.2 (Python 3.11, click 7.1.2)`` or why not."""
        if not self.cells:
            return "No cell has a result yet."
        if self.recommended is None:
            return "No safe cell: every cell failed, regressed or did not run."
        cell = self.cell(self.recommended)
        return f"Recommended: {cell.id} ({cell.label})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "run_id": self.run_id,
            "name": self.name,
            "headline": self.headline,
            "recommended": self.recommended,
            "tied_with": list(self.tied_with),
            "baseline": self.baseline,
            "baseline_status": self.baseline_status,
            "comparable": self.comparable,
            "warnings": list(self.warnings),
            "axes": list(self.axes),
            "priority": list(self.priority),
            "order": list(self.order),
            "safe": list(self.safe),
            "cells": [cell.to_dict() for cell in self.cells],
            "blockers": [blocker.to_dict() for blocker in self.blockers],
            "tests": self.matrix.to_dict(),
        }


# --------------------------------------------------------------------------- entry point


def compute(results: Mapping[str, Any], priority: Sequence[str] | None = None) -> Verdict:
    """Judge a run from its results.json. ``priority`` (axis names, most significant
    first) defaults to ``results["priority"]``, else python then dependency axes."""
    cells = [dict(c) for c in results.get("cells", [])]
    axes = axis_names(cells)
    not_run = _not_run_cells(results, cells, axes)
    axes = axis_names([*cells, *not_run])
    wanted = priority if priority is not None else results.get("priority")
    order_axes = priority_order(axes, wanted)
    matrix = outcome_matrix(cells)
    base = _Baseline.of(results, cells)

    judged = [judge(c, base) for c in cells] + [_not_run_verdict(c, base) for c in not_run]
    raw = {c["id"]: c for c in [*cells, *not_run]}
    keys = {
        i: cell_key(c.get("axes") or {}, c.get("packages") or {}, order_axes)
        for i, c in raw.items()
    }
    position = {c.id: i for i, c in enumerate(judged)}
    # Highest first; on equal keys the cell listed first in results.json wins.
    ranked = sorted(judged, key=lambda c: (keys[c.id], -position[c.id]), reverse=True)
    ranked = [replace(c, rank=i) for i, c in enumerate(ranked)]

    recommended = next((c for c in ranked if c.safe), None)
    tied: tuple[str, ...] = ()
    if recommended is not None:
        top = keys[recommended.id]
        tied = tuple(
            c.id for c in ranked if c.safe and c.id != recommended.id and keys[c.id] == top
        )
    above = ranked[: recommended.rank] if recommended else ranked
    blockers = tuple(explain(c, ranked) for c in above if not c.safe)
    return Verdict(
        run_id=str(results.get("run_id", "")),
        name=str(results.get("name", "")),
        baseline=base.id,
        baseline_status=base.status,
        comparable=base.mode != "none",
        axes=tuple(axes),
        priority=tuple(order_axes),
        cells=tuple(ranked),
        recommended=recommended.id if recommended else None,
        tied_with=tied,
        blockers=blockers,
        warnings=tuple(_warnings(results, base, not_run, wanted, axes, recommended, tied)),
        matrix=matrix,
    )


# --------------------------------------------------------------------------- axes and order


def axis_names(cells: Iterable[Mapping[str, Any]]) -> list[str]:
    """Axis names in display order: ``python`` first, then first-seen order."""
    names: dict[str, None] = {}
    for cell in cells:
        names.update(dict.fromkeys(cell.get("axes", {})))
    return (["python"] if "python" in names else []) + [n for n in names if n != "python"]


def priority_order(axes: Sequence[str], priority: Sequence[str] | None) -> list[str]:
    """Axes by significance: the ``priority`` names that exist, then the rest in order."""
    wanted = [_axis(name) for name in priority or ()]
    first = [name for name in dict.fromkeys(wanted) if name in axes]
    return first + [name for name in axes if name not in first]


def value_key(value: str, resolved: str | None = None) -> Version:
    """A matrix value as a comparable version: the resolved version when known, else the
    value itself, else (a specifier set such as ``>=6,<7`` or ``8.1.*``) the highest
    version number it mentions."""
    for text in (resolved, value):
        if text:
            try:
                return Version(text)
            except InvalidVersion:
                pass
    mentioned = [Version(n) for n in _NUMBER.findall(value or "")]
    return max(mentioned, default=_NO_VERSION)


def cell_key(
    axes: Mapping[str, str], packages: Mapping[str, str], order: Sequence[str]
) -> tuple[tuple[int, Version], ...]:
    """What cells sort by, most significant axis first; a missing axis sorts lowest.
    Values that read as the same version (``8.1.8`` and ``8.1.*`` resolved to 8.1.8)
    tie on purpose: the caller breaks ties and says so."""
    resolved = _resolved(packages)
    return tuple(
        (0, _NO_VERSION)
        if axes.get(axis) is None
        else (1, value_key(axes[axis], resolved.get(axis)))
        for axis in order
    )


def sorted_values(values: Iterable[str]) -> list[str]:
    """Distinct axis values, lowest first (for grids and value distances)."""
    return sorted(dict.fromkeys(values), key=lambda v: (value_key(v), v))


def _resolved(packages: Mapping[str, str]) -> dict[str, str]:
    """Installed versions by normalized name (``pip freeze`` spells names its own way,
    and direct references look like ``name @ file:///...``)."""
    found = {}
    for name, version in packages.items():
        base = name.split(" @ ", 1)[0].strip()
        if base and version:
            found[canonicalize_name(base)] = version
    return found


def _axis(name: str) -> str:
    return name if name == "python" else canonicalize_name(name)


# --------------------------------------------------------------------------- per-test data


def cell_outcomes(cell: Mapping[str, Any]) -> dict[str, str]:
    """A cell's per-test outcomes, with ``flaky_tests`` (when present) marked flaky."""
    tests = dict(cell.get("tests") or {})
    for test in cell.get("flaky_tests") or ():
        tests[test] = "flaky"
    return tests


def outcome_matrix(cells: Sequence[Mapping[str, Any]]) -> TestMatrix:
    """Every test any cell reported, with its outcome in each cell."""
    outcomes: dict[str, dict[str, str]] = {}
    for cell in cells:
        for test, outcome in cell_outcomes(cell).items():
            outcomes.setdefault(test, {})[cell["id"]] = outcome
    return TestMatrix(tests=tuple(outcomes), cells=tuple(c["id"] for c in cells), outcomes=outcomes)


# --------------------------------------------------------------------------- judging cells


@dataclass(frozen=True)
class _Baseline:
    """What the baseline allows: per-test comparison (``tests``), exit-code comparison
    only (``exit``: it ran without JUnit), or nothing (``none``)."""

    id: str | None
    status: str
    mode: str
    tests: Mapping[str, str]
    exit_code: int | None
    message: str

    @classmethod
    def of(cls, results: Mapping[str, Any], cells: Sequence[Mapping[str, Any]]) -> _Baseline:
        base_id = results.get("baseline")
        if base_id is None:
            base_id = next((c["id"] for c in cells if c.get("baseline")), None)
        cell = next((c for c in cells if c["id"] == base_id), None)
        if cell is None:
            status = "missing" if base_id is None else NOT_RUN
            return cls(base_id, status, "none", {}, None, "")
        status = cell.get("status", "error")
        mode = "none" if status not in RAN else "tests" if cell.get("junit") else "exit"
        return cls(
            base_id,
            status,
            mode,
            cell_outcomes(cell),
            cell.get("exit_code"),
            cell.get("message", ""),
        )


def judge(cell: Mapping[str, Any], base: _Baseline) -> CellVerdict:
    """One cell's verdict against the baseline."""
    status = cell.get("status", "error")
    per_test = bool(cell.get("junit"))
    tests = cell_outcomes(cell)
    failing = tuple(t for t, o in tests.items() if o in FAILING)
    flaky = tuple(t for t, o in tests.items() if o == "flaky")
    regressions: tuple[Regression, ...] = ()
    pre_existing: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    if per_test and (base.mode == "tests" or (base.mode == "exit" and base.status == "passed")):
        regressions, pre_existing, fixed = compare(tests, base)
    reason, notes = _assess(cell, status, per_test, failing, regressions, pre_existing, base)
    if flaky:  # replaces the runner's own flaky message, if any
        notes = (*(n for n in notes if "flaky" not in n), count(len(flaky), "flaky test"))
    return CellVerdict(
        id=cell["id"],
        axes=dict(cell.get("axes", {})),
        status=status,
        baseline=cell["id"] == base.id,
        safe=not reason,
        reason=reason,
        notes=notes,
        per_test=per_test,
        failing=failing,
        regressions=regressions,
        pre_existing=pre_existing,
        flaky=flaky,
        fixed=fixed,
    )


def compare(
    tests: Mapping[str, str], base: _Baseline
) -> tuple[tuple[Regression, ...], tuple[str, ...], tuple[str, ...]]:
    """(regressions, pre-existing failures, fixed tests) of a cell against the baseline."""
    regressions, pre_existing = [], []
    for test, outcome in tests.items():
        if outcome not in FAILING:
            continue
        before = base.tests.get(test, ABSENT)
        if before in FAILING:
            pre_existing.append(test)
        else:
            regressions.append(Regression(test, outcome, before, _regression_note(before, base)))
    fixed = [t for t, o in tests.items() if o == "passed" and base.tests.get(t) in FAILING]
    return tuple(regressions), tuple(pre_existing), tuple(fixed)


def _regression_note(before: str, base: _Baseline) -> str:
    if before == ABSENT:
        if base.mode == "exit":
            return "the baseline passed, but has no per-test data"
        return "new failing test (not in the baseline)"
    if before == "skipped":
        return "skipped in the baseline"
    if before == "flaky":
        return "flaky in the baseline, failing here even on retry"
    return ""


def _assess(
    cell: Mapping[str, Any],
    status: str,
    per_test: bool,
    failing: tuple[str, ...],
    regressions: tuple[Regression, ...],
    pre_existing: tuple[str, ...],
    base: _Baseline,
) -> tuple[str, tuple[str, ...]]:
    """(reason it is unsafe or "", notes) for one cell."""
    exit_code = cell.get("exit_code")
    message = first_line(cell.get("message", ""))
    if status not in RAN:
        return status_problem(status, message, exit_code), ()
    if regressions:
        return _regression_reason(regressions), ()
    if status == "passed":
        return "", (message,) if message else ()
    # status == "failed", and no regression was found (or none could be looked for).
    if per_test and failing and base.mode == "tests":
        return "", (count(len(pre_existing), "pre-existing failure"),)
    if base.mode == "none":
        what = count(len(failing), "failing test") if failing else f"failed (exit code {exit_code})"
        return f"{what}; {_no_baseline(base)} to compare with", ()
    if per_test and failing:  # the baseline failed too, and without per-test data
        return (
            f"{count(len(failing), 'failing test')}; the baseline failed without per-test "
            "data, so regressions cannot be told from pre-existing failures",
            (),
        )
    # Failed on its exit code alone: fine only if the baseline failed the same way.
    base_unexplained = base.status == "failed" and not any(
        o in FAILING for o in base.tests.values()
    )
    if base_unexplained and exit_code == base.exit_code:
        return "", (
            f"pre-existing failure, cannot compare (exit code {exit_code} here and in "
            "the baseline)",
        )
    if per_test:
        return f"failed (exit code {exit_code}) without a failing test in its report", ()
    return f"failed (exit code {exit_code}), no per-test data", ()


def status_problem(status: str, message: str, exit_code: int | None) -> str:
    """Why a cell that did not run its tests is not safe, in one line."""
    detail = message or (f"exit code {exit_code}" if exit_code is not None else "")
    what = {
        "error": "error (did not build or run)",
        "timeout": "timeout",
        "infeasible": "infeasible",
        NOT_RUN: "not run",
    }.get(status, status)
    return f"{what}: {detail}" if detail else what


def _regression_reason(regressions: Sequence[Regression], shown: int = 3) -> str:
    names = ", ".join(r.test for r in regressions[:shown])
    more = f" (+{len(regressions) - shown} more)" if len(regressions) > shown else ""
    return f"{count(len(regressions), 'regression')}: {names}{more}"


def _no_baseline(base: _Baseline) -> str:
    if base.id is None:
        return "no baseline"
    return f"no usable baseline ({base.id}: {base.status.replace('_', ' ')})"


def _not_run_cells(
    results: Mapping[str, Any], cells: Sequence[Mapping[str, Any]], axes: Sequence[str]
) -> list[dict[str, Any]]:
    """Planned cells without a result. Entries are ids (axes inferred from the id where
    possible) or dicts with ``id`` and ``axes``."""
    done = {c["id"] for c in cells}
    found = []
    for entry in results.get("not_run") or ():
        cell_id = entry if isinstance(entry, str) else entry["id"]
        if cell_id in done:
            continue
        given = {} if isinstance(entry, str) else dict(entry.get("axes") or {})
        cell_axes = given or infer_axes(cell_id, axes, cells)
        found.append({"id": cell_id, "axes": cell_axes, "status": NOT_RUN})
    return found


def infer_axes(
    cell_id: str, axes: Sequence[str], cells: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """Best effort: the axis values in an id like ``py3.13-click8.1.8`` (the planner's
    format), mapped back to matrix values seen in other cells; {} when it does not fit."""
    if not axes:
        return {}
    parts = [
        rf"py(?P<a{i}>[^-]+)" if axis == "python" else rf"{re.escape(axis)}(?P<a{i}>.+?)"
        for i, axis in enumerate(axes)
    ]
    match = re.fullmatch("-".join(parts), cell_id)
    if not match:
        return {}
    known: dict[str, dict[str, str]] = {axis: {} for axis in axes}
    for cell in cells:
        for axis, value in cell.get("axes", {}).items():
            known.setdefault(axis, {})[_slug(axis, value)] = value
    return {axis: known[axis].get(match[f"a{i}"], match[f"a{i}"]) for i, axis in enumerate(axes)}


def _slug(axis: str, value: str) -> str:
    if axis == "python":
        return value
    try:
        return versions.slug(value)
    except versions.BadValue:
        return value


def _not_run_verdict(cell: Mapping[str, Any], base: _Baseline) -> CellVerdict:
    return CellVerdict(
        id=cell["id"],
        axes=dict(cell["axes"]),
        status=NOT_RUN,
        baseline=cell["id"] == base.id,
        safe=False,
        reason="not run: no result yet",
    )


# --------------------------------------------------------------------------- explaining


def explain(cell: CellVerdict, ranked: Sequence[CellVerdict]) -> Blocker:
    """Why ``cell`` (not safe) is not the recommendation, and which change breaks it."""
    safe = [c for c in ranked if c.safe]
    culprits = culprits_of(cell, safe, ranked)
    nearest, changes = (None, ())
    if not culprits and safe:
        nearest_cell = min(safe, key=lambda s: (len(differences(cell, s)), s.rank))
        nearest, changes = nearest_cell.id, tuple(differences(cell, nearest_cell))
    return Blocker(
        cell=cell.id,
        label=cell.label,
        status=cell.status,
        problem=cell.reason,
        regressions=tuple(r.test for r in cell.regressions),
        culprits=culprits,
        nearest=nearest,
        nearest_changes=changes,
        explanation=_explanation(cell, culprits, nearest, changes, bool(safe)),
    )


def differences(cell: CellVerdict, other: CellVerdict) -> list[Change]:
    """The axis changes that lead from ``other`` to ``cell``."""
    names = axis_names([{"axes": other.axes}, {"axes": cell.axes}])
    return [
        Change(axis, other.axes.get(axis, ""), cell.axes.get(axis, ""))
        for axis in names
        if other.axes.get(axis) != cell.axes.get(axis)
    ]


def culprits_of(
    cell: CellVerdict, safe: Sequence[CellVerdict], ranked: Sequence[CellVerdict]
) -> tuple[Culprit, ...]:
    """One culprit per axis in which some safe cell differs from ``cell`` alone."""
    by_axis: dict[str, list[CellVerdict]] = {}
    for other in safe:
        changes = differences(cell, other)
        if len(changes) == 1 and cell.axes:
            by_axis.setdefault(changes[0].axis, []).append(other)
    culprits = []
    for axis, neighbours in by_axis.items():
        scale = sorted_values(c.axes[axis] for c in ranked if axis in c.axes)
        closest = _closest_first(neighbours, axis, cell.axes.get(axis, ""), scale)
        change = Change(axis, closest[0].axes.get(axis, ""), cell.axes.get(axis, ""))
        culprits.append(Culprit(change, tuple(n.id for n in closest)))
    return tuple(culprits)


def _closest_first(
    cells: Sequence[CellVerdict], axis: str, value: str, scale: list[str]
) -> list[CellVerdict]:
    """``cells`` by how many steps their ``axis`` value is from ``value`` on ``scale``
    (3.11 is closer to 3.13 than 3.9 is), then highest first."""

    def distance(other: CellVerdict) -> tuple[int, int]:
        there = other.axes.get(axis, "")
        if value in scale and there in scale:
            return (abs(scale.index(value) - scale.index(there)), other.rank)
        return (len(scale), other.rank)

    return sorted(cells, key=distance)


def _explanation(
    cell: CellVerdict,
    culprits: Sequence[Culprit],
    nearest: str | None,
    changes: Sequence[Change],
    any_safe: bool,
) -> str:
    if cell.status == NOT_RUN:
        return "not run, so nothing to explain yet"
    if not any_safe:
        return "no safe cell to compare with"
    if len(culprits) == 1:
        return f"culprit: {culprits[0].text} ({_neighbours(culprits[0])})"
    if culprits:
        each = "; ".join(f"{c.text} ({_neighbours(c)})" for c in culprits)
        return f"culprit: the combination, as each change alone is safe: {each}"
    moves = ", ".join(c.text for c in changes)
    return (
        "more than one axis changes at once; no single-axis culprit "
        f"(nearest safe cell: {nearest}, which differs in {moves})"
    )


def _neighbours(culprit: Culprit) -> str:
    first, *others = culprit.neighbours
    also = f"; also safe: {', '.join(others)}" if others else ""
    return f"{first} is safe{also}"


# --------------------------------------------------------------------------- words


def _warnings(
    results: Mapping[str, Any],
    base: _Baseline,
    not_run: Sequence[Mapping[str, Any]],
    wanted: Sequence[str] | None,
    axes: Sequence[str],
    recommended: CellVerdict | None,
    tied: Sequence[str],
) -> list[str]:
    """What a reader must know before trusting the verdict."""
    found = []
    if base.mode == "none":
        if base.id is None:
            what = "This run has no baseline cell"
        elif base.status == NOT_RUN:
            what = f"The baseline cell {base.id} has no result (not run)"
        else:
            problem = status_problem(base.status, first_line(base.message), base.exit_code)
            what = f"The baseline cell {base.id} did not run its tests ({problem})"
        found.append(
            f"{what}: comparison with the baseline is impossible, so regressions cannot be "
            "told from pre-existing failures. Each cell is judged on its own (passed = safe)."
        )
    elif base.mode == "exit":
        found.append(
            f"The baseline cell {base.id} {base.status} without per-test data (exit code "
            f"{base.exit_code}): failing tests elsewhere are compared with its exit code only."
        )
    if not_run:
        ids = ", ".join(c["id"] for c in not_run)
        found.append(
            f"{count(len(not_run), 'cell')} not run ({ids}): the verdict covers only cells "
            "with a result and may change once they run."
        )
    unknown = [n for n in wanted or () if _axis(n) not in axes]
    if unknown:
        found.append(f"Priority names unknown axes, ignored: {', '.join(unknown)}.")
    if recommended is not None and tied:
        found.append(
            f"{', '.join(tied)} rank{'s' if len(tied) == 1 else ''} equal to {recommended.id} "
            f"(same versions); {recommended.id} is listed first in the results, so it is picked."
        )
    return found


def describe(axes: Mapping[str, str]) -> str:
    """``Python 3.11, click 7.1.2``: a cell's axes for people."""
    return ", ".join(
        f"Python {value}" if axis == "python" else f"{axis} {value}" for axis, value in axes.items()
    )


def first_line(text: str | None) -> str:
    """The first non-empty line of a message (messages may hold a whole log tail),
    without terminal colour codes or other control characters."""
    for line in (text or "").splitlines():
        line = _CONTROL.sub("", _ANSI.sub("", line)).strip()
        if line:
            return line
    return ""


def count(n: int, noun: str) -> str:
    """``1 regression``, ``3 regressions``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
