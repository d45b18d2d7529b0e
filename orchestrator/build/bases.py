"""Interpreter base images: one per interpreter, shared by all its cells.

debian family: Debian root filesystem (built here if missing) + that suite's
CPython + a venv. official family: ``python:X.Y-slim`` + a venv; it must
already be present locally or pullable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from orchestrator.build import images, rootfs, templates
from orchestrator.environment import BuildEnvironment
from orchestrator.errors import BaseImageError, ConfigError
from orchestrator.plan import interpreters

BASE_REPO = "oxzep7/base"


@dataclass(frozen=True)
class BaseImage:
    python: str
    tag: str
    image_id: str
    built: bool  # False when an existing image was reused


def ensure_base(
    client: docker.DockerClient,
    family: str,
    python: str,
    env: BuildEnvironment,
    *,
    log_dir: Path,
    refresh: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> BaseImage:
    """Make sure the base image for ``python`` exists; build what is missing."""
    interpreter = interpreters.lookup(family, python)
    if interpreter is None:
        raise ConfigError(f"Python {python} is not available in image family {family!r}")
    parent, parent_id = _parent(client, interpreter, env, log_dir, refresh, say)
    context = images.BuildContext(
        dockerfile=templates.render_base(
            interpreter, rootfs_image=parent, ca_bundle=env.ca_bundle is not None
        ),
        files={"ca-bundle.crt": env.ca_bundle} if env.ca_bundle else {},
    )
    tag = f"{BASE_REPO}:py{python}-{context.digest(parent_id, env.fingerprint())}"
    log_path = log_dir / f"py{python}.build.log"
    try:
        image_id, built = images.ensure(
            client,
            context,
            tag=tag,
            log_path=log_path,
            labels=images.labels("base", python=python, family=family),
            buildargs=env.buildargs,
            rebuild=refresh,
            say=say,
        )
    except images.BuildFailed as exc:
        raise BaseImageError(
            f"building the py{python} base failed: {exc}; see {log_path}"
        ) from None
    return BaseImage(python, tag, image_id, built)


def _parent(
    client: docker.DockerClient,
    interpreter: interpreters.Interpreter,
    env: BuildEnvironment,
    log_dir: Path,
    refresh: bool,
    say: Callable[[str], None],
) -> tuple[str, str]:
    """The image the base starts FROM, and its id (part of the base's hash)."""
    if isinstance(interpreter, interpreters.DebianInterpreter):
        suite = interpreter.suite
        image_id = rootfs.ensure_rootfs(
            client,
            suite,
            mirror=env.debian_mirror,
            log_path=log_dir / f"debian-{suite}.log",
            refresh=refresh,
            say=say,
        )
        return rootfs.rootfs_tag(suite), image_id
    return interpreter.image, images.find_image(client, interpreter.image) or _pull(
        client, interpreter.image
    )


def _pull(client: docker.DockerClient, image: str) -> str:
    try:
        return str(client.images.pull(image).id)
    except docker.errors.APIError as exc:
        raise BaseImageError(
            f"image family 'official' needs {image}, which is not present and cannot be pulled "
            f"({exc.explanation or exc}); use 'image: {{family: debian}}' where no registry is "
            "reachable"
        ) from None
