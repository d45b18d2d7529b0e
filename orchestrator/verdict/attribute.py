"""Per-test attribution: for each regressing test of a cell, the axis change(s) that
explain it, found through the cell's single-axis neighbours that ran.

A test failing in cell X is explained by the change of axis *a* when a cell differing
from X in *a* alone ran it without failing (the closest such value is the change's
start): moving *a* to X's value breaks it. Explained by one axis: that change. By
several: each change alone keeps it passing, their combination breaks it. By none (it
fails in every neighbour, or no neighbour ran it): nothing explains it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from orchestrator.models import ABSENT, FAILING, RAN
from orchestrator.verdict.clusters import Cluster
from orchestrator.verdict.model import CellVerdict, Change, TestMatrix
from orchestrator.verdict.order import sorted_values
from orchestrator.verdict.words import count


@dataclass(frozen=True)
class Attribution:
    """Regressions of one cell that one change (or one combination, or nothing)
    explains, and their most common signatures."""

    changes: tuple[Change, ...]  # (): nothing explains them; 2+: the combination
    neighbours: tuple[str, ...]  # the cells that show it, one per change
    tests: tuple[str, ...]
    signatures: tuple[str, ...]  # most tests first

    @property
    def cause(self) -> str:
        """``urllib3 1.26.20 -> 2.2.3``, ``the combination of ...`` or ``nothing``."""
        if not self.changes:
            return "nothing"
        if len(self.changes) == 1:
            return self.changes[0].text
        return "the combination of " + " and ".join(c.text for c in self.changes)

    def phrase(self, first: bool) -> str:
        """``140 regressions from urllib3 1.26.20 -> 2.2.3`` (``1 from ...`` after the
        first), or ``2 that nothing explains``."""
        n = count(len(self.tests), "regression") if first else str(len(self.tests))
        return f"{n} that nothing explains" if not self.changes else f"{n} from {self.cause}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "cause": self.cause,
            "neighbours": list(self.neighbours),
            "tests": list(self.tests),
            "signatures": list(self.signatures),
        }


def attribute(
    cell: CellVerdict, ranked: Sequence[CellVerdict], matrix: TestMatrix
) -> tuple[Attribution, ...]:
    """The regressions of ``cell`` grouped by what explains them: the largest group
    first, "nothing explains" last."""
    if not cell.regressions:
        return ()
    neighbours = _neighbours(cell, ranked)
    groups: dict[tuple[str, ...], list[str]] = {}
    by_id = {n.id: n for cells in neighbours.values() for n in cells}
    for regression in cell.regressions:
        test = regression.test
        passing = (
            next((n for n in cells if matrix.outcome(test, n.id) not in _NOT_PASSING), None)
            for cells in neighbours.values()
        )
        groups.setdefault(tuple(n.id for n in passing if n is not None), []).append(test)
    found = [
        Attribution(
            changes=tuple(_change(cell, by_id[n]) for n in explaining),
            neighbours=explaining,
            tests=tuple(tests),
            signatures=_signatures(tests, cell.clusters),
        )
        for explaining, tests in groups.items()
    ]
    return tuple(sorted(found, key=lambda a: (not a.changes, -len(a.tests))))


_NOT_PASSING = (ABSENT, *FAILING)


def _neighbours(cell: CellVerdict, ranked: Sequence[CellVerdict]) -> dict[str, list[CellVerdict]]:
    """Per axis (in the cell's order), the cells that differ from ``cell`` in that axis
    alone and ran their tests with per-test data, closest value first."""
    by_axis: dict[str, list[CellVerdict]] = {}
    for other in ranked:
        if other.id == cell.id or other.status not in RAN or not other.per_test:
            continue
        changed = [a for a in {*cell.axes, *other.axes} if cell.axes.get(a) != other.axes.get(a)]
        if len(changed) == 1:
            by_axis.setdefault(changed[0], []).append(other)
    order = list(cell.axes)
    found = {}
    for axis in sorted(by_axis, key=lambda a: order.index(a) if a in order else len(order)):
        scale = sorted_values(c.axes[axis] for c in ranked if axis in c.axes)
        value = cell.axes.get(axis, "")
        found[axis] = sorted(by_axis[axis], key=partial(_distance, axis, value, scale))
    return found


def _distance(axis: str, value: str, scale: list[str], other: CellVerdict) -> tuple[int, bool, int]:
    """How many steps ``other``'s value of ``axis`` is from ``value``; at equal steps a
    lower value first (an upgrade reads as the change), then by rank."""
    there = other.axes.get(axis, "")
    if value in scale and there in scale:
        steps = scale.index(there) - scale.index(value)
        return (abs(steps), steps > 0, other.rank)
    return (len(scale), True, other.rank)


def _change(cell: CellVerdict, neighbour: CellVerdict) -> Change:
    axis = next(
        a for a in {*cell.axes, *neighbour.axes} if cell.axes.get(a) != neighbour.axes.get(a)
    )
    return Change(axis, neighbour.axes.get(axis, ""), cell.axes.get(axis, ""))


def _signatures(tests: Sequence[str], clusters: Sequence[Cluster]) -> tuple[str, ...]:
    wanted = set(tests)
    counted = [(sum(t in wanted for t in c.tests), c.signature) for c in clusters]
    return tuple(s for n, s in sorted(counted, key=lambda x: -x[0]) if n)


def by_signature(clusters: Sequence[Cluster]) -> Mapping[str, str]:
    """test -> its signature, from a cell's clusters."""
    return {test: c.signature for c in clusters for test in c.tests}
