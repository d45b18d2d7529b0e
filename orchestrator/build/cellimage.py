"""The image of one cell: FROM its interpreter base, the project's environment and
system packages, its pinned dependency set with the tests' needs, then the project as
the last layer (editing the project does not reinstall the dependencies)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import docker

from orchestrator import storage
from orchestrator.build import images, oneshot, project, templates
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, Plan
from orchestrator.plan import testdeps

CELL_REPO = "oxzep7/cell"


@dataclass(frozen=True)
class CellImage:
    tag: str
    image_id: str
    built: bool


@dataclass(frozen=True)
class ProjectSource:
    """The project as cells get it: its tree, and the sdist built on the host when its
    version comes from git."""

    tree: project.Tree
    sdist: Path | None = None


def context_for(
    plan: Plan, cell: Cell, base_tag: str, source: ProjectSource
) -> images.BuildContext:
    """The build context of ``cell``: rendered Dockerfile, pins, constraints, project."""
    pins = templates.cell_requirements(cell)
    requirements = pins + [r for r in testdeps.test_requirements(plan.project) if r not in pins]
    constraints = pins + list(plan.constraints)
    sdist = source.sdist
    dockerfile = templates.render_cell(
        cell,
        base_image=base_tag,
        project=plan.project,
        requirements=requirements,
        sdist=sdist.name if sdist else None,
    )
    files = {"requirements.txt": _lines(requirements), "constraints.txt": _lines(constraints)}
    if sdist is not None:
        files[f"sdist/{sdist.name}"] = sdist.read_bytes()
    return images.BuildContext(dockerfile=dockerfile, files=files, trees={"project/": source.tree})


@dataclass(frozen=True)
class CellBuild:
    """How one run builds its cells: FROM which base, with what the host lends (CA
    bundle, index settings), the log's path and the run's id (for labels)."""

    base_tag: str
    env: BuildEnvironment
    log_path: Path
    run_id: str


def ensure_cell_image(
    client: docker.DockerClient, plan: Plan, cell: Cell, build: CellBuild
) -> CellImage:
    """Build the cell's image unless an identical one exists. Raises images.BuildFailed."""
    base_tag, env, log_path, run_id = build.base_tag, build.env, build.log_path, build.run_id
    source = _source(plan)
    context, tag = _context_and_tag(plan, cell, base_tag, env, source)
    request = images.BuildRequest(
        tag,
        log_path,
        images.labels("cell", cell=cell.id, run=run_id),
        env.buildargs,
        build_env={"OXZEP7_WHEELS": wheel_dir(plan, base_tag, source, env)},
    )
    image_id, built = images.ensure(client, context, request)
    return CellImage(tag, image_id, built)


def cell_tag(plan: Plan, cell: Cell, *, base_tag: str, env: BuildEnvironment) -> str:
    """The content-hash tag ``ensure_cell_image`` gives the cell, computed without building."""
    return _context_and_tag(plan, cell, base_tag, env, _source(plan))[1]


def _source(plan: Plan) -> ProjectSource:
    return project_source(plan.project.path, tuple(sorted(plan.project.env.items())))


def _context_and_tag(
    plan: Plan, cell: Cell, base_tag: str, env: BuildEnvironment, source: ProjectSource
) -> tuple[images.BuildContext, str]:
    context = context_for(plan, cell, base_tag, source)
    return context, f"{CELL_REPO}:{cell.id}-{context.digest(env.fingerprint())}"


def wheel_dir(plan: Plan, base_tag: str, source: ProjectSource, env: BuildEnvironment) -> str:
    """Where the one-container builder keeps the project's wheel for this interpreter
    base: every cell of the same project, base and build settings installs one wheel."""
    key = hashlib.sha256(
        "\0".join(
            [
                source.tree.digest(),
                source.sdist.name if source.sdist else "",
                base_tag,
                env.fingerprint(),
                *(f"{k}={v}" for k, v in sorted(plan.project.env.items())),
            ]
        ).encode()
    ).hexdigest()[:24]
    return f"{oneshot.CACHE_MOUNT}/wheels/{key}"


@cache
def project_source(root: Path, env: tuple[tuple[str, str], ...] = ()) -> ProjectSource:
    """The project's tree, plus its sdist when the version comes from git (built once
    per content, kept in the cache and shared by every cell and run)."""
    tree = project.tree(root)
    if not project.version_from_git(root):
        return ProjectSource(tree)
    folder = storage.cache_dir() / "sdists" / tree.digest()[:24]
    with storage.exclusive(folder / ".lock"):  # parallel cells wait for one build
        built = sorted(folder.glob("*.tar.gz"))
        if len(built) != 1:
            try:
                built = [
                    project.build_sdist(
                        root, folder, folder / "build.log", {**os.environ, **dict(env)}
                    )
                ]
            except project.SdistFailed as exc:
                raise images.BuildFailed(
                    f"building the project's sdist on the host failed (see {folder / 'build.log'})",
                    str(exc),
                ) from None
    return ProjectSource(tree, built[0])


def _lines(items: list[str]) -> bytes:
    return "".join(f"{item}\n" for item in items).encode()
