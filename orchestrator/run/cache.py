"""The result cache: a cell whose inputs are all unchanged reuses its last result.

A cell's result is a function of its inputs, which :func:`key` hashes, in one place:

- the cell image's content-hash tag (the interpreter base, the pinned dependency set,
  the tests' needs, the project tree, the build environment) and the id of the image
  the engine holds under that tag, so the resolved versions are the ones that ran
  (an image rebuilt under the same tag may have resolved other versions);
- the test command and the project's environment;
- the run options that can change an outcome: timeout, network, memory, cpus, retries.

A cell that passed or failed is remembered under its key in
``<runs root>/.cache/results/<key>``: the path of its cell folder, relative to the
runs root. A later run that finds its key there copies that folder, marks the result
``cached`` and remembers the copy (so the cache outlives pruned run directories).
Errors and timeouts are never reused: they may be the machine's, not the cell's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors

from orchestrator.build import bases, cellimage, images
from orchestrator.environment import BuildEnvironment
from orchestrator.models import RAN, Cell, CellResult, Plan
from orchestrator.run.rundir import RunDir, write_json, write_text

CACHE_VERSION = "oxzep7.result-cache/1"
CACHE_DIR = Path(".cache") / "results"
NOT_COPIED = frozenset({"result.json", "origin.json"})  # rewritten, not copied


def key(plan: Plan, image_tag: str, image_id: str) -> str:
    """The cache key of a cell run on image ``image_tag`` (id ``image_id``) under ``plan``."""
    options = plan.run
    inputs = {
        "version": CACHE_VERSION,
        "image": image_tag,
        "image_id": image_id,
        "test": plan.project.test,
        "env": dict(sorted(plan.project.env.items())),
        "run": {
            "timeout": options.timeout,
            "network": options.network,
            "memory": options.memory,
            "cpus": options.cpus,
            "retries": options.retries,
        },
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def expected_image(
    client: docker.DockerClient | Images, plan: Plan, cell: Cell, env: BuildEnvironment
) -> tuple[str, str] | None:
    """The tag and image id the cell would run on now, without building anything; None
    when its base or its image is not on the engine (then it must be built: no reuse)."""
    engine = cast(docker.DockerClient, client)  # an Images answers as a client's images do
    base = bases.base_tag(engine, plan.image_family, cell.python, env)
    if base is None or images.find_image(engine, base) is None:
        return None
    tag = cellimage.cell_tag(plan, cell, base_tag=base, env=env)
    image_id = images.find_image(engine, tag)
    return (tag, image_id) if image_id else None


class Images:
    """A client's ``images.get``, remembered per tag: the cells of one interpreter share
    their base and root filesystem, which are then asked about once, not once per cell."""

    def __init__(self, client: docker.DockerClient) -> None:
        self._client = client
        self._found: dict[str, Any] = {}
        self.images = self

    def get(self, tag: str) -> Any:
        if tag not in self._found:
            try:
                self._found[tag] = self._client.images.get(tag)
            except docker.errors.ImageNotFound:
                self._found[tag] = None
        if self._found[tag] is None:
            raise docker.errors.ImageNotFound(tag)
        return self._found[tag]


def remember(run: RunDir, plan: Plan, result: CellResult) -> None:
    """Keep a finished cell's folder as the last result for its inputs."""
    if result.status not in RAN or not result.image or not result.image_id:
        return
    pointer = _pointer(run, key(plan, result.image, result.image_id))
    try:
        write_text(pointer, str(run.cell(result.cell.id).relative_to(run.path.parent)) + "\n")
    except OSError:
        return  # a cache that cannot be written only costs time


def reuse(run: RunDir, plan: Plan, cell: Cell, image: tuple[str, str]) -> CellResult | None:
    """The last result of ``cell`` for these inputs, copied into ``run`` and marked cached;
    None when there is none (or it is gone or unreadable)."""
    tag, image_id = image
    source = _last_folder(run, key(plan, tag, image_id))
    if source is None:
        return None
    try:
        earlier = CellResult.from_dict(json.loads((source / "result.json").read_text()))
    except (OSError, ValueError, RecursionError):
        return None
    if earlier.cell != cell or (earlier.image, earlier.image_id) != (tag, image_id):
        return None
    target = run.cell(cell.id)
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and not item.name.startswith(".") and item.name not in NOT_COPIED:
            shutil.copy2(item, target / item.name)
    logs = {name: _moved(path, source, target) for name, path in earlier.logs.items()}
    result = replace(earlier, cached=True, logs=logs)
    write_json(run.cell_result(cell.id), result.to_dict())
    remember(run, plan, result)
    return result


def _pointer(run: RunDir, cache_key: str) -> Path:
    return run.path.parent / CACHE_DIR / cache_key


def _last_folder(run: RunDir, cache_key: str) -> Path | None:
    """The cell folder the key points to, if it stays inside the runs root."""
    root = run.path.parent.resolve()
    try:
        relative = _pointer(run, cache_key).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = (root / relative).resolve()
    if not folder.is_relative_to(root) or folder == run.cell(folder.name).resolve():
        return None  # outside the runs root, or this very run's folder
    return folder if (folder / "result.json").is_file() else None


def _moved(path: str, source: Path, target: Path) -> str:
    """A log path of the earlier folder, as the same file in the new one."""
    old = Path(path)
    return str(target / old.name) if old.parent.resolve() == source else path
