"""Terminal output: the plan table, progress lines and the summary table.

rich decides colour from the terminal (none in CI logs or when NO_COLOR is
set); every line also reads well as plain text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orchestrator import verdict
from orchestrator.models import Plan

STATUS_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "magenta",
    "infeasible": "cyan",
    "timeout": "yellow",
    "not run": "dim",
}

# Off a terminal (CI logs, pipes) rich would assume 80 columns and squeeze the
# tables; logs have no width limit worth respecting, so give them room.
_WIDTH = None if sys.stdout.isatty() else max(int(os.environ.get("COLUMNS", 0) or 0), 140)
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


def plan_table(plan: Plan) -> Table:
    axes = _axis_names(plan)
    pruned = f", {len(plan.pruned)} infeasible" if plan.pruned else ""
    title = f"{plan.name}: {len(plan.cells)} cells{pruned}"
    table = Table(title=title, title_justify="left")
    table.add_column("cell")
    for axis in axes:
        table.add_column(axis)
    table.add_column("")
    for cell in plan.cells:
        values = cell.axes
        table.add_row(
            escape(cell.id),
            *(escape(values.get(a, "-")) for a in axes),
            "baseline" if cell.baseline else "",
        )
    for pruned in plan.pruned:
        values = pruned.cell.axes
        table.add_row(
            f"[dim]{escape(pruned.cell.id)}[/]",
            *(f"[dim]{escape(values.get(a, '-'))}[/]" for a in axes),
            f"{styled('infeasible')}: {escape(pruned.reason)}",
        )
    return table


def resolved_lines(plan: Plan) -> list[str]:
    """What each axis resolved to on the index, e.g. ``django: 4.2.16, 5.0.9, 5.1.3``."""
    return [f"{axis}: {', '.join(values)}" for axis, values in plan.resolved.items()]


def summary_table(plan: Plan, results: Mapping[str, Mapping[str, Any]]) -> Table:
    """One row per planned cell, from results.json's cell entries (by id)."""
    table = Table(title=f"{plan.name}: results", title_justify="left")
    table.add_column("cell", no_wrap=True)
    for name, justify in (
        ("status", "left"),
        ("passed", "right"),
        ("failed", "right"),
        ("skipped", "right"),
        ("duration", "right"),
        ("note", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=name != "note")  # type: ignore[arg-type]
    for cell in [*plan.cells, *(p.cell for p in plan.pruned)]:
        result = results.get(cell.id)
        label = escape(cell.id) + (" (baseline)" if cell.baseline else "")
        if result is None:
            table.add_row(label, styled("not run"), "", "", "", "", "")
            continue
        counts = result["counts"]
        table.add_row(
            label,
            styled(result["status"]),
            str(counts["passed"]),
            str(counts["failed"] + counts["errors"]),
            str(counts["skipped"]),
            f"{result['duration']:.1f}s",
            note(result),
        )
    return table


def note(result: Mapping[str, Any]) -> str:
    """What to look at first: the first failing test, else the message."""
    failing, flaky = result["failing_tests"], result.get("flaky_tests", [])
    flaky_note = f" [{len(flaky)} flaky]" if flaky else ""
    if failing:
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        return escape(failing[0] + more + flaky_note)
    return first_line(result["message"]) if not flaky else escape(f"{len(flaky)} flaky")


def styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def first_line(text: str, width: int = 60) -> str:
    """The message's first line, fitted to ``width`` and safe for rich markup."""
    line = verdict.first_line(text)
    return escape(line if len(line) <= width else line[: width - 1] + "…")


def _axis_names(plan: Plan) -> list[str]:
    names: dict[str, None] = {}
    for cell in plan.cells:
        names.update(dict.fromkeys(cell.axes))
    return list(names)


def progress(done: int, total: int, text: str) -> None:
    width = len(str(total))
    out.print(f"\\[{done:>{width}}/{total}] {text}")


def error(message: str) -> None:
    err.print(f"[bold red]oxzep7: error:[/] {escape(message)}")


def lines(items: Iterable[str]) -> None:
    for item in items:
        out.print(item)
