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

from orchestrator import storage
from orchestrator.errors import RunError
from orchestrator.models import Plan
from orchestrator.plan import planfile
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
        """The run's plan.json, checked like any input (it may have been edited or
        damaged since the run wrote it). Checked once per version of the file in this
        process: collating reads it again after every cell."""
        try:
            info = self.plan_file.stat()
        except OSError:
            return planfile.load(self.plan_file)  # says what is wrong with it
        key = (info.st_ino, info.st_mtime_ns, info.st_size)
        known = _CHECKED_PLANS.get(self.plan_file)
        if known is None or known[0] != key:
            known = (key, planfile.load(self.plan_file))
            _CHECKED_PLANS[self.plan_file] = known
        return known[1]


# plan.json path -> (inode, mtime, size) it had when checked, and the plan it held.
_CHECKED_PLANS: dict[Path, tuple[tuple[int, int, int], Plan]] = {}


def new_run_id(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"


def create(
    root: Path, plan: Plan, run_id: str | None = None, *, point_latest: bool = True
) -> RunDir:
    """A new run directory under ``root`` holding ``plan.json``; ``root/latest`` points to
    it unless ``point_latest`` is false (sessions nox starts by itself are not runs).

    Runs started at the same second get ids ``...-2``, ``-3`` (mkdir decides, so two
    processes never share a directory), and a lock orders the creation with the update
    of ``latest``, which therefore always names the newest run."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with storage.exclusive(root / ".create.lock"):
            run = _make_dir(root, run_id, plan.name)
            write_json(run.plan_file, plan.to_dict())
            if point_latest:
                _point_latest(root, run)
    except OSError as exc:
        raise RunError(f"cannot create a run directory in {root}: {exc}") from None
    return run


def _make_dir(root: Path, run_id: str | None, plan_name: str = "") -> RunDir:
    if run_id is not None:  # a fixed id (nox's own runs) is reused as it is
        (root / run_id).mkdir(exist_ok=True)
        return RunDir(root / run_id)
    base = new_run_id(plan_name)
    for n in range(1, 1000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return RunDir(path)
    raise FileExistsError(f"{root / base}: too many runs at once")


def _point_latest(root: Path, run: RunDir) -> None:
    """Replace ``latest`` atomically (rename over it), unless it is a real directory."""
    latest = root / "latest"
    if latest.is_symlink() or not latest.exists():
        tmp = root / f".latest-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(run.path.name)
        tmp.replace(latest)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (see :func:`write_text`)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
