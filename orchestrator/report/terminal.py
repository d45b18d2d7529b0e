"""The terminal report, the one way results and verdicts look on a terminal: a
table of every cell, compact grids of cells, then the verdict. ``oxzep7 run`` prints
it at its end, ``oxzep7 report`` on demand; progress lines during a run use the
same colours (:data:`STYLES`, by the verdict class of a cell, see ``report.kind``).

Everything is built from rich ``Text`` objects, never markup strings, and every
value from the results goes through :func:`orchestrator.sanitize.clean`: a test id
such as ``[link=...]`` or ``ESC[2J`` prints as the harmless text it is, whatever
the console's markup setting.

``print_terminal`` writes to any rich Console, so colour follows that console (a
TTY gets colour; CI logs and NO_COLOR do not). ``render`` returns the same report
as a string, plain by default, for files and tests.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from orchestrator.models import ERROR, TIMEOUT, CellResult
from orchestrator.report import (
    Grid,
    Results,
    flaky_tests,
    grid_text,
    kind,
    layout,
    legend,
    pre_existing_tests,
    status_kind,
    status_word,
    summary,
    symbol,
)
from orchestrator.results import RunResults, coerce
from orchestrator.sanitize import clean, first_line, fit
from orchestrator.verdict import Blocker, CellVerdict, Verdict, count

# The one colour scheme, by verdict class (report.KINDS).
STYLES = {
    "recommended": "bold green",
    "safe": "green",
    "regressed": "red",
    "unsafe": "red",
    "broken": "magenta",
    "infeasible": "cyan",
    "not-run": "dim",
}
NOTE_WIDTH = 60

Part = str | tuple[str, str]  # plain text, or (text, style)


def line(*parts: Part) -> Text:
    """One line from parts; every part is cleaned (no control characters, one line)."""
    text = Text()
    for part in parts:
        value, style = (part, "") if isinstance(part, str) else part
        text.append(clean(value), style=style)
    return text


def status_style(status: str) -> str:
    """A bare status's colour (before any verdict): that of its verdict class."""
    return STYLES.get(status_kind(status), "")


def render(results: Results, verdict: Verdict, *, width: int = 100, color: bool = False) -> str:
    """The report as text; with ``color`` it keeps ANSI styles."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
    )
    print_terminal(console, results, verdict)
    return console.export_text(styles=color)


def print_terminal(console: Console, results: Results, verdict: Verdict) -> None:
    """Print the report to ``console``; long lines (test ids) are never wrapped, and
    numbers in ids are not highlighted, whatever the console's defaults."""
    for item in renderables(coerce(results), verdict):
        console.print(item, soft_wrap=isinstance(item, Text), highlight=False)


def renderables(results: RunResults, verdict: Verdict) -> list[RenderableType]:
    """The report as a list of rich renderables (Text lines and tables)."""
    items: list[RenderableType] = [_header(verdict)]
    items += [line(("Warning:", "bold yellow"), " ", w) for w in verdict.warnings]
    items.append(cells_table(results, verdict))
    grids, unplaced = layout(verdict)
    items += [grid_table(grid, verdict, results) for grid in grids]
    if unplaced:
        items.append(line("Not placed in a grid: ", ", ".join(unplaced)))
    items.append(line(("  ".join(f"{s} {word}" for s, word in legend()), "dim")))
    items.append(Text(""))
    items += _verdict_lines(verdict)
    return items


# --------------------------------------------------------------------------- the cells


def cells_table(results: RunResults, verdict: Verdict) -> Table:
    """One row per cell, in plan order (the results', then cells without one): status,
    test counts, duration and what to look at first."""
    table = Table(title=line(verdict.name or "run", ": results"), title_justify="left")
    table.add_column("cell", no_wrap=True)
    for name in ("status", "passed", "failed", "skipped", "duration", "note"):
        table.add_column(name, justify="left" if name in ("status", "note") else "right")
    found = results.by_id
    order = [*found, *(c.id for c in verdict.cells if c.id not in found)]
    for cell_id in order:
        cell = verdict.cell(cell_id)
        label = line(cell_id, " (baseline)" if cell.baseline else "")
        state = line((status_word(cell.status), STYLES.get(kind(cell, verdict), "")))
        raw = found.get(cell_id)
        if raw is None:
            table.add_row(label, state)
            continue
        counts = raw.counts
        table.add_row(
            label,
            state,
            str(counts.passed),
            str(counts.failed + counts.errors),
            str(counts.skipped),
            f"{raw.duration:.1f}s",
            line(note(raw)),
        )
    return table


def note(result: CellResult) -> str:
    """What to look at first in a cell: its first failing test, else its message."""
    failing, flaky = result.failing_tests, result.flaky_tests
    flaky_note = f" [{len(flaky)} flaky]" if flaky else ""
    if failing:
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        return clean(failing[0]) + more + flaky_note
    if flaky:
        return f"{len(flaky)} flaky"
    if result.passed_on_retry:
        return "flaky: failed, then passed on a retry"
    return fit(first_line(result.message), NOTE_WIDTH)


def progress_line(result: CellResult) -> Text:
    """A cell's line as it finishes during a run, coloured like its status."""
    counts = result.counts
    text = line(
        f"{result.cell.id}: ",
        (status_word(result.status), status_style(result.status)),
        f" ({counts.passed} passed, {counts.failed + counts.errors} failed, "
        f"{counts.skipped} skipped) in {result.duration:.1f}s",
    )
    if result.status in (ERROR, TIMEOUT) and result.message:
        text.append(" — " + fit(first_line(result.message), 100))
    return text


# --------------------------------------------------------------------------- the grids


