"""Run one cell's test command in a container, with a timeout and isolation.

create + start + wait, never ``containers.run``: run() pulls missing images and
``auto_remove`` loses exit codes and logs. Files the run produces (JUnit XML,
the resolved package list) are copied out with ``get_archive`` before the
container is removed, so no host directory needs to be writable by it.

The container is hardened: an unprivileged user, every capability dropped,
no-new-privileges, no network unless ``run.network``, a read-only root
filesystem, and memory, CPU and process limits. Suites still need somewhere to
write: /tmp and the home directory are tmpfs, and /project is an anonymous
volume (Docker fills a new volume from the image's /project), removed with the
container.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import Mount

from orchestrator.build import engine
from orchestrator.models import RunOptions
from orchestrator.run.rundir import write_text

PROJECT_DIR = "/project"
HOME_DIR = "/home/oxzep7"
# The unprivileged user every base image creates (dockerfiles/base-*.Dockerfile.j2),
# by number: it works even if a suite's image lost its /etc/passwd entry.
TEST_UID = 10001
# On the /project volume, not in /tmp: a tmpfs is emptied when the container stops,
# a volume keeps its files until the container is removed, so get_archive finds them.
JUNIT_PATH = f"{PROJECT_DIR}/.oxzep7-junit.xml"
FREEZE_PATH = "/etc/oxzep7/freeze.txt"
RERUN_CACHE = "/tmp/.oxzep7-pytest-cache"  # a retry's pytest cache (see TestRun.rerun)
PIDS_LIMIT = 1024
SIGKILL_EXIT = 128 + 9  # what sh reports for a child killed by SIGKILL (the OOM killer's)
OOM_EVENT_GRACE = 2.0  # seconds
# tmpfs mounts are noexec unless told otherwise; suites run helpers they write to /tmp.
TMPFS = {
    "/tmp": "rw,exec,nosuid,nodev,mode=1777",
    HOME_DIR: f"rw,exec,nosuid,nodev,uid={TEST_UID},gid={TEST_UID},mode=0700",
}
# HOME, TMPDIR and the caches tools write to must point at writable places.
WRITABLE_ENV = {
    "HOME": HOME_DIR,
    "TMPDIR": "/tmp",
    "XDG_CACHE_HOME": "/tmp/.cache",
    "PIP_CACHE_DIR": "/tmp/.cache/pip",
}


@dataclass(frozen=True)
class TestRun:
    """One attempt at a cell's tests: what runs, in which image, under which limits."""

    __test__ = False  # not a pytest test class, despite the name

    image: str
    command: str
    options: RunOptions
    log_path: Path
    labels: Mapping[str, str]
    attempt: int = 1  # OXZEP7_ATTEMPT: 1 for the first run, 2 for the first retry...
    env: Mapping[str, str] = field(default_factory=dict)  # the project's own variables
    # A retry: the test ids that failed before. pytest runs only those (--last-failed,
    # with a cache written from them); if none of them is found it runs everything.
    rerun: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a container run produced."""

    exit_code: int | None
    timed_out: bool
    duration: float
    junit_xml: bytes | None
    freeze: str | None
    oom_killed: bool = False  # the kernel killed a process for exceeding run.memory


def oom_message(options: RunOptions) -> str:
    return f"killed: out of memory (run.memory is {options.memory})"


def run_tests(client: docker.DockerClient, spec: TestRun) -> Outcome:
    """Run ``spec.command`` in ``spec.image`` (in /project, unprivileged); its output
    goes to ``spec.log_path``. Raises DockerLostError if the daemon goes away."""
    with engine.lost_daemon_check(client):
        container = create(client, spec)
        try:
            return _run(client, container, spec)
        finally:
            _remove(container)


def create(client: docker.DockerClient, spec: TestRun) -> Container:
    """The hardened container of one attempt, created but not started."""
    options = spec.options
    return client.containers.create(
        spec.image,
        command=["sh", "-c", _command(spec)],
        working_dir=PROJECT_DIR,
        user=f"{TEST_UID}:{TEST_UID}",
        environment=_environment(spec),
        read_only=True,
        tmpfs=dict(TMPFS),
        mounts=[Mount(target=PROJECT_DIR, source=None, type="volume")],
        network_mode="bridge" if options.network else "none",
        mem_limit=options.memory,
        memswap_limit=options.memory,  # the same value: no swap on top
        nano_cpus=int(options.cpus * 1e9),
        pids_limit=PIDS_LIMIT,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        labels=dict(spec.labels),
    )


def _environment(spec: TestRun) -> dict[str, str]:
    # pytest honours PYTEST_ADDOPTS however the suite is started (the project's own
    # options are kept). OXZEP7_ATTEMPT numbers retries, for suites that care.
    addopts = f"{spec.env.get('PYTEST_ADDOPTS', '')} --junitxml={JUNIT_PATH}".strip()
    rerun = {}
    if spec.rerun:
        addopts += f" --last-failed -o cache_dir={RERUN_CACHE}"
        rerun = {"OXZEP7_LAST_FAILED": json.dumps(dict.fromkeys(spec.rerun, True))}
    return {
        **spec.env,
        **WRITABLE_ENV,
        **rerun,
        "PYTEST_ADDOPTS": addopts,
        "CI": "true",
        "OXZEP7_ATTEMPT": str(spec.attempt),
    }


def _command(spec: TestRun) -> str:
    """The test command; a retry first writes pytest's last-failed cache (on the tmpfs)."""
    if not spec.rerun:
        return spec.command
    folder = f"{RERUN_CACHE}/v/cache"
    return (
        f'mkdir -p {folder} && printf %s "$OXZEP7_LAST_FAILED" > {folder}/lastfailed; '
        + spec.command
    )


