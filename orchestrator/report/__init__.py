"""Reports on a run: the same :class:`~orchestrator.verdict.Verdict` and
:class:`~orchestrator.results.RunResults` rendered for a terminal, a pull request
(Markdown), a browser (one self-contained HTML file), machines (JSON) and CI test
dashboards (merged JUnit XML).

``render(fmt, results, verdict)`` is the one entry point; this module also holds
what every format shares: the grid layout of cells and the words and symbols for
a cell's state, so the formats cannot drift apart. Every format shows values from
the results through :func:`orchestrator.sanitize.clean` or its own escaping, so no
control character reaches a terminal, a browser or an XML parser raw.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.models import (
    ERROR,
    FAILED,
    INFEASIBLE,
    NOT_RUN,
    PASSED,
    TIMEOUT,
    CellResult,
    state_word,
)
from orchestrator.results import RunResults, coerce
from orchestrator.verdict import CellVerdict, Verdict, compute, count, sorted_values

Results = RunResults | Mapping[str, Any]  # what render takes: typed, or a results.json dict

FORMATS = ("terminal", "markdown", "html", "json", "junit")
_MODULES = {
    "terminal": "terminal",
    "markdown": "markdown",
    "html": "html",
    "json": "json_report",
    "junit": "junit_report",
}

# Single-width characters (no emoji) that common fonts (DejaVu) have, so grids stay
# aligned in a terminal and nothing renders as a missing-glyph box.
SYMBOLS = {
    PASSED: "✓",
    FAILED: "✗",
    ERROR: "!",
    TIMEOUT: "◷",
    INFEASIBLE: "∅",
    NOT_RUN: "○",
}
RECOMMENDED = "★"
PAST_EOL = "past EOL"  # the tag of a cell whose Python gets no more security fixes

# The verdict classes of a cell (see ``kind``): they decide its colour in every format.
KINDS = ("recommended", "safe", "regressed", "unsafe", "broken", "infeasible", "not-run")


class _Format(Protocol):
    def render(self, results: Results, verdict: Verdict) -> str: ...


def render(fmt: str, results: Results, verdict: Verdict | None = None) -> str:
    """The report in format ``fmt`` (one of FORMATS) as text."""
    if fmt not in _MODULES:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    # Imported here: the format modules import this package for the shared helpers.
    module: _Format = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    run = coerce(results)
    return module.render(run, verdict if verdict is not None else compute(run))


# --------------------------------------------------------------------------- grid layout


@dataclass(frozen=True)
class Grid:
    """Cells laid out as rows (values of one axis) x columns (values of another), for
    one combination of the remaining axes (``fixed``)."""

    rows_axis: str
    columns_axis: str | None  # None when the matrix has a single axis
    fixed: Mapping[str, str]
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    positions: Mapping[tuple[str, str], str]  # (row value, column value) -> cell id

    @property
    def title(self) -> str:
        """``requests 2.31``: what the other axes are fixed to ("" when nothing is)."""
        return ", ".join(f"{axis} {value or '-'}" for axis, value in self.fixed.items())

    @property
    def corner(self) -> str:
        """The header of the row labels, e.g. ``python \\ click``."""
        return f"{self.rows_axis} \\ {self.columns_axis}" if self.columns_axis else self.rows_axis

    def at(self, row: str, column: str) -> str | None:
        return self.positions.get((row, column))


def layout(
    verdict: Verdict, rows: str | None = None, columns: str | None = None
) -> tuple[list[Grid], list[str]]:
    """The grids for a verdict (one per combination of the axes that are neither rows
    nor columns) and the ids of cells that fit no grid (a not-run cell whose axes are
    unknown). Rows default to python, columns to the first dependency axis."""
    axes = list(verdict.axes)
    if not axes:
        return [], [c.id for c in verdict.cells]
    rows = rows if rows in axes else axes[0]
    others = [a for a in axes if a != rows]
    columns = columns if columns in others else (others[0] if others else None)
    rest = [a for a in others if a != columns]

    by_group: dict[tuple[str, ...], dict[tuple[str, str], str]] = {}
    unplaced = []
    for cell in sorted(verdict.cells, key=lambda c: c.rank, reverse=True):
        if not cell.axes:
            unplaced.append(cell.id)
            continue
        group = tuple(cell.axes.get(a, "") for a in rest)
        spot = (cell.axes.get(rows, ""), cell.axes.get(columns, "") if columns else "")
        if spot in by_group.setdefault(group, {}):
            unplaced.append(cell.id)  # same axis values as another cell: should not happen
            continue
        by_group[group][spot] = cell.id

    grids = []
    for group in by_group:
        positions = by_group[group]
        grids.append(
            Grid(
                rows_axis=rows,
                columns_axis=columns,
                fixed=dict(zip(rest, group, strict=True)),
                rows=tuple(sorted_values(r for r, _ in positions)),
                columns=tuple(sorted_values(c for _, c in positions)),
                positions=positions,
            )
        )
    return _sort_groups(grids), unplaced


def _sort_groups(grids: list[Grid]) -> list[Grid]:
    """Grids ordered by their fixed values, lowest first (as rows and columns are)."""
    if not grids or not grids[0].fixed:
        return grids
    axes = list(grids[0].fixed)
    order = {axis: sorted_values(g.fixed[axis] for g in grids) for axis in axes}
    return sorted(grids, key=lambda g: [order[a].index(g.fixed[a]) for a in axes])


# --------------------------------------------------------------------------- shared words


def symbol(status: str) -> str:
    return SYMBOLS.get(status, "?")


def status_word(status: str) -> str:
    return state_word(status)


def kind(cell: CellVerdict, verdict: Verdict) -> str:
    """The verdict class of a cell, which decides its colour everywhere:
    recommended, safe, regressed, unsafe (failed, cannot compare), broken (error or
    timeout), infeasible, not-run."""
    if cell.id == verdict.recommended:
        return "recommended"
    if cell.safe:
        return "safe"
    if cell.status in (ERROR, TIMEOUT, INFEASIBLE, NOT_RUN):
        return status_kind(cell.status)
    return "regressed" if cell.regressions else "unsafe"


def status_kind(status: str) -> str:
    """The class a bare status has before any verdict (progress lines during a run):
    passed is safe, failed unsafe, error and timeout broken."""
    return {
        PASSED: "safe",
        FAILED: "unsafe",
        ERROR: "broken",
        TIMEOUT: "broken",
        INFEASIBLE: "infeasible",
        NOT_RUN: "not-run",
    }.get(status, "unsafe")


def short_counts(raw: CellResult | None) -> str:
    """``8/9`` (passed of run tests), ``exit 1`` without per-test data, "" if not run."""
    if raw is None or (raw.status in (INFEASIBLE, ERROR) and not raw.junit):
        return ""
    if not raw.junit:
        return f"exit {raw.exit_code}" if raw.exit_code is not None else ""
    counts = raw.counts
    return f"{counts.passed}/{counts.passed + counts.failed + counts.errors}"


def tags(cell: CellVerdict, verdict: Verdict) -> list[str]:
    """Short words for a grid cell: recommended, baseline, regressions, and so on."""
    found = []
    if cell.id == verdict.recommended:
        found.append(f"{RECOMMENDED} recommended")
    if cell.baseline:
        found.append("baseline")
    if cell.regressions:
        found.append(count(len(cell.regressions), "regression"))
    elif cell.status in (ERROR, TIMEOUT, INFEASIBLE, NOT_RUN):
        found.append(status_word(cell.status))
    elif not cell.safe:
        found.append("unsafe")
    if cell.pre_existing and not cell.baseline:
        found.append(f"{len(cell.pre_existing)} pre-existing")
    if cell.flaky:
        found.append(f"{len(cell.flaky)} flaky")
    if cell.unsupported:
        found.append(PAST_EOL)
    return found


def grid_text(cell: CellVerdict, raw: CellResult | None, verdict: Verdict) -> str:
    """One line for a grid cell: ``✗ 8/9 · 1 regression``."""
    head = " ".join(p for p in (symbol(cell.status), short_counts(raw)) if p)
    return " · ".join([head, *tags(cell, verdict)])


def flaky_tests(verdict: Verdict) -> dict[str, list[str]]:
    """Flaky tests and the cells they were flaky in."""
    return _cells_by_test(verdict, lambda cell: cell.flaky)


def pre_existing_tests(verdict: Verdict) -> dict[str, list[str]]:
    """Tests failing in the baseline, and the cells where they fail too."""
    return _cells_by_test(verdict, lambda cell: cell.pre_existing)


def _cells_by_test(
    verdict: Verdict, tests_of: Callable[[CellVerdict], Sequence[str]]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for cell in verdict.cells:
        for test in tests_of(cell):
            found.setdefault(test, []).append(cell.id)
    return found


def legend() -> Sequence[tuple[str, str]]:
    """(symbol, meaning) pairs for the grid legend."""
    return [(SYMBOLS[s], status_word(s)) for s in SYMBOLS] + [(RECOMMENDED, "recommended")]
