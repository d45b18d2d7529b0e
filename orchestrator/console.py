"""Terminal output: the plan table, progress lines and errors. Results and verdicts
look the way :mod:`orchestrator.report.terminal` draws them (one renderer, one
colour scheme), which this module's progress lines share.

Both consoles read no markup and no emoji codes: what is printed is the text given,
and styles come from rich ``Text`` objects only. So a matrix named ``[/]`` or a test
id holding ``[link=...]`` prints as itself. Values from outside (matrix files,
results, logs) also go through :func:`orchestrator.sanitize.clean`, so no control
character reaches the terminal raw.

rich decides colour from the terminal (none in CI logs or when NO_COLOR is set);
every line also reads well as plain text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orchestrator.models import INFEASIBLE, Plan
from orchestrator.report.terminal import line, status_style

# Off a terminal (CI logs, pipes) rich would assume 80 columns and squeeze the
# tables; logs have no width limit worth respecting, so give them room.
_WIDTH = None if sys.stdout.isatty() else max(int(os.environ.get("COLUMNS", 0) or 0), 140)
out = Console(highlight=False, soft_wrap=True, width=_WIDTH, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, markup=False, emoji=False)


def plan_table(plan: Plan) -> Table:
    """The plan's cells (baseline marked) and the pruned ones with their reason."""
    axes = _axis_names(plan)
    pruned = f", {len(plan.pruned)} infeasible" if plan.pruned else ""
    title = line(plan.name, f": {len(plan.cells)} cells{pruned}")
    table = Table(title=title, title_justify="left")
    table.add_column("cell")
    for axis in axes:
        table.add_column(line(axis))
    table.add_column("")
    for cell in plan.cells:
        values = cell.axes
        table.add_row(
            line(cell.id),
            *(line(values.get(a, "-")) for a in axes),
            "baseline" if cell.baseline else "",
        )
    for item in plan.pruned:
        values = item.cell.axes
        table.add_row(
            line((item.cell.id, "dim")),
            *(line((values.get(a, "-"), "dim")) for a in axes),
            line((INFEASIBLE, status_style(INFEASIBLE)), ": ", item.reason),
        )
    return table


def resolved_lines(plan: Plan) -> list[str]:
    """What each axis resolved to on the index, e.g. ``django: 4.2.16, 5.0.9, 5.1.3``."""
    return [f"{axis}: {', '.join(values)}" for axis, values in plan.resolved.items()]


def _axis_names(plan: Plan) -> list[str]:
    names: dict[str, None] = {}
    for cell in plan.cells:
        names.update(dict.fromkeys(cell.axes))
    return list(names)


def progress(done: int, total: int, text: str | Text) -> None:
    """``[ 3/12] text``: a step of a run finished."""
    width = len(str(total))
    out.print(
        Text.assemble(f"[{done:>{width}}/{total}] ", line(text) if isinstance(text, str) else text)
    )


def error(message: str) -> None:
    """``oxzep7: error: message`` on stderr, on one line."""
    err.print(line(("oxzep7: error:", "bold red"), " ", message))


def lines(items: Iterable[str]) -> None:
    for item in items:
        out.print(line(item))
