"""Cell results on disk and their collation into results.json.

Each nox session writes its cell's ``result.json``; then, under a file lock
(sessions run in parallel processes), ``results.json`` is rebuilt from every
result present. So the collated file is current after each cell, whoever ran
it: ``oxzep7 run`` or ``nox -s`` by hand. Reading it back is
:func:`orchestrator.results.load`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from orchestrator import storage
from orchestrator.errors import DamagedResultsError
from orchestrator.models import (
    INFEASIBLE,
    CellResult,
    Plan,
    Pruned,
)
from orchestrator.results import NotRun, RunResults, load
from orchestrator.run.rundir import RunDir, write_json

__all__ = ["NotRun", "RunResults", "collate", "load", "record"]


def load_cell_results(run: RunDir, plan: Plan) -> dict[str, CellResult]:
    """The results present on disk, by cell id, in plan order."""
    found = (load_cell_result(run, cell.id) for cell in plan.cells)
    return {result.cell.id: result for result in found if result is not None}


def load_cell_result(run: RunDir, cell_id: str) -> CellResult | None:
    """The cell's result, or None while it has none."""
    file = run.cell_result(cell_id)
    try:
        return CellResult.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # ShapeError is a ValueError
        raise DamagedResultsError(f"{file}: {exc}") from None


# --------------------------------------------------------------------------- writing


def record(run: RunDir, result: CellResult) -> None:
    """Save one cell's result, then refresh results.json."""
    write_json(run.cell_result(result.cell.id), result.to_dict())
    collate(run)


def infeasible(pruned: Pruned) -> CellResult:
    return CellResult(cell=pruned.cell, status=INFEASIBLE, duration=0.0, message=pruned.reason)


def collate(run: RunDir) -> dict[str, Any]:
    """Rebuild results.json from the cell results on disk; returns what it wrote."""
    with storage.exclusive(run.path / ".results.lock"):
        plan = run.load_plan()
        found = load_cell_results(run, plan)
        data = summarize(run.run_id, plan, found).to_dict()
        write_json(run.results_file, data)
        return data


def summarize(run_id: str, plan: Plan, found: Mapping[str, CellResult]) -> RunResults:
    """The run's results: ``found`` in plan order, pruned cells as infeasible results
    (never silently dropped), and the planned cells without a result."""
    found = {**found, **{p.cell.id: infeasible(p) for p in plan.pruned}}
    return RunResults(
        run_id=run_id,
        name=plan.name,
        matrix=str(plan.matrix_path),
        updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        baseline=plan.baseline.id if plan.baseline else None,
        priority=tuple(plan.run.priority),
        cells=tuple(found.values()),
        not_run=tuple(NotRun(c.id, c.axes) for c in plan.cells if c.id not in found),
        require_supported=plan.run.require_supported,
    )
