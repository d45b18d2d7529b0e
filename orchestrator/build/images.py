"""Build images through the Docker SDK, with content-hash tags and streamed logs.

An image's tag is a hash of everything that went into it (Dockerfile text and
every file of the build context), so an unchanged image is found and reused
instead of rebuilt. docker-py only speaks to the classic builder, which is why
templates avoid BuildKit-only syntax (``RUN --mount``, ``COPY --chmod``).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

import docker
import docker.errors
import requests.exceptions

from orchestrator import LABEL_PREFIX, storage
from orchestrator.build import project

SPOOL_BYTES = 8 << 20  # a build context larger than this goes to a temp file
BUILD_TIMEOUT = 3600  # seconds; the classic builder has no timeout of its own
BUILDER_VAR = "OXZEP7_BUILDER"


class BuildFailed(Exception):
    """An image build failed; ``log_tail`` holds the last lines of its log."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True)
class BuildContext:
    """A Dockerfile, small generated files beside it, and file trees (the project) under
    a prefix, hashed into a stable tag and streamed to the engine as a tar."""

    dockerfile: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    trees: Mapping[str, project.Tree] = field(default_factory=dict)  # prefix -> tree

    def digest(self, *extra: str) -> str:
        h = hashlib.sha256(self.dockerfile.encode())
        for name in sorted(self.files):
            h.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        for prefix in sorted(self.trees):
            h.update(b"\0" + prefix.encode() + b"\0" + self.trees[prefix].digest().encode())
        for item in extra:
            h.update(b"\0" + item.encode())
        return h.hexdigest()[:16]

    def tar(self) -> IO[bytes]:
        """The context as a tar, spooled to disk past a few MiB rather than held in memory."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the caller reads it
        with tarfile.open(fileobj=spool, mode="w") as archive:
            for name, data in {"Dockerfile": self.dockerfile.encode(), **self.files}.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, project.MIN_MTIME
                archive.addfile(info, io.BytesIO(data))
            for prefix, files in self.trees.items():
                _add_tree(archive, prefix, files)
        spool.seek(0)
        return spool


def _add_tree(archive: tarfile.TarFile, prefix: str, files: project.Tree) -> None:
    for entry in files.entries:
        info = tarfile.TarInfo(prefix + entry.path)
        info.mode = entry.mode
        add_tree_entry(archive, info, files, entry)


def add_tree_entry(
    archive: tarfile.TarFile, info: tarfile.TarInfo, tree: project.Tree, entry: project.Entry
) -> None:
    """``entry`` of ``tree`` into ``archive`` as ``info`` (name, mode and owner are the
    caller's): its mtime clamped to 1980 or later, then its link target, or its content
    streamed from disk (never held in memory)."""
    path = tree.root / entry.path
    info.mtime = project.clamp_mtime(path.lstat().st_mtime)
    if entry.link is not None:
        info.type, info.linkname = tarfile.SYMTYPE, entry.link
        archive.addfile(info)
        return
    with path.open("rb") as handle:
        info.size = os.fstat(handle.fileno()).st_size
        archive.addfile(info, handle)


def labels(kind: str, **values: str) -> dict[str, str]:
    """Labels that let ``oxzep7`` (and people) find what it created."""
    return {f"{LABEL_PREFIX}.kind": kind, **{f"{LABEL_PREFIX}.{k}": v for k, v in values.items()}}


def find_image(client: docker.DockerClient, tag: str) -> str | None:
    """The id of image ``tag`` if the engine has it."""
    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        return None


@dataclass(frozen=True)
class BuildRequest:
    """What to make of a build context: the tag, where its log goes, its labels, the
    index and proxy settings (build arguments), and variables for the build script only
    (never committed into the image)."""

    tag: str
    log_path: Path
    labels: Mapping[str, str]
    buildargs: Mapping[str, str] = field(default_factory=dict)
    build_env: Mapping[str, str] = field(default_factory=dict)


def ensure(
    client: docker.DockerClient,
    context: BuildContext,
    request: BuildRequest,
    *,
    rebuild: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[str, bool]:
    """The id of image ``request.tag`` and whether it was built now: an existing image
    with this content-hash tag is reused (unless ``rebuild``), anything else is built.

    Either way the rendered Dockerfile is kept beside the log. A reuse is noted in the
    log unless this run already wrote it (a base is checked again by each of its cells,
    and must not overwrite its own build log)."""
    tag, log_path = request.tag, request.log_path
    _keep_dockerfile(context, log_path)
    existing = None if rebuild else find_image(client, tag)
    if existing:
        if not log_path.exists():
            log_path.write_text(f"reused existing image {tag} ({existing})\n")
        return existing, False
    with _build_lock(tag):
        # Another process (a nox worker needing the same base) may have built it meanwhile.
        existing = None if rebuild else find_image(client, tag)
        if existing:
            log_path.write_text(f"reused existing image {tag} ({existing}), built meanwhile\n")
            return existing, False
        say(f"building {tag}")
        if builder() == "dockerfile":
            return _build(client, context, tag, log_path, request.labels, request.buildargs), True
        from orchestrator.build import oneshot  # it builds on this module

        return oneshot.build(client, context, request), True


@contextmanager
def _build_lock(tag: str) -> Iterator[None]:
    """One build of ``tag`` at a time on this machine: two processes that need the same
    image (nox workers whose cells share a base) build it once, the second one waits."""
    name = hashlib.sha256(tag.encode()).hexdigest()[:24]
    with storage.exclusive(storage.cache_dir() / "locks" / f"build-{name}.lock"):
        yield


def builder() -> str:
    """How images are built: "oneshot" (one container run and one layer, with a shared
    download cache; the default) or "dockerfile" (the classic builder, step by step),
    chosen by OXZEP7_BUILDER. Both carry out the same rendered Dockerfile."""
    chosen = os.environ.get(BUILDER_VAR, "") or "oneshot"
    if chosen not in ("oneshot", "dockerfile"):
        raise BuildFailed(f"{BUILDER_VAR} must be 'oneshot' or 'dockerfile', not {chosen!r}", "")
    return chosen


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


def _consume(stream: Iterable[dict[str, Any]], log: TextIO, deadline: float) -> str | None:
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
