"""Build images through the Docker SDK, with content-hash tags and streamed logs.

An image's tag is a hash of everything that went into it (Dockerfile text and
every file of the build context), so an unchanged image is found and reused
instead of rebuilt. docker-py only speaks to the classic builder, which is why
templates avoid BuildKit-only syntax (``RUN --mount``, ``COPY --chmod``).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import docker
import docker.errors
import requests.exceptions

from orchestrator import LABEL_PREFIX

# Never shipped into a cell image: VCS data, caches, virtualenvs, our own runs.
PROJECT_EXCLUDES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".oxzep7",
        ".nox",
        ".tox",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "node_modules",
        "build",
        "dist",
    }
)
BUILD_TIMEOUT = 3600  # seconds; the classic builder has no timeout of its own


class BuildFailed(Exception):
    """An image build failed; ``log_tail`` holds the last lines of its log."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True)
class BuildContext:
    """A Dockerfile and the files beside it, hashed into a stable tag."""

    dockerfile: str
    files: Mapping[str, bytes] = field(default_factory=dict)

    def digest(self, *extra: str) -> str:
        h = hashlib.sha256(self.dockerfile.encode())
        for name in sorted(self.files):
            h.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        for item in extra:
            h.update(b"\0" + item.encode())
        return h.hexdigest()[:16]

    def tar(self) -> io.BytesIO:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in {"Dockerfile": self.dockerfile.encode(), **self.files}.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                archive.addfile(info, io.BytesIO(data))
        buffer.seek(0)
        return buffer


def project_files(root: Path, prefix: str = "project/") -> dict[str, bytes]:
    """The project's files for the build context, minus caches and VCS data."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in PROJECT_EXCLUDES or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            files[prefix + rel.as_posix()] = path.read_bytes()
    return files


def labels(kind: str, **values: str) -> dict[str, str]:
    """Labels that let ``oxzep7`` (and people) find what it created."""
    return {f"{LABEL_PREFIX}.kind": kind, **{f"{LABEL_PREFIX}.{k}": v for k, v in values.items()}}


def find_image(client: docker.DockerClient, tag: str) -> str | None:
    """The id of image ``tag`` if the engine has it."""
    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        return None


def ensure(
    client: docker.DockerClient,
    context: BuildContext,
    *,
    tag: str,
    log_path: Path,
    labels: Mapping[str, str],
    buildargs: Mapping[str, str] | None = None,
    rebuild: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[str, bool]:
    """The id of image ``tag`` and whether it was built now: an existing image with this
    content-hash tag is reused (unless ``rebuild``), anything else is built.

    Either way the rendered Dockerfile is kept beside the log. A reuse is noted in the
    log unless this run already wrote it (a base is checked again by each of its cells,
    and must not overwrite its own build log)."""
    _keep_dockerfile(context, log_path)
    existing = None if rebuild else find_image(client, tag)
    if existing:
        if not log_path.exists():
            log_path.write_text(f"reused existing image {tag} ({existing})\n")
        return existing, False
    say(f"building {tag}")
    return _build(client, context, tag, log_path, labels, buildargs or {}), True


def _keep_dockerfile(context: BuildContext, log_path: Path) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    (log_path.parent / f"{log_path.stem}.Dockerfile").write_text(context.dockerfile)


def _build(
    client: docker.DockerClient,
    context: BuildContext,
    tag: str,
    log_path: Path,
    labels: Mapping[str, str],
    buildargs: Mapping[str, str],
) -> str:
    """Build ``context`` as ``tag``, streaming the log to ``log_path``; returns the image id."""
    stream = client.api.build(
        fileobj=context.tar(),
        custom_context=True,
        tag=tag,
        labels=dict(labels),
        buildargs=dict(buildargs),
        rm=True,
        forcerm=True,
        pull=False,  # no registry: FROM names a local image
        decode=True,
    )
    with log_path.open("w", encoding="utf-8") as log:
        image_id = _consume(stream, log, deadline=time.monotonic() + BUILD_TIMEOUT)
    if image_id is None:
        image_id = find_image(client, tag)
    if image_id is None:
        raise BuildFailed("build finished without an image", tail(log_path))
    return image_id


def _consume(stream: Iterable[dict], log: TextIO, deadline: float) -> str | None:
    """Write the build stream to ``log``; raise BuildFailed on an error or timeout."""
    image_id = None
    try:
        for chunk in stream:
            text = chunk.get("stream") or chunk.get("status") or ""
            if text:
                log.write(text)
                log.flush()
            error = chunk.get("errorDetail", {}).get("message") or chunk.get("error")
            if error:
                log.write(f"\nERROR: {error}\n")
                log.flush()
                raise BuildFailed(error.strip(), tail(Path(log.name)))
            image_id = chunk.get("aux", {}).get("ID", image_id)
            if time.monotonic() > deadline:
                raise BuildFailed("build timed out", tail(Path(log.name)))
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        log.write(f"\nERROR: {exc}\n")
        log.flush()
        raise BuildFailed(str(exc), tail(Path(log.name))) from None
    return image_id


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log file (empty when it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