def grid_table(grid: Grid, verdict: Verdict, results: RunResults) -> Table:
    """One grid as a table: a row per value of the row axis, a column per value of the
    column axis, each cell its status symbol, counts and tags, coloured by verdict."""
    table = Table(
        box=box.SIMPLE_HEAD,
        title=line(grid.title) if grid.title else None,
        title_justify="left",
    )
    table.add_column(line(grid.corner), style="bold", no_wrap=True)
    for column in grid.columns or ("",):
        table.add_column(line(column or "cell"))
    for row in grid.rows:
        texts = []
        for column in grid.columns or ("",):
            cell_id = grid.at(row, column)
            if cell_id is None:
                texts.append(Text("-", style="dim"))
                continue
            cell = verdict.cell(cell_id)
            text = grid_text(cell, results.cell(cell_id), verdict)
            texts.append(line((text, _style(cell, verdict))))
        table.add_row(line(row), *texts)
    return table


# --------------------------------------------------------------------------- the verdict


def _header(verdict: Verdict) -> Text:
    return line(
        (verdict.name, "bold"),
        f"  run {verdict.run_id}  baseline {verdict.baseline or 'none'}  ",
        count(len(verdict.cells), "cell"),
    )


VERDICT_LINES = 60  # the verdict (after the grids) fits a screen at any size
BLOCKER_LINES = 30  # of which the unsafe cells take at most this many


def _verdict_lines(verdict: Verdict) -> list[RenderableType]:
    lines: list[RenderableType] = []
    if verdict.recommended is None:
        lines.append(line((verdict.headline, "bold red")))
    else:
        cell = verdict.cell(verdict.recommended)
        notes: list[Part] = [("  (" + "; ".join(cell.notes) + ")", "dim")] if cell.notes else []
        lines.append(line((verdict.headline, "bold green"), *notes))
    eol = summary.unsupported_line(verdict)
    if eol:
        lines.append(line((eol, "yellow")))
    lines += _causes(verdict)
    if verdict.blockers:
        lines.append(
            line("Why each cell is not safe:")
            if verdict.recommended is None
            else line("Higher, but not safe:")
        )
    lines += _blockers(verdict)
    lines += [line("First bad release: ", text) for text in summary.first_bad_lines(verdict)]
    lines += _test_lists(verdict)
    return lines


def _causes(verdict: Verdict, shown: int = 5) -> list[RenderableType]:
    """The failure causes across cells, a few tests each (only when messages exist)."""
    if not summary.informative(verdict):
        return []
    causes = verdict.causes
    lines: list[RenderableType] = [line(f"Failure causes ({len(causes)}):")]
    for cause in causes[:shown]:
        style = "dim" if cause.in_baseline else "red"
        lines.append(line("  ", ("✗ ", style), fit(cause.signature, 160)))
        lines.append(line(("      " + summary.cause_line(cause, verdict), "dim")))
        if cause.tests:
            group = summary.Group("", cause.tests)
            lines.append(line("      ", fit(summary.tests_text(group), 200)))
    if len(causes) > shown:
        lines.append(line(f"  +{len(causes) - shown} more causes: see report.html"))
    return lines


def _blockers(verdict: Verdict) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for i, blocker in enumerate(verdict.blockers):
        more = _blocker_lines(blocker, verdict)
        if lines and len(lines) + len(more) > BLOCKER_LINES:
            rest = verdict.blockers[i:]
            ids = ", ".join(b.cell for b in rest[:3]) + (" …" if len(rest) > 3 else "")
            lines.append(
                line(f"  +{count(len(rest), 'more cell')} not safe ({ids}): see report.html")
            )
            break
        lines += more
    return lines


def _test_lists(verdict: Verdict, shown: int = 5) -> list[RenderableType]:
    """Flaky tests and pre-existing failures, with the cells they concern."""
    lines: list[RenderableType] = []
    flaky = flaky_tests(verdict)
    if flaky:
        lines.append(line("Flaky (failed, then passed on a retry; not counted as regressions):"))
        items = list(flaky.items())
        lines += [line(f"  {t}  ", (f"in {', '.join(c)}", "dim")) for t, c in items[:shown]]
        if len(items) > shown:
            lines.append(line(f"  +{len(items) - shown} more: see report.html"))
    pre = pre_existing_tests(verdict)
    if pre:
        lines.append(line(f"Pre-existing failures (failing in the baseline {verdict.baseline}):"))
        items = list(pre.items())
        lines += [line(f"  {t}  ", (f"in {len(c)} cells", "dim")) for t, c in items[:shown]]
        if len(items) > shown:
            lines.append(line(f"  +{len(items) - shown} more: see report.html"))
    return lines


def _blocker_lines(blocker: Blocker, verdict: Verdict) -> list[RenderableType]:
    cell = verdict.cell(blocker.cell)
    lines: list[RenderableType] = [
        line(
            "  ",
            (f"{symbol(cell.status)} {cell.id}", _style(cell, verdict)),
            f" ({cell.label}): {summary.what(blocker, cell)}",
        )
    ]
    for test, note_text in summary.listed(cell):
        notes: Sequence[Part] = [(f"  - {note_text}", "dim")] if note_text else ()
        lines.append(line(f"      {test}", *notes))
    for group in summary.groups(blocker, cell)[:3]:
        lines.append(
            line(f"      {fit(group.heading, 110)}: ", (summary.tests_text(group, 2), "dim"))
        )
    lines.append(line((f"      {fit(blocker.explanation, 400)}", "italic")))
    return lines


def _style(cell: CellVerdict, verdict: Verdict) -> str:
    return STYLES.get(kind(cell, verdict), "")
