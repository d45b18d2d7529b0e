"""A build container's changes become an image by ``docker load``, not ``docker commit``.

Storage drivers without a native diff (fuse-overlayfs, vfs) make ``docker commit`` walk
the whole image, base included, to find what a container changed: 2-3 s for a cell image
whose own change is a few MB, and most of a cold cell's time. The build script knows
what it changed, so it says so itself (:func:`script_start`, :func:`script_end`): every
path whose inode changed after the build started, plus the files put in before the start
(``copied``), tarred by the container's own ``tar``; and the paths listed at the start
that are gone. Here that becomes one layer (with a whiteout for each path gone) on top of
the parent's layers, in ``docker save``'s format, which ``docker load`` adds as an image:
the engine unpacks the new layer only, the parent's being found by their digests.

An image without ``find`` or ``tar`` leaves no layer; the caller then commits.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import posixpath
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import docker
import docker.errors

from orchestrator.build import images

LAYER_DIR = "/.oxzep7-layer"
COPIED = f"{LAYER_DIR}/copied"  # the host writes it: the paths it put in before the start
SPOOL_BYTES = 8 << 20
# The build (a project's setup.py among it) could write anything there: a listing larger
# than this is not read into memory, and without it no layer is made (the caller commits).
MAX_LIST_BYTES = 64 << 20
# Mount points Docker gives every container, and the listings' own folder: never part of
# an image. (The build script's folder is gone before the first listing.)
_PRUNE = ("./proc", "./sys", "./dev", "." + LAYER_DIR)
_ENGINE_FILES = ("./etc/hosts", "./etc/hostname", "./etc/resolv.conf", "./.dockerenv")


def _find(actions: str = "-print") -> str:
    pruned = " -o ".join(f"-path {path}" for path in _PRUNE)
    return f"find . -xdev \\( {pruned} \\) -prune -o {actions}"


def script_start() -> list[str]:
    """Build-script lines to run first: the start mark, and what is there before. A
    listing that fails leaves no ``before``, hence no layer: the caller commits."""
    d = LAYER_DIR
    return [
        "if command -v find >/dev/null && command -v tar >/dev/null; then",
        f"  mkdir -p {d} && touch {d}/start",
        f"  (cd / && {_find()}) > {d}/before || rm -f {d}/before",
        "fi",
    ]


def script_end() -> list[str]:
    """Build-script lines to run last: what is there now, and the changes as a tar.
    Only whole listings make a layer (a short ``after`` would delete files)."""
    d = LAYER_DIR
    skip = " ".join(f"-e {path}" for path in _ENGINE_FILES)
    return [
        # One walk writes both lists: everything, and what changed since the start.
        f"if [ -f {d}/before ] && (cd / && "
        f"{_find(f'-fprint {d}/after -cnewer {d}/start -fprint {d}/new')}); then",
        f"  {{ cat {d}/new; cat {COPIED} 2>/dev/null; }}"
        f" | {{ grep -v -x -F -e . {skip} || true; }} | sort -u > {d}/changed",
        f"  tar -C / --numeric-owner --no-recursion --ignore-failed-read"
        f" -cf {d}/layer.tar -T {d}/changed || rm -rf {d}",
        "else",
        f"  rm -rf {d}  # no layer: the caller commits, and the listings must not go in",
        "fi",
    ]


def copied_list(paths: Iterable[str]) -> bytes:
    """The ``copied`` file: paths as the script's find prints them (``./etc/x``)."""
    return "".join(f"./{path.strip('/')}\n" for path in sorted(set(paths))).encode()


def load(
    client: docker.DockerClient,
    container: Any,
    parent: Mapping[str, Any],
    conf: Mapping[str, Any],
    tag: str,
) -> str | None:
    """Make ``tag`` from the layer ``container``'s build script left, on top of
    ``parent`` (its inspect data), with ``conf`` as the image config; its id, or None
    when the script left no layer."""
    try:
        chunks, _ = container.get_archive(LAYER_DIR)
    except docker.errors.NotFound:
        return None
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as layer:
        digest = _layer(io.BufferedReader(_Chunks(chunks)), layer)
        if digest is None:
            return None
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as saved:
            command = " ".join(container.attrs.get("Config", {}).get("Cmd") or [])
            config = _image_config(parent, conf, digest, created_by=command)
            _saved_image(saved, layer, digest, config, tag)
            saved.seek(0)
            for message in client.api.load_image(saved):  # type: ignore[no-untyped-call]
                if message.get("error"):  # the engine reports a bad archive in the stream
                    raise images.BuildFailed(f"docker load: {message['error']}", "")
    return images.find_image(client, tag)


