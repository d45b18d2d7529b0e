"""Debian root filesystems as local images, for machines with no registry.

``debootstrap --variant=minbase SUITE`` from a Debian mirror, slimmed (apt
lists, docs, man pages, locales), then imported as ``oxzep7/debian:SUITE``.
Suites are shared between interpreters (forky ships 3.14 and 3.15), and nox
may build two bases at once, so each suite is built under a file lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import docker

from orchestrator import interrupts, storage
from orchestrator.build import images
from orchestrator.errors import BaseImageError

ROOTFS_REPO = "oxzep7/debian"
SCRIPTS_DIR = Path("/usr/share/debootstrap/scripts")
# A debootstrap older than a suite has no script for it (Debian 12's 1.0.128 knows
# no forky). Every Debian suite since bullseye bootstraps the same way as sid, which
# is what newer debootstraps link those names to.
FALLBACK_SCRIPT = "sid"
SLIM_PATHS = (
    "var/lib/apt/lists",
    "var/cache/apt",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
    "usr/share/info",
)


def rootfs_tag(suite: str) -> str:
    return f"{ROOTFS_REPO}:{suite}"


def lock_dir() -> Path:
    base = storage.cache_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base


def ensure_rootfs(
    client: docker.DockerClient,
    suite: str,
    *,
    mirror: str,
    log_path: Path,
    refresh: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> str:
    """The image id of ``oxzep7/debian:SUITE``, building it with debootstrap if missing."""
    tag = rootfs_tag(suite)
    with (lock_dir() / f"rootfs-{suite}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = images.find_image(client, tag)
        if existing and not refresh:
            return existing
        _check_tools()
        say(f"building Debian {suite} root filesystem with debootstrap (~30 s)")
        return _build(client, suite, mirror, tag, log_path)


def _check_tools() -> None:
    if shutil.which("debootstrap") is None:
        raise BaseImageError(
            "debootstrap is not installed, and no Debian base image is present; "
            "install it ('apt-get install debootstrap') or load an image tagged "
            f"{ROOTFS_REPO}:SUITE yourself"
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            "debootstrap needs root to build a Debian base image; "
            "run 'sudo oxzep7 bases MATRIX' once, then run as yourself"
        )


def script_for(suite: str, scripts_dir: Path = SCRIPTS_DIR) -> list[str]:
    """The explicit script argument debootstrap needs for ``suite``, if any."""
    if (scripts_dir / suite).exists() or not (scripts_dir / FALLBACK_SCRIPT).exists():
        return []
    return [str(scripts_dir / FALLBACK_SCRIPT)]


def _build(client: docker.DockerClient, suite: str, mirror: str, tag: str, log_path: Path) -> str:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        interrupts.terminate_as_interrupt(),
        tempfile.TemporaryDirectory(prefix=f"oxzep7-{suite}-") as tmp,
        log_path.open("w") as log,
    ):
        root = Path(tmp) / "root"
        try:
            _debootstrap(suite, mirror, root, log, log_path)
            tarball = _tar(root, Path(tmp) / "rootfs.tar")
        finally:
            # Before the temporary directory is deleted: a debootstrap cut short can
            # leave /proc or /sys mounted in its chroot, and deleting through a mount
            # would reach the host's files.
            _unmount_below(root)
        _import(client, tarball, suite, tag)
        log.write(f"imported as {tag}\n")
    image_id = images.find_image(client, tag)
    if image_id is None:
        raise BaseImageError(f"importing the {suite} root filesystem produced no image {tag}")
    return image_id


def _debootstrap(suite: str, mirror: str, root: Path, log: TextIO, log_path: Path) -> None:
    cmd = ["debootstrap", "--variant=minbase", suite, str(root), mirror, *script_for(suite)]
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise BaseImageError(
            f"debootstrap {suite} failed (exit {done.returncode}); see {log_path}:\n"
            + images.tail(log_path, 8)
        )
    for rel in SLIM_PATHS:
        for child in (root / rel).glob("*"):
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _tar(root: Path, tarball: Path) -> Path:
    subprocess.run(
        ["tar", "-C", str(root), "--numeric-owner", "-cf", str(tarball), "."], check=True
    )
    return tarball


def _import(client: docker.DockerClient, tarball: Path, suite: str, tag: str) -> None:
    """docker import; the daemon tags the image only once the whole tar is in, so an
    interrupted import leaves no half an image behind that tag."""
    with tarball.open("rb") as data:
        client.api.import_image_from_data(
            data,
            repository=tag.split(":")[0],
            tag=suite,
            changes=[
                "ENV LANG=C.UTF-8",
                f"LABEL org.oxzep7.kind=rootfs org.oxzep7.suite={suite}",
            ],
        )


def _unmount_below(root: Path) -> None:
    """Detach every mount at or under ``root``, deepest first (lazily: a busy one too)."""
    prefix = str(root.resolve())
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return
    points = [_unescape(line.split()[4]) for line in lines if len(line.split()) > 4]
    below = [p for p in points if p == prefix or p.startswith(prefix + "/")]
    for point in sorted(set(below), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
