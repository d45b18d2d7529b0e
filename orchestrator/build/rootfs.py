"""Debian root filesystems as local images, for machines with no registry.

``mmdebstrap --variant=minbase SUITE`` from a Debian mirror, with the CPython of every
interpreter the suite ships (``python3.X`` and ``python3.X-venv``) and tzdata already
in, so a base only makes its venv. Docs, man and info pages and locales are deleted at
the end, and a dpkg configuration file keeps them out of packages installed later (a
cell's system packages); mmdebstrap drops apt's lists. The tar goes from mmdebstrap's
standard output straight into ``docker import`` (no tree or tarball of ours on disk),
and the image is tagged ``oxzep7/debian:SUITE`` only once mmdebstrap has exited
cleanly, so an interrupted or failed build leaves no image behind that tag. Suites are
shared between interpreters (forky ships 3.14 and 3.15), and nox may build two bases
at once, so each suite is built under a file lock.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import docker
import docker.errors

from orchestrator import interrupts, storage
from orchestrator.build import images
from orchestrator.errors import BaseImageError
from orchestrator.plan import interpreters

ROOTFS_REPO = "oxzep7/debian"
TOOL = "mmdebstrap"
SLIM_DIRS = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale")
# Emptied by a customize hook, then excluded for later installs by a dpkg configuration
# file. Not with mmdebstrap's --dpkgopt=path-exclude: that sends every package through
# its tar filter (a Python process per package) and made a suite 5 s slower (34 s
# against 28 s for bookworm here).
SLIM_HOOK = (
    'cd "$1" && rm -rf '
    + " ".join(f"{folder}/*" for folder in SLIM_DIRS)
    + ' && printf "path-exclude=/%s/*\\n" '
    + " ".join(SLIM_DIRS)
    + " > etc/dpkg/dpkg.cfg.d/oxzep7-slim"
)
# For mmdebstrap's apt, and kept in the root filesystem's apt configuration. Mirrors and
# snapshots serve testing suites (forky) whose Release file is past its Valid-Until
# date; the archive is still signed, so only the date check is turned off.
APT_OPTIONS = ('Acquire::Check-Valid-Until "false"',)
CHUNK = 1 << 20
STOP_GRACE = 30.0  # seconds mmdebstrap gets to clean up after SIGTERM
_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")


def rootfs_tag(suite: str) -> str:
    return f"{ROOTFS_REPO}:{suite}"


def lock_dir() -> Path:
    base = storage.cache_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base


def packages(suite: str) -> list[str]:
    """What the root filesystem of ``suite`` holds beyond minbase: the interpreter and
    venv packages of every debian-family interpreter from that suite, and tzdata."""
    wanted: list[str] = []
    for version in interpreters.available("debian"):
        interpreter = interpreters.lookup("debian", version)
        if isinstance(interpreter, interpreters.DebianInterpreter) and interpreter.suite == suite:
            wanted += [interpreter.package, f"{interpreter.package}-venv"]
    return [*wanted, "tzdata"]


def command(suite: str, mirror: str) -> list[str]:
    """The mmdebstrap command line that writes ``suite``'s root filesystem as a tar to
    standard output."""
    return [
        TOOL,
        "--mode=root",
        "--variant=minbase",
        "--format=tar",
        "--include=" + ",".join(packages(suite)),
        *(f"--aptopt={option}" for option in APT_OPTIONS),
        f"--customize-hook={SLIM_HOOK}",
        suite,
        "-",
        mirror,
    ]


def ensure_rootfs(
    client: docker.DockerClient,
    suite: str,
    *,
    mirror: str,
    log_path: Path,
    refresh: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> str:
    """The image id of ``oxzep7/debian:SUITE``, building it with mmdebstrap if missing."""
    tag = rootfs_tag(suite)
    with storage.exclusive(lock_dir() / f"rootfs-{suite}.lock"):
        existing = images.find_image(client, tag)
        if existing and not refresh:
            return existing
        _check_tools()
        say(f"building Debian {suite} root filesystem with {TOOL} (~30 s)")
        return _build(client, suite, mirror, log_path)


def _check_tools() -> None:
    if shutil.which(TOOL) is None:
        raise BaseImageError(
            f"{TOOL} is not installed, and no Debian base image is present; "
            f"install it ('apt-get install {TOOL}') or load an image tagged "
            f"{ROOTFS_REPO}:SUITE yourself"
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            f"{TOOL} needs root to build a Debian base image; "
            "run 'sudo oxzep7 bases MATRIX' once, then run as yourself"
        )


def _build(client: docker.DockerClient, suite: str, mirror: str, log_path: Path) -> str:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = command(suite, mirror)
    with (
        interrupts.terminate_as_interrupt(),
        tempfile.TemporaryDirectory(prefix=f"oxzep7-{suite}-") as tmp,
        log_path.open("w") as log,
    ):
        log.write("$ " + shlex.join(cmd) + "\n")
        log.flush()
        with _running(cmd, log, Path(tmp)) as process:
            assert process.stdout is not None
            image_id, import_error = _import(client, process.stdout, suite)
            process.stdout.close()  # a failed import stops reading: mmdebstrap must not block
            code = process.wait()
        if code != 0 or image_id is None:
            if image_id is not None:
                _remove_image(client, image_id)
            what = f"{TOOL} {suite} failed (exit {code})" if code else f"{TOOL} {suite} ran"
            if import_error:
                what += f", docker import failed: {import_error}"
            raise BaseImageError(
                f"building the Debian {suite} root filesystem: {what}; see {log_path}:\n"
                + images.tail(log_path, 8)
            )
        client.api.tag(image_id, ROOTFS_REPO, suite)
        log.write(f"imported as {rootfs_tag(suite)} ({image_id})\n")
    return image_id


@contextlib.contextmanager
def _running(cmd: list[str], log: IO[str], tmp: Path) -> Iterator[subprocess.Popen[bytes]]:
    """mmdebstrap running with its temporary chroot under ``tmp``; stopped on the way out
    if it still runs (an interrupt, a failed import), then every mount it left under
    ``tmp`` detached, before the temporary directory is deleted: deleting through a
    mount (its chroot's /proc, /sys, /dev) would reach the host's files."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    # Its own process group: on some errors mmdebstrap sends SIGHUP to its whole group
    # (kill HUP => -getpgrp()), which would end oxzep7 (and nox) without any cleanup.
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.stdout is not None:
            process.stdout.close()
        if process.poll() is None:
            process.terminate()  # mmdebstrap unmounts and removes its chroot on SIGTERM
            try:
                process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _unmount_below(tmp)


def _import(
    client: docker.DockerClient, tar: IO[bytes], suite: str
) -> tuple[str | None, str | None]:
    """``docker import`` of the tar stream, untagged: (image id, None), or (None, why)."""
    chunks = iter(lambda: tar.read(CHUNK), b"")  # no length: sent chunked, as it comes
    try:
        answer = client.api.import_image_from_data(
            chunks,
            changes=["ENV LANG=C.UTF-8", f"LABEL org.oxzep7.kind=rootfs org.oxzep7.suite={suite}"],
        )
    except docker.errors.APIError as exc:
        return None, str(exc.explanation or exc)
    found = _IMAGE_ID.findall(str(answer))
    return (found[-1], None) if found else (None, f"no image id in the answer {answer!r:.200}")


def _remove_image(client: docker.DockerClient, image_id: str) -> None:
    with contextlib.suppress(docker.errors.APIError):
        client.api.remove_image(image_id, force=True, noprune=False)


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