def _layer(outer_stream: IO[bytes], out: IO[bytes]) -> str | None:
    """The script's tar plus whiteouts, written to ``out``; the layer's sha256 digest, or
    None when the script left no tar (its folder holds only what it saw)."""
    lists: dict[str, list[str]] = {}
    hashed = _Hashing(out)
    found = False
    with tarfile.open(fileobj=hashed, mode="w", format=tarfile.PAX_FORMAT) as result:
        with tarfile.open(fileobj=outer_stream, mode="r|") as outer:
            for member in outer:
                name = posixpath.basename(member.name)
                handle = outer.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                if name == "layer.tar":
                    found = True
                    _copy_members(handle, result)
                elif name in ("before", "after") and member.size <= MAX_LIST_BYTES:
                    lists[name] = handle.read().decode("utf-8", "surrogateescape").splitlines()
        if not found or set(lists) != {"before", "after"}:
            return None
        for path in whiteouts(lists["before"], lists["after"]):
            info = tarfile.TarInfo(path)
            result.addfile(info, io.BytesIO(b""))
    out.seek(0)
    return hashed.hexdigest()


def _copy_members(handle: IO[bytes], result: tarfile.TarFile) -> None:
    with tarfile.open(fileobj=handle, mode="r|") as inner:
        for member in inner:
            member.name = member.name.removeprefix("./")
            data = inner.extractfile(member) if member.isfile() else None
            result.addfile(member, data)


def whiteouts(before: Iterable[str], after: Iterable[str]) -> list[str]:
    """The whiteout entries (``dir/.wh.name``) of the paths gone since the start: one
    for each topmost gone path (what was under a gone folder went with it)."""
    gone = set(before) - set(after) - {"."}
    result = []
    for path in sorted(gone):
        parent = posixpath.dirname(path)
        if parent in gone:
            continue
        relative = posixpath.join(parent, ".wh." + posixpath.basename(path))
        result.append(posixpath.normpath(relative))
    return result


def _image_config(
    parent: Mapping[str, Any], conf: Mapping[str, Any], digest: str, created_by: str = ""
) -> bytes:
    """The image's config: ``conf`` on the parent's layers plus ours; ``created_by`` is the
    build container's command, as a commit records it."""
    layers = list(parent.get("RootFS", {}).get("Layers") or [])
    created = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    # One history entry per layer, so `docker history` lists them (the parent's own
    # history is not readable without saving the whole parent).
    history = [
        {"created": parent.get("Created") or created, "comment": "a layer of the parent image"}
        for _ in layers
    ]
    history.append(
        {
            "created": created,
            "created_by": created_by,
            "comment": "oxzep7: one container run of the rendered Dockerfile",
        }
    )
    config = {
        "architecture": parent.get("Architecture", "amd64"),
        "os": parent.get("Os", "linux"),
        "created": created,
        "config": dict(conf),
        "rootfs": {"type": "layers", "diff_ids": [*layers, f"sha256:{digest}"]},
        "history": history,
    }
    return json.dumps(config).encode()


def _saved_image(out: IO[bytes], layer: IO[bytes], digest: str, config: bytes, tag: str) -> None:
    """``docker save``'s format: the parent's layers named but absent (the engine has
    them), the new one present."""
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    count = len(json.loads(config)["rootfs"]["diff_ids"])
    names = [f"{i:04d}/layer.tar" for i in range(count - 1)] + [f"{digest}/layer.tar"]
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": names}]
    with tarfile.open(fileobj=out, mode="w") as saved:
        info = tarfile.TarInfo(names[-1])
        info.size = layer.seek(0, io.SEEK_END)
        layer.seek(0)
        saved.addfile(info, layer)
        for name, data in ((config_name, config), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            saved.addfile(info, io.BytesIO(data))


class _Chunks(io.RawIOBase):
    """An iterator of byte chunks (``get_archive``'s stream) as a readable file."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class _Hashing(io.RawIOBase):
    """A writable file that hashes what goes through it to ``out``."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self._written = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: Any) -> int:
        self._hash.update(data)
        self._out.write(data)
        self._written += len(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
