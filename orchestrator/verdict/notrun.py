"""Planned cells without a result: who they are (their axes read back from their ids
where the results do not give them) and their verdict."""

from __future__ import annotations

from orchestrator.models import NOT_RUN, state_word
from orchestrator.results import NotRun, RunResults
from orchestrator.verdict.model import CellVerdict
from orchestrator.verdict.order import axis_names, infer_axes


def planned_not_run(run: RunResults) -> list[NotRun]:
    """Planned cells without a result (once each), their axes read from their ids
    where the results do not give them."""
    known = [c.cell.axes for c in run.cells]
    axes = axis_names(known)
    done = {c.cell.id for c in run.cells}
    found: dict[str, NotRun] = {}
    for entry in run.not_run:
        if entry.id in done or entry.id in found:
            continue
        cell_axes = dict(entry.axes) or infer_axes(entry.id, axes, known)
        found[entry.id] = NotRun(entry.id, cell_axes)
    return list(found.values())


def not_run_verdict(cell: NotRun, baseline: str | None) -> CellVerdict:
    """The verdict of a planned cell without a result: not safe, nothing to judge."""
    return CellVerdict(
        id=cell.id,
        axes=dict(cell.axes),
        status=NOT_RUN,
        baseline=cell.id == baseline,
        safe=False,
        reason=f"{state_word(NOT_RUN)}: no result yet",
    )
