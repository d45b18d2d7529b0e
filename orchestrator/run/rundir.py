"""The run directory: everything one run produced, laid out predictably.

    .oxzep7/runs/<run-id>/
        plan.json              the plan, fixed before anything is built
        results.json           collated results, rewritten as each cell finishes
        nox.log                what nox printed
        bases/                 base image build logs and Dockerfiles
        cells/<cell-id>/       build.log, build.Dockerfile, test.log, junit.xml,
                               requirements.txt (resolved set), result.json

Files are written atomically (temp file + rename, ``orchestrator.storage``), so an
interrupted run leaves every finished cell complete on disk and nothing half-written;
they get the mode the umask gives (0644 under 022), so CI can publish them.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import RunError
from orchestrator.models import Plan
from orchestrator.storage import write_text as write_text  # the one atomic write

DEFAULT_ROOT = Path(".oxzep7") / "runs"


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def plan_file(self) -> Path:
        return self.path / "plan.json"

    @property
    def results_file(self) -> Path:
        return self.path / "results.json"

    @property
    def bases(self) -> Path:
        return self.path / "bases"

    def cell(self, cell_id: str) -> Path:
        return self.path / "cells" / cell_id

    def cell_result(self, cell_id: str) -> Path:
        return self.cell(cell_id) / "result.json"

    # Markers the nox sessions leave so `oxzep7 run` (another process) can show
    # progress without parsing nox's buffered output.
    def cell_started(self, cell_id: str) -> Path:
        return self.cell(cell_id) / ".started"

    def base_started(self, python: str) -> Path:
        return self.bases / f"py{python}.started"

    def base_done(self, python: str) -> Path:
        """JSON: the base image's tag and id, whether it was built, how long it took."""
        return self.bases / f"py{python}.json"

    def load_plan(self) -> Plan:
        try:
            return Plan.from_dict(json.loads(self.plan_file.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RunError(f"cannot read the plan {self.plan_file}: {exc}") from None


def new_run_id(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"


def create(
    root: Path, plan: Plan, run_id: str | None = None, *, point_latest: bool = True
) -> RunDir:
    """A new run directory under ``root`` holding ``plan.json``; ``root/latest`` points to
    it unless ``point_latest`` is false (sessions started by nox directly are not runs)."""
    run = RunDir(root / (run_id or new_run_id(plan.name)))
    try:
        run.path.mkdir(parents=True, exist_ok=run_id is not None)
        write_json(run.plan_file, plan.to_dict())
        latest = root / "latest"
        if point_latest and (latest.is_symlink() or not latest.exists()):
            tmp = root / f".latest-{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(run.path.name)
            tmp.replace(latest)
    except OSError as exc:
        raise RunError(f"cannot create the run directory {run.path}: {exc}") from None
    return run


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (see :func:`write_text`)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
