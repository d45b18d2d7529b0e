"""The Markdown report, to paste into a pull request or an issue: the verdict first,
then the grid as a table, the regressions with their culprits, flaky tests and
pre-existing failures.

Data goes into code spans (test ids may hold ``<``, ``*``, ``|`` or backticks); the
few plain-text fields are escaped so nothing in them is read as Markdown or HTML.
"""

from __future__ import annotations

import re

from orchestrator.models import CellResult
from orchestrator.report import (
    PAST_EOL,
    Results,
    flaky_tests,
    grid_text,
    layout,
    legend,
    pre_existing_tests,
    summary,
)
from orchestrator.results import RunResults, coerce
from orchestrator.sanitize import clean
from orchestrator.verdict import Blocker, Verdict, count

_SPECIAL = re.compile(r"([\\`*_\[\]<|~])")


LIMIT = 60_000  # characters; GitHub refuses comments over 65,536
BLOCKERS = 25  # unsafe cells described (the rest are named in report.html)
LISTED = 20  # tests listed per cause, flaky and pre-existing tests listed


def render(results: Results, verdict: Verdict) -> str:
    """The whole report as Markdown text, under LIMIT characters however large the run:
    fewer unsafe cells are described in full until it fits."""
    run = coerce(results)
    blockers, listed = BLOCKERS, LISTED
    while True:
        found = _render(run, verdict, blockers, listed)
        if len(found) < LIMIT or (blockers == 0 and listed == 0):
            return found
        blockers, listed = blockers // 2, listed // 2


def _render(run: RunResults, verdict: Verdict, blockers: int, listed: int) -> str:
    eol = summary.unsupported_line(verdict)
    parts = [
        f"## oxzep7: {text(verdict.name)}",
        _summary(verdict),
        *(f"> **Warning:** {text(w)}" for w in verdict.warnings),
        f"> {text(eol)}" if eol else "",
        *_verdict(verdict, blockers, _causes(verdict, listed)),
        _first_bad(verdict),
        _grids(run, verdict),
        _flaky(verdict, listed),
        _pre_existing(verdict, listed),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _more(n: int, noun: str = "more") -> str:
    return f" (+{n} {noun}: see report.html)" if n > 0 else ""


def _causes(verdict: Verdict, listed: int) -> str:
    if not summary.informative(verdict):
        return ""
    lines = ["### Failure causes", ""]
    for cause in verdict.causes:
        lines.append(f"- {code(cause.signature)}  \n  {text(summary.cause_line(cause, verdict))}")
        if cause.tests and listed:
            shown = ", ".join(code(t) for t in cause.tests[:listed])
            more = _more(len(cause.tests) - listed)
            lines.append(f"  <details><summary>tests</summary>\n\n  {shown}{more}\n  </details>")
    return "\n".join(lines)


def _first_bad(verdict: Verdict) -> str:
    found = summary.first_bad_lines(verdict)
    if not found:
        return ""
    return "\n".join(["### First bad releases", "", *(f"- {text(f)}" for f in found)])


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


def _verdict(verdict: Verdict, shown: int, causes: str) -> tuple[str, str, str]:
    """The headline, the failure causes, and why each higher cell is not safe."""
    if verdict.recommended is None:
        head = f"### {text(verdict.headline)}"
        lines = ["Why each cell is not safe:", ""]
    else:
        cell = verdict.cell(verdict.recommended)
        notes = f" ({text('; '.join(cell.notes))})" if cell.notes else ""
        head = f"### Recommended: {code(cell.id)} ({text(cell.label)}){notes}"
        lines = ["Higher combinations that are not safe:", ""] if verdict.blockers else []
    for blocker in verdict.blockers[:shown]:
        lines += _blocker(blocker, verdict)
    rest = verdict.blockers[shown:]
    if rest:
        lines.append(f"- +{count(len(rest), 'more cell')} not safe: see report.html")
    return head, causes, "\n".join(lines)


def _blocker(blocker: Blocker, verdict: Verdict) -> list[str]:
    cell = verdict.cell(blocker.cell)
    eol = f" · {PAST_EOL}" if cell.unsupported else ""
    what = summary.what(blocker, cell)
    lines = [f"- **{code(cell.id)}** ({text(cell.label)}{eol}): {text(what)}"]
    outcome = {r.test: r.outcome for r in cell.regressions}
    for test, note_text in summary.listed(cell):
        note = f" — {text(note_text)}" if note_text else ""
        lines.append(f"  - {code(test)} {outcome.get(test, 'failing')}{note}")
    for group in summary.groups(blocker, cell):
        shown = ", ".join(code(t) for t in group.shown())
        more = f" (+{group.more()} more)" if group.more() else ""
        lines.append(f"  - {code(group.heading)}: {shown}{more}")
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


def _flaky(verdict: Verdict, listed: int = LISTED) -> str:
    flaky = flaky_tests(verdict)
    if not flaky:
        return ""
    lines = [
        "### Flaky tests",
        "",
        "Failed, then passed on a retry; never counted as regressions.",
        "",
    ]
    items = list(flaky.items())
    lines += [f"- {code(t)} in {', '.join(code(c) for c in cells)}" for t, cells in items[:listed]]
    if len(items) > listed:
        lines.append(f"- +{len(items) - listed} more: see report.html")
    return "\n".join(lines)


def _pre_existing(verdict: Verdict, listed: int = LISTED) -> str:
    pre = pre_existing_tests(verdict)
    if not pre:
        return ""
    lines = [
        "### Pre-existing failures",
        "",
        f"Failing in the baseline {code(verdict.baseline or '')} too; not regressions.",
        "",
    ]
    items = list(pre.items())
    lines += [f"- {code(t)} ({count(len(cells), 'cell')})" for t, cells in items[:listed]]
    if len(items) > listed:
        lines.append(f"- +{len(items) - listed} more: see report.html")
    return "\n".join(lines)
