"""The Markdown report, to paste into a pull request or an issue: the verdict first,
then the grid as a table, the regressions with their culprits, flaky tests and
pre-existing failures.

Data goes into code spans (test ids may hold ``<``, ``*``, ``|`` or backticks); the
few plain-text fields are escaped so nothing in them is read as Markdown or HTML.
"""

from __future__ import annotations

import re

from orchestrator.models import PASSED, CellResult
from orchestrator.report import (
    Results,
    flaky_tests,
    grid_text,
    layout,
    legend,
    pre_existing_tests,
)
from orchestrator.results import RunResults, coerce
from orchestrator.sanitize import clean
from orchestrator.verdict import Blocker, Verdict, count

_SPECIAL = re.compile(r"([\\`*_\[\]<|~])")


def render(results: Results, verdict: Verdict) -> str:
    """The whole report as Markdown text."""
    parts = [
        f"## oxzep7: {text(verdict.name)}",
        _summary(verdict),
        *(f"> **Warning:** {text(w)}" for w in verdict.warnings),
        _verdict(verdict),
        _grids(coerce(results), verdict),
        _flaky(verdict),
        _pre_existing(verdict),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def code(value: str) -> str:
    """``value`` as an inline code span, whatever backticks it holds; pipes are escaped
    because GitHub splits table rows on them even inside code."""
    value = clean(value).replace("|", "\\|")
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def text(value: str) -> str:
    """Plain text with the characters escaped that could start emphasis, code, links,
    HTML or a table cell (the rest read as themselves where they appear mid-line)."""
    return _SPECIAL.sub(r"\\\1", clean(value))


def _summary(verdict: Verdict) -> str:
    base = code(verdict.baseline) if verdict.baseline else "none"
    return (
        f"Run {code(verdict.run_id)} · baseline {base} · {count(len(verdict.cells), 'cell')} · "
        f"{count(len(verdict.safe), 'safe cell')}"
    )


def _verdict(verdict: Verdict) -> str:
    if verdict.recommended is None:
        lines = [f"### {text(verdict.headline)}", "", "Why each cell is not safe:", ""]
    else:
        cell = verdict.cell(verdict.recommended)
        notes = f" ({text('; '.join(cell.notes))})" if cell.notes else ""
        lines = [f"### Recommended: {code(cell.id)} ({text(cell.label)}){notes}"]
        if verdict.blockers:
            lines += ["", "Higher combinations that are not safe:", ""]
    for blocker in verdict.blockers:
        lines += _blocker(blocker, verdict)
    return "\n".join(lines)


def _blocker(blocker: Blocker, verdict: Verdict) -> list[str]:
    cell = verdict.cell(blocker.cell)
    what = count(len(cell.regressions), "regression") if cell.regressions else blocker.problem
    lines = [f"- **{code(cell.id)}** ({text(cell.label)}): {text(what)}"]
    for regression in cell.regressions:
        note = f" — {text(regression.note)}" if regression.note else ""
        lines.append(f"  - {code(regression.test)} {regression.outcome}{note}")
    if not cell.regressions and cell.failing and cell.status != PASSED:
        lines += [f"  - {code(test)} failing" for test in cell.failing]
    lines.append(f"  - *{text(blocker.explanation)}*")
    return lines


def _grids(results: RunResults, verdict: Verdict) -> str:
    raw = results.by_id
    grids, unplaced = layout(verdict)
    blocks = ["### Matrix"]
    for grid in grids:
        columns = grid.columns or ("",)
        header = [text(grid.corner), *(code(c) if c else "cell" for c in columns)]
        rows = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
        for row in grid.rows:
            texts = []
            for column in columns:
                cell_id = grid.at(row, column)
                texts.append(
                    "-" if cell_id is None else _grid_cell(verdict, cell_id, raw.get(cell_id))
                )
            rows.append(f"| {code(row)} | {' | '.join(texts)} |")
        title = f"**{text(grid.title)}**\n\n" if grid.title else ""
        blocks.append(title + "\n".join(rows))
    if unplaced:
        blocks.append("Not placed in a grid: " + ", ".join(code(c) for c in unplaced))
    blocks.append(text("  ".join(f"{s} {word}" for s, word in legend())))
    return "\n\n".join(blocks)


def _grid_cell(verdict: Verdict, cell_id: str, raw: CellResult | None) -> str:
    cell = verdict.cell(cell_id)
    label = grid_text(cell, raw, verdict)
    return f"**{text(label)}**" if cell.id == verdict.recommended else text(label)


def _flaky(verdict: Verdict) -> str:
    flaky = flaky_tests(verdict)
    if not flaky:
        return ""
    lines = [
        "### Flaky tests",
        "",
        "Failed, then passed on a retry; never counted as regressions.",
        "",
    ]
    lines += [f"- {code(t)} in {', '.join(code(c) for c in cells)}" for t, cells in flaky.items()]
    return "\n".join(lines)


def _pre_existing(verdict: Verdict) -> str:
    pre = pre_existing_tests(verdict)
    if not pre:
        return ""
    lines = [
        "### Pre-existing failures",
        "",
        f"Failing in the baseline {code(verdict.baseline or '')} too; not regressions.",
        "",
    ]
    lines += [f"- {code(t)} ({count(len(cells), 'cell')})" for t, cells in pre.items()]
    return "\n".join(lines)
