"""The HTML report: one self-contained file (inline CSS and JavaScript, no external
URL of any kind) with the verdict on top, a heat-map grid of cells - click one to
see its failing tests, log tail and resolved packages - and a table of every test
that fails somewhere, per cell.

Everything from results.json is data: the template autoescapes it (after
:func:`orchestrator.sanitize.clean` drops control characters from every value it
shows), and the copy the script reads is JSON with ``<``, ``>``, ``&`` and ``'``
escaped and everything outside ASCII as ``\\u`` escapes (jinja2's ``tojson``), so
neither a test id nor a log line can close the script element, inject markup or
put a control character into the file. The script builds the detail panel with
``textContent`` only, never ``innerHTML``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from orchestrator.models import ABSENT, ERROR, FAILED, FLAKY, PASSED, SKIPPED, CellResult
from orchestrator.report import (
    PAST_EOL,
    Grid,
    Results,
    flaky_tests,
    kind,
    layout,
    legend,
    pre_existing_tests,
    short_counts,
    summary,
    symbol,
    tags,
)
from orchestrator.results import coerce
from orchestrator.sanitize import clean
from orchestrator.verdict import Blocker, CellVerdict, Verdict, count
from orchestrator.verdict.clusters import UNKNOWN

TEMPLATE = "report.html.j2"
# Terminal colour codes in log tails: shown as boxes in a browser, so dropped.
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# How each per-test outcome shows in the test x cell table.
OUTCOME_SYMBOLS = {
    PASSED: "✓",
    FAILED: "✗",
    ERROR: "!",
    SKIPPED: "s",
    FLAKY: "~",
    ABSENT: "",
}


def render(results: Results, verdict: Verdict) -> str:
    """The whole report as one HTML document."""
    return _template().render(**context(results, verdict))


def _shown(value: object) -> object:
    """Every ``{{ value }}`` the template prints: without control characters (markup
    made here, such as the ``tojson`` data, is already free of them)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return clean(value, multiline=True)


@cache
def _template() -> jinja2.Template:
    source = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_shown)
    return env.from_string(source)


def context(results: Results, verdict: Verdict) -> dict[str, Any]:
    """Everything the template shows, already decided here so the template only lays
    it out."""
    run = coerce(results)
    raw = run.by_id
    grids, unplaced = layout(verdict)
    recommended = verdict.cell(verdict.recommended) if verdict.recommended else None
    return {
        "verdict": verdict,
        "updated": run.updated,
        "matrix": run.matrix,
        "complete": run.complete,
        "recommended": recommended,
        "safe_count": count(len(verdict.safe), "safe cell"),
        "grids": [_grid(grid, verdict, raw) for grid in grids],
        "unplaced": [_cell(verdict.cell(i), verdict, raw.get(i)) for i in unplaced],
        "legend": legend(),
        "blockers": [_blocker(b, verdict) for b in verdict.blockers],
        "causes": _causes(verdict),
        "first_bad": summary.first_bad_lines(verdict),
        "unsupported": summary.unsupported_line(verdict),
        "table": _test_table(verdict),
        "flaky": flaky_tests(verdict),
        "pre_existing": pre_existing_tests(verdict),
        "data": _data(verdict, raw),
    }


def _grid(grid: Grid, verdict: Verdict, raw: Mapping[str, CellResult]) -> dict[str, Any]:
    columns = grid.columns or ("",)

    def shown(cell_id: str | None) -> dict[str, Any] | None:
        return None if cell_id is None else _cell(verdict.cell(cell_id), verdict, raw.get(cell_id))

    return {
        "title": grid.title,
        "corner": grid.corner,
        "columns": columns,
        "rows": [
            {"value": row, "cells": [shown(grid.at(row, column)) for column in columns]}
            for row in grid.rows
        ],
    }


def _cell(cell: CellVerdict, verdict: Verdict, raw: CellResult | None) -> dict[str, Any]:
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
    signatures = {test: cell.signature_of(test) for test in cell.failing}
    return {
        "id": cell.id,
        "label": cell.label + (f" · {PAST_EOL}" if cell.unsupported else ""),
        "kind": kind(cell, verdict),
        "symbol": symbol(cell.status),
        "what": summary.what(blocker, cell),
        "regressions": cell.regressions,
        "failing": cell.failing if not cell.regressions and cell.status != PASSED else (),
        "signatures": {t: s for t, s in signatures.items() if s != UNKNOWN},
        "collapsed": len(cell.regressions or cell.failing) > summary.FEW,
        "groups": [
            {"heading": g.heading, "tests": g.tests, "where": g.where}
            for g in summary.groups(blocker, cell)
        ],
        "explanation": blocker.explanation,
    }


def _causes(verdict: Verdict) -> list[dict[str, Any]]:
    if not summary.informative(verdict):
        return []
    return [
        {
            "signature": cause.signature,
            "line": summary.cause_line(cause, verdict, cells=6),
            "tests": cause.tests,
            "cells": cause.cells,
            "in_baseline": cause.in_baseline,
        }
        for cause in verdict.causes
    ]


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


def _data(verdict: Verdict, raw: Mapping[str, CellResult]) -> dict[str, Any]:
    """What the script needs to fill the detail panel, by cell id."""
    explanations = {b.cell: b.explanation for b in verdict.blockers}
    cells = {}
    for cell in verdict.cells:
        cells[cell.id] = {
            **cell.to_dict(),
            "kind": kind(cell, verdict),
            "symbol": symbol(cell.status),
            **_details(raw.get(cell.id)),
            "explanation": explanations.get(cell.id, ""),
        }
    return {"recommended": verdict.recommended, "baseline": verdict.baseline, "cells": cells}


def _details(result: CellResult | None) -> dict[str, Any]:
    """A cell's result as the detail panel shows it (all empty without one)."""
    if result is None:
        empty: dict[str, Any] = {"counts": {}, "packages": {}, "logs": {}, "message": ""}
        return {**empty, "duration": None, "exit_code": None, "image": None}
    return {
        "counts": asdict(result.counts),
        "duration": round(result.duration, 3),
        "exit_code": result.exit_code,
        "image": result.image,
        "message": ANSI.sub("", result.message),
        "packages": dict(result.packages),
        "logs": dict(result.logs),
    }
