"""The verdict on a run: which cells are safe to move to, which one to pick, and why
the higher ones are not safe.

Input is a run's results (:class:`~orchestrator.results.RunResults`, or the dict
of a results.json, read through the same checks); output is a frozen
:class:`~orchestrator.verdict.model.Verdict` that every report renders from.
Everything here is a pure function of the results: no files, no Docker, no clock.

Vocabulary (see the README, "Verdicts"):

- The **baseline** cell is what runs today. A test failing (``failed``/``error``) in a
  candidate but not failing in the baseline is a **regression**; a test failing in
  both is **pre-existing**; a test that failed and then passed on a retry is
  **flaky** - never counted as a pass, never as a regression.
- A cell is **safe** when it built and ran its tests (status ``passed`` or
  ``failed``) and shows no regression against the baseline.
- Cells are ordered by their axis values read as versions, most significant axis
  first (:mod:`~orchestrator.verdict.order`); the **recommendation** is the highest
  safe cell. Every cell above it that is not safe is a ``Blocker``, with the
  single-axis change (the *culprit*) that separates it from a safe neighbour
  (:mod:`~orchestrator.verdict.explain`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from orchestrator.models import (
    ABSENT,
    ERROR,
    FAILED,
    FAILING,
    FLAKY,
    INFEASIBLE,
    NOT_RUN,
    PASSED,
    RAN,
    SKIPPED,
    TIMEOUT,
    CellResult,
    state_word,
)
from orchestrator.results import RunResults, coerce
from orchestrator.verdict.clusters import causes, cell_clusters
from orchestrator.verdict.explain import Ranking, explain, support_warnings, warnings
from orchestrator.verdict.model import (
    MISSING,
    CellVerdict,
    Exposure,
    Regression,
    TestMatrix,
    Verdict,
)
from orchestrator.verdict.notrun import not_run_verdict, planned_not_run
from orchestrator.verdict.order import Key, axis_names, cell_key, priority_order
from orchestrator.verdict.support import with_support
from orchestrator.verdict.words import count, first_line

# Baseline modes: per-test comparison, exit-code comparison only, or none at all.
BY_TEST, BY_EXIT, NO_BASELINE = "tests", "exit", "none"


def compute(
    results: RunResults | Mapping[str, Any],
    priority: Sequence[str] | None = None,
    exposure: Exposure | None = None,
    *,
    today: date | None = None,
) -> Verdict:
    """Judge a run. ``priority`` (axis names, most significant first) defaults to the
    run's own, else python then dependency axes. ``exposure``: known vulnerabilities of
    the cells' package sets; an affected cell says so, and is unsafe unless allowed.
    ``today`` (default: the clock's) decides which interpreters are past their end of
    life."""
    run = coerce(results)
    day = today or date.today()
    not_run = planned_not_run(run)
    axes = axis_names([*(c.cell.axes for c in run.cells), *(n.axes for n in not_run)])
    wanted = priority if priority is not None else run.priority
    order_axes = priority_order(axes, wanted)
    base = Baseline.of(run)
    judged = [with_support(exposed(judge(c, base), exposure), day) for c in run.cells]
    judged += [with_support(not_run_verdict(n, base.id), day) for n in not_run]
    packages = {c.cell.id: c.packages for c in run.cells}
    keys = {v.id: cell_key(v.axes, packages.get(v.id, {}), order_axes) for v in judged}
    ranking = _rank(judged, keys, run.require_supported)
    above = ranking.cells[: ranking.recommended.rank] if ranking.recommended else ranking.cells
    matrix = outcome_matrix(run.cells)
    found = warnings(base.problem(), [n.id for n in not_run], wanted, axes, ranking)
    return Verdict(
        run_id=run.run_id,
        name=run.name,
        baseline=base.id,
        baseline_status=base.status,
        comparable=base.mode != NO_BASELINE,
        axes=tuple(axes),
        priority=tuple(order_axes),
        cells=ranking.cells,
        recommended=ranking.recommended.id if ranking.recommended else None,
        tied_with=ranking.tied,
        blockers=tuple(explain(c, ranking.cells, matrix) for c in above if not c.safe),
        warnings=(
            *found,
            *support_warnings(ranking, above, run.require_supported),
            *exposure_warnings(exposure, ranking),
        ),
        matrix=matrix,
        causes=causes((c.id, c.baseline, c.clusters) for c in ranking.cells),
        first_bad=run.first_bad,
        require_supported=run.require_supported,
    )


def _rank(
    judged: Sequence[CellVerdict], keys: Mapping[str, Key], require_supported: bool = False
) -> Ranking:
    """Highest first (on equal keys the cell listed first in the results wins), the
    recommendation (the highest safe cell) and the safe cells tied with it."""
    position = {c.id: i for i, c in enumerate(judged)}
    ordered = sorted(judged, key=lambda c: (keys[c.id], -position[c.id]), reverse=True)
    ranked = tuple(replace(c, rank=i) for i, c in enumerate(ordered))
    eligible = [c for c in ranked if c.safe and not (require_supported and c.unsupported)]
    recommended = eligible[0] if eligible else None
    tied: tuple[str, ...] = ()
    if recommended is not None:
        top = keys[recommended.id]
        tied = tuple(c.id for c in eligible if c.id != recommended.id and keys[c.id] == top)
    return Ranking(ranked, recommended, tied)


# --------------------------------------------------------------------------- per-test data


def outcome_matrix(cells: Sequence[CellResult]) -> TestMatrix:
    """Every test any cell reported, with its outcome in each cell."""
    outcomes: dict[str, dict[str, str]] = {}
    for cell in cells:
        for test, outcome in cell.outcomes.items():
            outcomes.setdefault(test, {})[cell.cell.id] = outcome
    return TestMatrix(
        tests=tuple(outcomes), cells=tuple(c.cell.id for c in cells), outcomes=outcomes
    )


# --------------------------------------------------------------------------- the baseline


@dataclass(frozen=True)
class Baseline:
    """What the baseline allows: per-test comparison (``tests``), exit-code comparison
    only (``exit``: it ran without JUnit), or nothing (``none``)."""

    id: str | None
    status: str  # its status, not_run, or missing
    mode: str
    tests: Mapping[str, str]
    exit_code: int | None
    message: str

    @classmethod
    def of(cls, run: RunResults) -> Baseline:
        base_id = run.baseline
        if base_id is None:
            base_id = next((c.cell.id for c in run.cells if c.cell.baseline), None)
        cell = run.cell(base_id) if base_id is not None else None
        if cell is None:
            status = MISSING if base_id is None else NOT_RUN
            return cls(base_id, status, NO_BASELINE, {}, None, "")
        mode = NO_BASELINE if cell.status not in RAN else BY_TEST if cell.junit else BY_EXIT
        return cls(base_id, cell.status, mode, cell.outcomes, cell.exit_code, cell.message)

    @property
    def compares_tests(self) -> bool:
        """Whether a candidate's per-test outcomes can be held against this baseline."""
        return self.mode == BY_TEST or (self.mode == BY_EXIT and self.status == PASSED)

    def problem(self) -> str:
        """Why the baseline cannot be compared with (a sentence), or ``""``."""
        if self.mode == BY_EXIT:
            return (
                f"The baseline cell {self.id} {self.status} without per-test data (exit code "
                f"{self.exit_code}): failing tests elsewhere are compared with its exit code only."
            )
        if self.mode != NO_BASELINE:
            return ""
        if self.id is None:
            what = "This run has no baseline cell"
        elif self.status == NOT_RUN:
            what = f"The baseline cell {self.id} has no result ({state_word(NOT_RUN)})"
        else:
            problem = status_problem(self.status, first_line(self.message), self.exit_code)
            what = f"The baseline cell {self.id} did not run its tests ({problem})"
        return (
            f"{what}: comparison with the baseline is impossible, so regressions cannot be "
            "told from pre-existing failures. Each cell is judged on its own (passed = safe)."
        )

    def described(self) -> str:
        """``no baseline`` or ``no usable baseline (py3.9-x: error)``."""
        if self.id is None:
            return "no baseline"
        return f"no usable baseline ({self.id}: {state_word(self.status)})"


# --------------------------------------------------------------------------- judging cells


@dataclass(frozen=True)
class Comparison:
    """A cell's failing tests, and what they are against the baseline."""

    failing: tuple[str, ...] = ()  # every failing test (failed/error)
    regressions: tuple[Regression, ...] = ()
    pre_existing: tuple[str, ...] = ()  # failing here and in the baseline
    fixed: tuple[str, ...] = ()  # failing in the baseline, passing here


def judge(cell: CellResult, base: Baseline) -> CellVerdict:
    """One cell's verdict against the baseline."""
    tests = cell.outcomes
    failing = tuple(t for t, o in tests.items() if o in FAILING)
    flaky = tuple(t for t, o in tests.items() if o == FLAKY)
    found = Comparison(failing)
    if cell.junit and base.compares_tests:
        found = compare(tests, base)
    reason, notes = _assess(cell, found, base, flaky)
    return CellVerdict(
        id=cell.cell.id,
        axes=dict(cell.cell.axes),
        status=cell.status,
        baseline=cell.cell.id == base.id,
        safe=not reason,
        reason=reason,
        notes=(*notes, count(len(flaky), "flaky test")) if flaky else notes,
        per_test=cell.junit,
        failing=failing,
        regressions=found.regressions,
        pre_existing=found.pre_existing,
        flaky=flaky,
        fixed=found.fixed,
        clusters=cell_clusters(failing, cell.failures, cell.log_failure),
    )


def exposed(cell: CellVerdict, exposure: Exposure | None) -> CellVerdict:
    """A cell whose package set has a known advisory: unsafe when vulnerable cells are not
    allowed (and it was safe otherwise), else a note. Cells that did not run keep theirs."""
    text = exposure.text(cell.id) if exposure is not None else ""
    if not text or cell.status not in RAN:
        return cell
    assert exposure is not None
    if not exposure.allow and cell.safe:
        return replace(cell, safe=False, reason=f"{text} (run.allow_vulnerable is false)")
    return replace(cell, notes=(*cell.notes, text))


def exposure_warnings(exposure: Exposure | None, ranking: Ranking) -> list[str]:
    """Whether the recommendation is affected, which advisory affects which cells, and
    what could not be checked ("unknown", never "no vulnerabilities")."""
    if exposure is None:
        return []
    found = []
    source = exposure.source
    picked = ranking.recommended
    if picked is not None:
        unknown = exposure.unknown.get(picked.id, ())
        if exposure.text(picked.id):
            found.append(f"The recommendation {picked.id} has {exposure.text(picked.id)}.")
        elif unknown:
            found.append(
                f"The recommendation {picked.id}: vulnerabilities unknown for "
                f"{count(len(unknown), 'package')} of it ({source} could not say)."
            )
        else:
            found.append(f"The recommendation {picked.id} has no known vulnerability ({source}).")
    cells_of: dict[str, list[str]] = {}  # each advisory line -> the cells it affects
    for cell in ranking.cells:
        for finding in exposure.vulnerable.get(cell.id, ()):
            cells_of.setdefault(finding, []).append(cell.id)
    for finding, cells in cells_of.items():
        found.append(f"Known vulnerability ({source}): {finding}, in {', '.join(cells)}.")
    unknown_all = list(dict.fromkeys(p for ps in exposure.unknown.values() for p in ps))
    if unknown_all:
        shown = ", ".join(unknown_all[:5]) + (", ..." if len(unknown_all) > 5 else "")
        packages = count(len(unknown_all), "package")
        found.append(f"Vulnerabilities unknown for {packages} ({shown}): {source} could not say.")
    return found


def compare(tests: Mapping[str, str], base: Baseline) -> Comparison:
    """A cell's per-test outcomes against the baseline's."""
    failing, regressions, pre_existing = [], [], []
    for test, outcome in tests.items():
        if outcome not in FAILING:
            continue
        failing.append(test)
        before = base.tests.get(test, ABSENT)
        if before in FAILING:
            pre_existing.append(test)
        else:
            regressions.append(Regression(test, outcome, before, _regression_note(before, base)))
    fixed = [t for t, o in tests.items() if o == PASSED and base.tests.get(t) in FAILING]
    return Comparison(tuple(failing), tuple(regressions), tuple(pre_existing), tuple(fixed))


def _regression_note(before: str, base: Baseline) -> str:
    if before == ABSENT:
        if base.mode == BY_EXIT:
            return "the baseline passed, but has no per-test data"
        return "new failing test (not in the baseline)"
    if before == SKIPPED:
        return "skipped in the baseline"
    if before == FLAKY:
        return "flaky in the baseline, failing here even on retry"
    return ""


def _assess(
    cell: CellResult, found: Comparison, base: Baseline, flaky: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """(reason it is unsafe or "", notes) for one cell."""
    exit_code, message = cell.exit_code, first_line(cell.message)
    if cell.status not in RAN:
        return status_problem(cell.status, message, exit_code), ()
    if found.regressions:
        return _regression_reason(found.regressions), ()
    if cell.status == PASSED:
        # After a pass on retry the message is the runner's retry note: the flaky
        # tests (a note of their own) say it better.
        retry_note = cell.passed_on_retry and bool(flaky)
        return "", (message,) if message and not retry_note else ()
    # Failed, and no regression was found (or none could be looked for).
    if cell.junit and found.failing and base.mode == BY_TEST:
        return "", (count(len(found.pre_existing), "pre-existing failure"),)
    if base.mode == NO_BASELINE:
        what = f"failed (exit code {exit_code})"
        if found.failing:
            what = count(len(found.failing), "failing test")
        return f"{what}; {base.described()} to compare with", ()
    if cell.junit and found.failing:  # the baseline failed too, and without per-test data
        return (
            f"{count(len(found.failing), 'failing test')}; the baseline failed without per-test "
            "data, so regressions cannot be told from pre-existing failures",
            (),
        )
    return _failed_on_exit_code(cell, base)


def _failed_on_exit_code(cell: CellResult, base: Baseline) -> tuple[str, tuple[str, ...]]:
    """A cell failed on its exit code alone: fine only if the baseline failed the same way."""
    exit_code = cell.exit_code
    base_unexplained = base.status == FAILED and not any(o in FAILING for o in base.tests.values())
    if base_unexplained and exit_code == base.exit_code:
        return "", (
            f"pre-existing failure, cannot compare (exit code {exit_code} here and in "
            "the baseline)",
        )
    if cell.junit:
        return f"failed (exit code {exit_code}) without a failing test in its report", ()
    return f"failed (exit code {exit_code}), no per-test data", ()


def status_problem(status: str, message: str, exit_code: int | None) -> str:
    """Why a cell that did not run its tests is not safe, in one line."""
    detail = message or (f"exit code {exit_code}" if exit_code is not None else "")
    what = {
        ERROR: "error (did not build or run)",
        TIMEOUT: TIMEOUT,
        INFEASIBLE: INFEASIBLE,
    }.get(status, state_word(status))
    return f"{what}: {detail}" if detail else what


def _regression_reason(regressions: Sequence[Regression], shown: int = 3) -> str:
    names = ", ".join(r.test for r in regressions[:shown])
    more = f" (+{len(regressions) - shown} more)" if len(regressions) > shown else ""
    return f"{count(len(regressions), 'regression')}: {names}{more}"
