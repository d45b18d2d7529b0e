"""What every report says about failures, bounded: the causes (failure clusters
across cells) with a few tests each, and each unsafe cell's regressions grouped by
signature and by the change that explains them. The formats lay these out; none of
them lists hundreds of test ids where a reader wants the few causes behind them.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.verdict import Blocker, CellVerdict, Verdict, count
from orchestrator.verdict.clusters import UNKNOWN, Cause

FEW = 5  # a cell with at most this many regressions lists them all
SHOWN = 3  # tests shown per cluster, cells per cause


@dataclass(frozen=True)
class Group:
    """Some tests under one heading: ``400 tests: TypeError: ...`` and the first few."""

    heading: str
    tests: tuple[str, ...]  # all of them; formats show ``shown`` and say ``more``
    where: str = ""

    def shown(self, limit: int = SHOWN) -> tuple[str, ...]:
        return self.tests[:limit]

    def more(self, limit: int = SHOWN) -> int:
        return max(0, len(self.tests) - limit)


def informative(verdict: Verdict) -> bool:
    """Whether the run recorded any failure message (older results did not)."""
    return any(c.signature != UNKNOWN for c in verdict.causes)


def cause_line(cause: Cause, verdict: Verdict, cells: int = SHOWN) -> str:
    """``400 tests in 20 cells (py3.13-x, py3.12-x, ... +17); raised at x.py:3``."""
    order = {c.id: c.rank for c in verdict.cells}
    ids = sorted(cause.cells, key=lambda c: order.get(c, 0))
    shown = ", ".join(ids[:cells]) + (f" +{len(ids) - cells}" if len(ids) > cells else "")
    where = f"; raised at {cause.where}" if cause.where else ""
    base = "; fails in the baseline too" if cause.in_baseline else ""
    tests = count(len(cause.tests), "test") if cause.tests else "no per-test data"
    return f"{tests} in {count(len(ids), 'cell')} ({shown}){where}{base}"


def what(blocker: Blocker, cell: CellVerdict) -> str:
    return count(len(cell.regressions), "regression") if cell.regressions else blocker.problem


def listed(cell: CellVerdict) -> tuple[tuple[str, str], ...]:
    """(test, note) of a cell with few regressions (or, without regressions, its
    failing tests): each is listed by name."""
    if cell.regressions:
        if len(cell.regressions) > FEW:
            return ()
        return tuple((r.test, r.note) for r in cell.regressions)
    if cell.failing and cell.status != "passed" and len(cell.failing) <= FEW:
        return tuple((t, "") for t in cell.failing)
    return ()


def groups(blocker: Blocker, cell: CellVerdict) -> tuple[Group, ...]:
    """A cell with many regressions: its regressions by signature (largest first),
    then those nothing explains."""
    tests = [r.test for r in cell.regressions] or (
        list(cell.failing) if cell.status != "passed" else []
    )
    if len(tests) <= FEW:
        return ()
    wanted = set(tests)
    found = []
    unexplained = [a for a in blocker.attributions if not a.changes]
    if unexplained and len(blocker.attributions) > 1:
        mine = unexplained[0].tests
        found.append(Group(f"{count(len(mine), 'test')} nothing explains", mine))
    for cluster in cell.clusters:
        mine = tuple(t for t in cluster.tests if t in wanted)
        if mine:
            found.append(
                Group(f"{count(len(mine), 'test')}: {cluster.signature}", mine, cluster.where)
            )
    return tuple(found)


def tests_text(group: Group, limit: int = SHOWN) -> str:
    more = f" (+{group.more(limit)} more)" if group.more(limit) else ""
    return ", ".join(group.shown(limit)) + more


def first_bad_lines(verdict: Verdict) -> list[str]:
    """One sentence per bisected cluster."""
    return [f"{f.cell}: {f.text}" for f in verdict.first_bad]


def unsupported_line(verdict: Verdict) -> str:
    """Which interpreters of the run are past their end of life, or ""."""
    past = {c.axes.get("python", ""): c.end_of_life for c in verdict.cells if c.unsupported}
    if not past:
        return ""
    each = ", ".join(f"{p} (since {eol})" for p, eol in sorted(past.items()))
    rule = (
        "kept out of the recommendation (run.require_supported)"
        if verdict.require_supported
        else "set run.require_supported: true to keep them out of the recommendation"
    )
    return f"Past end-of-life, no security fixes: Python {each}; {rule}."
