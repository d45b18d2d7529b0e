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

from orchestrator.build import images, oneshot, rootfs, templates
from orchestrator.environment import BuildEnvironment
from orchestrator.errors import BaseImageError, ConfigError
from orchestrator.plan import interpreters

BASE_REPO = "oxzep7/base"
# The one-container builder's cache volume keeps uv's wheel for every base (the
# templates' ARG OXZEP7_TOOLS): downloaded once per machine, not once per base.
TOOLS_ENV = {"OXZEP7_TOOLS": f"{oneshot.CACHE_MOUNT}/tools"}


@dataclass(frozen=True)
class BaseImage:
    python: str
    tag: str
    image_id: str
    built: bool  # False when an existing image was reused


@dataclass(frozen=True)
class BaseOptions:
    """Where base build logs go, whether to rebuild what exists, and how to say so."""

    log_dir: Path
    refresh: bool = False
    say: Callable[[str], None] = lambda _: None


def ensure_base(
    client: docker.DockerClient,
    family: str,
    python: str,
    env: BuildEnvironment,
    options: BaseOptions,
) -> BaseImage:
    """Make sure the base image for ``python`` exists; build what is missing."""
    log_dir, refresh, say = options.log_dir, options.refresh, options.say
    interpreter = interpreters.lookup(family, python)
    if interpreter is None:
        raise ConfigError(f"Python {python} is not available in image family {family!r}")
    parent, parent_id = _parent(client, interpreter, env, log_dir, refresh, say)
    context, tag = _context_and_tag(interpreter, parent, parent_id, env)
    log_path = log_dir / f"py{python}.build.log"
    try:
        labels = images.labels("base", python=python, family=family)
        image_id, built = images.ensure(
            client,
            context,
            images.BuildRequest(tag, log_path, labels, env.buildargs, TOOLS_ENV),
            rebuild=refresh,
            say=say,
        )
    except images.BuildFailed as exc:
        raise BaseImageError(
            f"building the py{python} base failed: {exc}; see {log_path}"
        ) from None
    return BaseImage(python, tag, image_id, built)


def base_tag(
    client: docker.DockerClient, family: str, python: str, env: BuildEnvironment
) -> str | None:
    """The tag ``ensure_base`` would give the base of ``python``, computed without building
    anything; None when its parent image (root filesystem) is not on the engine yet."""
    interpreter = interpreters.lookup(family, python)
    if interpreter is None:
        return None
    if isinstance(interpreter, interpreters.DebianInterpreter):
        parent = rootfs.rootfs_tag(interpreter.suite)
    else:
        parent = interpreter.image
    parent_id = images.find_image(client, parent)
    if parent_id is None:
        return None
    return _context_and_tag(interpreter, parent, parent_id, env)[1]


def _context_and_tag(
    interpreter: interpreters.Interpreter, parent: str, parent_id: str, env: BuildEnvironment
) -> tuple[images.BuildContext, str]:
    context = images.BuildContext(
        dockerfile=templates.render_base(
            interpreter, rootfs_image=parent, ca_bundle=env.ca_bundle is not None
        ),
        files={"ca-bundle.crt": env.ca_bundle} if env.ca_bundle else {},
    )
    tag = f"{BASE_REPO}:py{interpreter.version}-{context.digest(parent_id, env.fingerprint())}"
    return context, tag


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