def _run(client: docker.DockerClient, container: Container, spec: TestRun) -> Outcome:
    started = time.monotonic()
    container.start()
    exit_code, timed_out = _wait(client, container, spec.options.timeout)
    duration = time.monotonic() - started
    oom_killed = _oom_killed(container, exit_code == SIGKILL_EXIT and not timed_out)
    log = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
    if timed_out:
        log += f"\n[oxzep7] killed after the {spec.options.timeout} s timeout\n"
    if oom_killed:
        log += f"\n[oxzep7] {oom_message(spec.options)}\n"
    write_text(spec.log_path, log)  # atomic: a full disk leaves no half a log
    return Outcome(
        exit_code=exit_code,
        timed_out=timed_out,
        duration=duration,
        junit_xml=read_file(container, JUNIT_PATH),
        # A retry's package set is its image's, read already by the first attempt.
        freeze=None if spec.rerun else _decode(read_file(container, FREEZE_PATH)),
        oom_killed=oom_killed,
    )


def _oom_killed(container: Container, likely: bool) -> bool:
    """Whether the kernel killed the suite for exceeding the memory limit. The engine
    learns it from an event that can arrive just after the exit one, so a SIGKILL exit
    (how an OOM kill looks) gets a moment for the flag to appear."""
    deadline = time.monotonic() + (OOM_EVENT_GRACE if likely else 0)
    while True:
        container.reload()
        if container.attrs.get("State", {}).get("OOMKilled"):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _wait(
    client: docker.DockerClient, container: Container, timeout: int
) -> tuple[int | None, bool]:
    """(exit code, timed out). ``wait(timeout=)`` is only an HTTP read timeout and may
    surface as ConnectionError rather than ReadTimeout, so a dropped connection before
    the deadline is waited out again while the daemon lives (and raised when it does not)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            return container.wait(timeout=max(1, math.ceil(left)))["StatusCode"], False
        except requests.exceptions.RequestException:
            if not engine.alive(client):
                raise
    try:
        container.kill()
    except docker.errors.APIError as exc:
        if exc.status_code != 409:  # 409: it exited on its own meanwhile
            raise
    status = container.wait(timeout=60)["StatusCode"]
    return status, True


def read_file(container: Container, path: str) -> bytes | None:
    """The content of ``path`` in the (stopped) container, or None when absent."""
    try:
        chunks, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
        member = archive.next()
        handle = archive.extractfile(member) if member else None
        return handle.read() if handle else None


def _decode(data: bytes | None) -> str | None:
    return data.decode("utf-8", errors="replace") if data is not None else None


def _remove(container: Container) -> None:
    """Remove the container and its /project volume. When the daemon is gone this
    cannot work; the run removes its containers by label at its end and on --resume."""
    with contextlib.suppress(docker.errors.DockerException, requests.exceptions.RequestException):
        container.remove(v=True, force=True)
