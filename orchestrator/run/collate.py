"""Cell folders made on separate machines, merged into one run directory.

In CI each job runs one cell (``oxzep7 run --frozen plan.json --cell ID``) in a run
directory of its own and uploads that cell's folder. ``oxzep7 collate DIR...`` finds the
cell folders under the DIRs, checks that each comes from the same plan (``origin.json``,
which every run writes beside a cell's result.json, holds the plan's digest), copies
them into a new run directory and concludes it as a run would (results.json, verdict,
reports). A cell from another plan, a cell that is not in the plan, or the same cell
twice is an error naming the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from orchestrator.errors import ConfigError, DamagedResultsError
from orchestrator.jsonread import ShapeError
from orchestrator.models import CellResult, Plan
from orchestrator.run.rundir import RunDir, write_json

ORIGIN = "origin.json"
MAX_DEPTH = 8  # how deep under a DIR cell folders are looked for
MAX_FILE = 256 << 20


def plan_digest(plan: Plan) -> str:
    """What identifies a plan across machines: everything but where the project and the
    matrix happen to be on the machine that made it."""
    data = plan.to_dict()
    data["project"] = {**data["project"], "path": ""}
    data.pop("matrix_path", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def mark_origin(run: RunDir, plan: Plan, cell_ids: Iterable[str]) -> None:
    """Write origin.json beside each of these cells' results."""
    digest = plan_digest(plan)
    for cell_id in cell_ids:
        if run.cell_result(cell_id).is_file():
            origin = {"plan": digest, "run": run.run_id, "cell": cell_id}
            write_json(run.cell(cell_id) / ORIGIN, origin)


def cell_folders(dirs: Sequence[Path]) -> list[Path]:
    """Folders holding a result.json under ``dirs`` (a DIR may itself be one)."""
    found: list[Path] = []
    for top in dirs:
        if not top.is_dir():
            raise ConfigError(f"{top}: not a directory")
        for folder, subdirs, files in os.walk(top):
            depth = Path(folder).relative_to(top).parts
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d != "latest")
            if len(depth) >= MAX_DEPTH:
                subdirs[:] = []
            if "result.json" in files:  # only cell folders hold one (runs: results.json)
                found.append(Path(folder))
    return found


def find(plan: Plan, dirs: Sequence[Path]) -> list[tuple[Path, CellResult]]:
    """Every cell folder under ``dirs`` with its result, each checked against ``plan``:
    it must come from the same plan, be one of its cells, and be there once."""
    digest = plan_digest(plan)
    planned = {cell.id for cell in plan.cells}
    seen: dict[str, Path] = {}
    found = []
    for folder in cell_folders(dirs):
        result = _result(folder)
        cell_id = result.cell.id
        _check_origin(folder, cell_id, digest)
        if cell_id not in planned:
            raise ConfigError(f"{folder}: cell {cell_id!r} is not a cell of the plan")
        if cell_id in seen:
            raise ConfigError(f"cell {cell_id!r} is in both {seen[cell_id]} and {folder}")
        seen[cell_id] = folder
        found.append((folder, result))
    if not found:
        raise ConfigError(f"no cell folders (with result.json) under {', '.join(map(str, dirs))}")
    return found


def merge(plan: Plan, dirs: Sequence[Path], run: RunDir) -> list[str]:
    """Copy every cell folder under ``dirs`` into ``run``; returns the cell ids merged."""
    found = find(plan, dirs)
    for folder, result in found:
        _copy(folder, run.cell(result.cell.id), result, run)
    return [result.cell.id for _, result in found]


def _read_json(file: Path) -> object:
    try:
        if file.stat().st_size > MAX_FILE or not file.is_file():
            raise DamagedResultsError(f"{file}: not a results file")
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise DamagedResultsError(f"{file}: {exc}") from None


def _result(folder: Path) -> CellResult:
    file = folder / "result.json"
    try:
        return CellResult.from_dict(_read_json(file))
    except ShapeError as exc:
        raise DamagedResultsError(f"{file}: {exc}") from None


def _check_origin(folder: Path, cell_id: str, digest: str) -> None:
    file = folder / ORIGIN
    if not file.exists():
        raise ConfigError(
            f"{folder}: no {ORIGIN}, so its plan is unknown; collate cell folders that "
            "'oxzep7 run --frozen plan.json --cell ID' wrote"
        )
    origin = _read_json(file)
    found = origin.get("plan") if isinstance(origin, dict) else None
    if found != digest:
        raise ConfigError(
            f"{folder}: cell {cell_id!r} comes from another plan (plan {str(found)[:24]!r}, "
            f"this one is {digest!r}); collate the cells of one plan.json"
        )


def _copy(source: Path, target: Path, result: CellResult, run: RunDir) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and not item.is_symlink() and item.name != "result.json":
            shutil.copyfile(item, target / item.name)
    logs = {name: str(target / Path(path).name) for name, path in result.logs.items()}
    logs = {name: path for name, path in logs.items() if Path(path).is_file()}
    write_json(run.cell_result(result.cell.id), replace(result, logs=logs).to_dict())
