"""Cell results on disk, and their collation into results.json.

Each nox session writes its cell's ``result.json``; then, under a file lock
(sessions run in parallel processes), ``results.json`` is rebuilt from every
result present. So the collated file is current after each cell, whoever ran
it: ``oxzep7 run`` or ``nox -s`` by hand.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections import Counter
from typing import Any

from orchestrator.models import STATUSES, CellResult, Plan, Pruned
from orchestrator.run.rundir import RunDir, write_json

RESULTS_SCHEMA = "oxzep7.results/1"


def record(run: RunDir, result: CellResult) -> None:
    """Save one cell's result, then refresh results.json."""
    write_json(run.cell_result(result.cell.id), result.to_dict())
    collate(run)


def infeasible(pruned: Pruned) -> CellResult:
    return CellResult(cell=pruned.cell, status="infeasible", duration=0.0, message=pruned.reason)


def load_cell_results(run: RunDir, plan: Plan) -> dict[str, CellResult]:
    """The results present on disk, by cell id, in plan order."""
    found = (load_cell_result(run, cell.id) for cell in plan.cells)
    return {result.cell.id: result for result in found if result is not None}


def load_cell_result(run: RunDir, cell_id: str) -> CellResult | None:
    """The cell's result, or None while it has none."""
    try:
        return CellResult.from_dict(json.loads(run.cell_result(cell_id).read_text()))
    except FileNotFoundError:
        return None


def collate(run: RunDir) -> dict[str, Any]:
    """Rebuild results.json from the cell results on disk; returns what it wrote."""
    with (run.path / ".results.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        plan = run.load_plan()
        found = load_cell_results(run, plan)
        data = summarize(run.run_id, plan, found)
        write_json(run.results_file, data)
        return data


def summarize(run_id: str, plan: Plan, found: dict[str, CellResult]) -> dict[str, Any]:
    # Pruned cells are results too (status "infeasible"), never silently dropped.
    found = {**found, **{p.cell.id: infeasible(p) for p in plan.pruned}}
    counts = Counter(result.status for result in found.values())
    not_run = [cell.id for cell in plan.cells if cell.id not in found]
    return {
        "schema": RESULTS_SCHEMA,
        "run_id": run_id,
        "name": plan.name,
        "matrix": str(plan.matrix_path),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "complete": not not_run,
        "summary": {**{s: counts.get(s, 0) for s in STATUSES}, "not_run": len(not_run)},
        "baseline": plan.baseline.id if plan.baseline else None,
        "priority": list(plan.run.priority),
        "cells": [result.to_dict() for result in found.values()],
        "not_run": not_run,
    }
