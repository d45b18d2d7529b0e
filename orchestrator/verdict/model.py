"""What a verdict is made of: frozen data, each with the ``to_dict`` the JSON report
(schema ``oxzep7.verdict/1``, ``orchestrator/resources/verdict.schema.json``) writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from orchestrator.models import ABSENT, FAILING, FLAKY
from orchestrator.results import FirstBad
from orchestrator.verdict.clusters import Cause, Cluster
from orchestrator.verdict.words import describe

if TYPE_CHECKING:
    from orchestrator.verdict.attribute import Attribution

SCHEMA = "oxzep7.verdict/1"
MISSING = "missing"  # the baseline status of a run whose plan had no baseline cell


@dataclass(frozen=True)
class Exposure:
    """Known vulnerabilities of the cells' resolved package sets, from an advisory source
    (checked outside the verdict, which stays a pure function of its inputs)."""

    source: str  # which advisory source answered, e.g. "advisory directory /srv/osv"
    # cell id -> what affects it, one line each: "requests 2.25.1: PYSEC-2023-74 (fixed in 2.31.0)"
    vulnerable: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # cell id -> "name version" of its packages the source could not answer for
    unknown: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    allow: bool = True  # run.allow_vulnerable: false makes an affected cell unsafe

    def text(self, cell_id: str) -> str:
        """``known vulnerabilities: ...`` for an affected cell, else ""."""
        found = self.vulnerable.get(cell_id, ())
        return f"known vulnerabilities: {'; '.join(found)}" if found else ""


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
            if any(o in FAILING or o == FLAKY for o in self.outcomes[test].values())
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
    clusters: tuple[Cluster, ...] = ()  # failing tests by signature, largest first
    end_of_life: str = ""  # its Python's end-of-life month ("2025-10"), "" when unknown
    unsupported: bool = False  # that month is over (on the day of the verdict)

    @property
    def label(self) -> str:
        return describe(self.axes) or self.id

    def signature_of(self, test: str) -> str:
        """The signature of a failing test's cluster ("" when it has none)."""
        return self._signatures.get(test, "")

    @cached_property
    def _signatures(self) -> Mapping[str, str]:
        return {test: c.signature for c in self.clusters for test in c.tests}

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
            "clusters": [c.to_dict() for c in self.clusters],
            "end_of_life": self.end_of_life,
            "unsupported": self.unsupported,
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
    attributions: tuple[Attribution, ...] = ()  # each regression's explaining change

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
            "attributions": [a.to_dict() for a in self.attributions],
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
    causes: tuple[Cause, ...] = ()  # failure signatures across cells, new ones first
    first_bad: tuple[FirstBad, ...] = ()  # what ``oxzep7 bisect`` found
    require_supported: bool = False  # run.require_supported: past end-of-life is not picked

    def cell(self, cell_id: str) -> CellVerdict:
        return self._by_id[cell_id]

    @cached_property
    def _by_id(self) -> Mapping[str, CellVerdict]:
        return MappingProxyType({cell.id: cell for cell in self.cells})

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
            "causes": [c.to_dict() for c in self.causes],
            "first_bad": [f.to_dict() for f in self.first_bad],
            "require_supported": self.require_supported,
            "unsupported": [c.id for c in self.cells if c.unsupported],
        }
