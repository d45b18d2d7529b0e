"""The HTML report: one self-contained file (inline CSS and JavaScript, no external
URL of any kind) with the verdict on top, a heat-map grid of cells - click one to
see its failing tests, log tail and resolved packages - and a table of every test
that fails somewhere, per cell.

Everything from results.json is data: the template autoescapes it, and the copy the
script reads is JSON with ``<``, ``>``, ``&`` and ``'`` escaped (jinja2's ``tojson``),
so neither a test id nor a log line can close the script element or inject markup.
The script builds the detail panel with ``textContent`` only, never ``innerHTML``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from orchestrator.report import (
    cells_by_id,
    count,
    flaky_tests,
    kind,
    layout,
    legend,
    pre_existing_tests,
    short_counts,
    symbol,
    tags,
)
from orchestrator.verdict.judge import Blocker, CellVerdict, Verdict

TEMPLATE = "report.html.j2"
# Terminal colour codes in log tails: shown as boxes in a browser, so dropped.
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# How each per-test outcome shows in the test x cell table.
OUTCOME_SYMBOLS = {
    "passed": "✓",
    "failed": "✗",
    "error": "!",
    "skipped": "s",
    "flaky": "~",
    "absent": "",
}


def render(results: Mapping[str, Any], verdict: Verdict) -> str:
    """The whole report as one HTML document."""
    return _template().render(**context(results, verdict))


@cache
def _template() -> jinja2.Template:
    source = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source)


def context(results: Mapping[str, Any], verdict: Verdict) -> dict[str, Any]:
    """Everything the template shows, already decided here so the template only lays
    it out."""
    raw = cells_by_id(results)
    grids, unplaced = layout(verdict)
    recommended = verdict.cell(verdict.recommended) if verdict.recommended else None
    return {
        "verdict": verdict,
        "updated": results.get("updated", ""),
        "matrix": results.get("matrix", ""),
        "complete": results.get("complete", True),
        "recommended": recommended,
        "safe_count": count(len(verdict.safe), "safe cell"),
        "grids": [_grid(grid, verdict, raw) for grid in grids],
        "unplaced": [_cell(verdict.cell(i), verdict, raw.get(i)) for i in unplaced],
        "legend": legend(),
        "blockers": [_blocker(b, verdict) for b in verdict.blockers],
        "table": _test_table(verdict),
        "flaky": flaky_tests(verdict),
        "pre_existing": pre_existing_tests(verdict),
        "data": _data(verdict, raw),
    }


def _grid(grid: Any, verdict: Verdict, raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    columns = grid.columns or ("",)
    return {
        "title": grid.title,
        "corner": grid.corner,
        "columns": columns,
        "rows": [
            {
                "value": row,
                "cells": [
                    None
                    if grid.at(row, column) is None
                    else _cell(
                        verdict.cell(grid.at(row, column)), verdict, raw.get(grid.at(row, column))
                    )
                    for column in columns
                ],
            }
            for row in grid.rows
        ],
    }


def _cell(cell: CellVerdict, verdict: Verdict, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "id": cell.id,
        "label": cell.label,
        "status": cell.status,
        "kind": kind(cell, verdict),
        "symbol": symbol(cell.status),
        "counts": short_counts(raw),
        "tags": tags(cell, verdict),
    }


def _blocker(blocker: Blocker, verdict: Verdict) -> dict[str, Any]:
    cell = verdict.cell(blocker.cell)
    return {
        "id": cell.id,
        "label": cell.label,
        "kind": kind(cell, verdict),
        "symbol": symbol(cell.status),
        "what": count(len(cell.regressions), "regression") if cell.regressions else blocker.problem,
        "regressions": cell.regressions,
        "failing": cell.failing if not cell.regressions and cell.status != "passed" else (),
        "explanation": blocker.explanation,
    }


def _test_table(verdict: Verdict) -> dict[str, Any]:
    """Tests failing (or flaky) anywhere x the cells that ran, the baseline first."""
    cells = sorted(verdict.matrix.cells, key=lambda c: c != verdict.baseline)
    regressions = {c: {r.test for r in verdict.cell(c).regressions} for c in cells}
    rows = []
    for test in verdict.matrix.failing_anywhere():
        outcomes = []
        for cell in cells:
            outcome = verdict.matrix.outcome(test, cell)
            regressed = test in regressions[cell]
            outcomes.append(
                {
                    "symbol": OUTCOME_SYMBOLS.get(outcome, "?"),
                    "outcome": outcome,
                    "regression": regressed,
                    "title": f"{cell}: {outcome}{' (regression)' if regressed else ''}",
                }
            )
        rows.append({"test": test, "outcomes": outcomes})
    return {"cells": [{"id": c, "baseline": c == verdict.baseline} for c in cells], "rows": rows}


def _data(verdict: Verdict, raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the script needs to fill the detail panel, by cell id."""
    explanations = {b.cell: b.explanation for b in verdict.blockers}
    cells = {}
    for cell in verdict.cells:
        entry = raw.get(cell.id, {})
        cells[cell.id] = {
            **cell.to_dict(),
            "kind": kind(cell, verdict),
            "symbol": symbol(cell.status),
            "counts": entry.get("counts") or {},
            "duration": entry.get("duration"),
            "exit_code": entry.get("exit_code"),
            "image": entry.get("image"),
            "message": ANSI.sub("", entry.get("message") or ""),
            "packages": entry.get("packages") or {},
            "logs": entry.get("logs") or {},
            "explanation": explanations.get(cell.id, ""),
        }
    return {"recommended": verdict.recommended, "baseline": verdict.baseline, "cells": cells}
