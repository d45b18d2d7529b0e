"""The image of one cell: FROM its interpreter base, its pinned dependency set,
then the project as the last layer (editing the project does not reinstall the
dependencies)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker

from orchestrator.build import images, templates
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, Plan

CELL_REPO = "oxzep7/cell"


@dataclass(frozen=True)
class CellImage:
    tag: str
    image_id: str
    built: bool


def context_for(plan: Plan, cell: Cell, base_tag: str) -> images.BuildContext:
    """The build context of ``cell``: rendered Dockerfile, pins, constraints, project."""
    requirements = templates.cell_requirements(cell)
    constraints = requirements + list(plan.constraints)
    dockerfile = templates.render_cell(
        cell, base_image=base_tag, install=plan.project.install, requirements=requirements
    )
    return images.BuildContext(
        dockerfile=dockerfile,
        files={
            "requirements.txt": _lines(requirements),
            "constraints.txt": _lines(constraints),
            **images.project_files(plan.project.path),
        },
    )


def ensure_cell_image(
    client: docker.DockerClient,
    plan: Plan,
    cell: Cell,
    *,
    base_tag: str,
    env: BuildEnvironment,
    log_path: Path,
    run_id: str,
) -> CellImage:
    """Build the cell's image unless an identical one exists. Raises images.BuildFailed."""
    context = context_for(plan, cell, base_tag)
    tag = f"{CELL_REPO}:{cell.id}-{context.digest(env.fingerprint())}"
    image_id, built = images.ensure(
        client,
        context,
        tag=tag,
        log_path=log_path,
        labels=images.labels("cell", cell=cell.id, run=run_id),
        buildargs=env.buildargs,
    )
    return CellImage(tag, image_id, built)


def _lines(items: list[str]) -> bytes:
    return "".join(f"{item}\n" for item in items).encode()
