"""The cell list a CI matrix runs: one cell per job, or, past the CI's cap on jobs per
matrix, chunks of cells (each job runs its chunk with ``--cell A,B,...``)."""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.models import Plan

GITHUB_MAX_JOBS = 256  # jobs one matrix may generate
GITLAB_MAX_JOBS = 200  # parallel:matrix entries (gitlab#438369)


@dataclass(frozen=True)
class Job:
    name: str  # short and unique: also the artifact's name
    cells: tuple[str, ...]

    @property
    def label(self) -> str:
        first = self.cells[0]
        return first if len(self.cells) == 1 else f"{first} +{len(self.cells) - 1}"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "cells": ",".join(self.cells), "label": self.label}


def jobs(plan: Plan, max_jobs: int) -> list[Job]:
    """The plan's cells in at most ``max_jobs`` jobs, as even as can be, in plan order."""
    ids = [cell.id for cell in plan.cells]
    count = min(len(ids), max(1, max_jobs))
    size = math.ceil(len(ids) / count) if ids else 1
    chunks = [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]
    width = max(3, len(str(len(chunks))))
    return [Job(f"{n:0{width}d}", chunk) for n, chunk in enumerate(chunks, start=1)]


def matrix_json(plan: Plan, max_jobs: int) -> str:
    """The ``include`` list of a GitHub matrix (``fromJSON``), on one line."""
    return json.dumps([job.to_dict() for job in jobs(plan, max_jobs)], separators=(",", ":"))


@dataclass(frozen=True)
class Layout:
    """Where the matrix file and the project are, relative to the repository's root."""

    matrix: str
    project: str


def layout(matrix: Path, project: Path) -> Layout:
    """Paths relative to the git work tree holding the matrix (else the current folder)."""
    root = _toplevel(matrix.resolve().parent) or Path.cwd()
    return Layout(_relative(matrix, root), _relative(project, root))


def _toplevel(folder: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path.resolve(), root)).as_posix()
