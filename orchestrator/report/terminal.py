"""The terminal report: compact grids of cells, then the verdict.

``print_terminal`` writes to any rich Console, so colour follows that console (a
TTY gets colour; CI logs and NO_COLOR do not). ``render`` returns the same report
as a string, plain by default, for files and tests.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orchestrator.report import (
    Grid,
    cells_by_id,
    count,
    flaky_tests,
    grid_text,
    kind,
    layout,
    legend,
    pre_existing_tests,
    symbol,
)
from orchestrator.verdict.judge import Blocker, Verdict

STYLES = {
    "recommended": "bold green",
    "safe": "green",
    "regressed": "red",
    "unsafe": "red",
    "broken": "magenta",
    "infeasible": "cyan",
    "not-run": "dim",
}


def render(
    results: Mapping[str, Any], verdict: Verdict, *, width: int = 100, color: bool = False
) -> str:
    """The report as text; with ``color`` it keeps ANSI styles."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
    )
    print_terminal(console, results, verdict)
    return console.export_text(styles=color)


def print_terminal(console: Console, results: Mapping[str, Any], verdict: Verdict) -> None:
    """Print the report to ``console``; long lines (test ids) are never wrapped, and
    numbers in ids are not highlighted, whatever the console's defaults."""
    for item in renderables(results, verdict):
        console.print(item, soft_wrap=isinstance(item, str), highlight=False)


def renderables(results: Mapping[str, Any], verdict: Verdict) -> list[RenderableType]:
    """The report as a list of rich renderables (markup strings and tables)."""
    raw = cells_by_id(results)
    items: list[RenderableType] = [_header(verdict)]
    items += [f"[bold yellow]Warning:[/] {escape(w)}" for w in verdict.warnings]
    grids, unplaced = layout(verdict)
    items += [grid_table(grid, verdict, raw) for grid in grids]
    if unplaced:
        items.append(f"Not placed in a grid: {escape(', '.join(unplaced))}")
    items.append("[dim]" + escape("  ".join(f"{s} {word}" for s, word in legend())) + "[/]")
    items.append("")
    items += _verdict_lines(verdict)
    return items


def grid_table(grid: Grid, verdict: Verdict, raw: Mapping[str, Mapping[str, Any]]) -> Table:
    """One grid as a table: a row per value of the row axis, a column per value of the
    column axis, each cell its status symbol, counts and tags, coloured by verdict."""
    table = Table(box=box.SIMPLE_HEAD, title=escape(grid.title) or None, title_justify="left")
    table.add_column(escape(grid.corner), style="bold", no_wrap=True)
    for column in grid.columns or ("",):
        table.add_column(escape(column or "cell"))
    for row in grid.rows:
        texts = []
        for column in grid.columns or ("",):
            cell_id = grid.at(row, column)
            if cell_id is None:
                texts.append(Text("-", style="dim"))
                continue
            cell = verdict.cell(cell_id)
            texts.append(
                Text(grid_text(cell, raw.get(cell_id), verdict), style=_style(cell, verdict))
            )
        table.add_row(escape(row), *texts)
    return table


def _header(verdict: Verdict) -> str:
    base = verdict.baseline or "none"
    return (
        f"[bold]{escape(verdict.name)}[/]  run {escape(verdict.run_id)}  "
        f"baseline {escape(base)}  {count(len(verdict.cells), 'cell')}"
    )


def _verdict_lines(verdict: Verdict) -> list[RenderableType]:
    lines: list[RenderableType] = []
    if verdict.recommended is None:
        lines.append(f"[bold red]{escape(verdict.headline)}[/]")
        lines.append("Why each cell is not safe:")
    else:
        cell = verdict.cell(verdict.recommended)
        notes = f"  [dim]({escape('; '.join(cell.notes))})[/]" if cell.notes else ""
        lines.append(f"[bold green]{escape(verdict.headline)}[/]{notes}")
        if verdict.blockers:
            lines.append("Higher, but not safe:")
    for blocker in verdict.blockers:
        lines += _blocker_lines(blocker, verdict)
    flaky = flaky_tests(verdict)
    if flaky:
        lines.append("Flaky (failed, then passed on a retry; not counted as regressions):")
        lines += [f"  {escape(t)}  [dim]in {escape(', '.join(c))}[/]" for t, c in flaky.items()]
    pre = pre_existing_tests(verdict)
    if pre:
        lines.append(f"Pre-existing failures (failing in the baseline {escape(verdict.baseline)}):")
        lines += [f"  {escape(t)}  [dim]in {len(c)} cells[/]" for t, c in pre.items()]
    return lines


def _blocker_lines(blocker: Blocker, verdict: Verdict) -> list[RenderableType]:
    cell = verdict.cell(blocker.cell)
    style = _style(cell, verdict)
    what = count(len(cell.regressions), "regression") if cell.regressions else blocker.problem
    lines: list[RenderableType] = [
        f"  [{style}]{symbol(cell.status)} {escape(cell.id)}[/] ({escape(cell.label)}): "
        f"{escape(what)}"
    ]
    for regression in cell.regressions:
        note = f"  [dim]- {escape(regression.note)}[/]" if regression.note else ""
        lines.append(f"      {escape(regression.test)}{note}")
    if not cell.regressions and cell.failing and cell.status != "passed":
        lines += [f"      {escape(test)}" for test in cell.failing]
    lines.append(f"      [italic]{escape(blocker.explanation)}[/]")
    return lines


def _style(cell: Any, verdict: Verdict) -> str:
    return STYLES.get(kind(cell, verdict), "")
