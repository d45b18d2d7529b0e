"""Run one cell's test command in a container, with a timeout and isolation.

create + start + wait, never ``containers.run``: run() pulls missing images and
``auto_remove`` loses exit codes and logs. The first attempt and its retries run in
the one container (``run.attempts``); the files they produce (JUnit XML, exit codes,
the resolved package list) are copied out with one ``get_archive`` before the
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
import hashlib
import math
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
from orchestrator.run import attempts
from orchestrator.run.rundir import write_text

PROJECT_DIR = "/project"
HOME_DIR = "/home/oxzep7"
# The unprivileged user every base image creates (dockerfiles/base-*.Dockerfile.j2),
# by number: it works even if a suite's image lost its /etc/passwd entry.
TEST_UID = 10001
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
    log_path: Path  # attempt 1's log; a retry's goes beside it (test.attempt2.log)
    labels: Mapping[str, str]
    env: Mapping[str, str] = field(default_factory=dict)  # the project's own variables
    retries: int = 0  # attempts after a failing one, each of the failed tests only

    def attempt_log(self, number: int) -> Path:
        if number == 1:
            return self.log_path
        return self.log_path.with_name(f"{self.log_path.stem}.attempt{number}.log")

    @property
    def mark(self) -> str:
        """The line the script prints between attempts: unlikely in a suite's own output."""
        return f"[oxzep7 {hashlib.sha256(str(self.log_path).encode()).hexdigest()[:12]}] attempt"


@dataclass(frozen=True)
class Outcome:
    """What one attempt produced."""

    exit_code: int | None
    timed_out: bool
    junit_xml: bytes | None
    freeze: str | None  # the image's package set (read once, given to the first attempt)
    oom_killed: bool = False  # the kernel killed a process for exceeding run.memory


def oom_message(options: RunOptions) -> str:
    return f"killed: out of memory (run.memory is {options.memory})"


def run_tests(client: docker.DockerClient, spec: TestRun) -> list[Outcome]:
    """Run ``spec.command`` in ``spec.image`` (in /project, unprivileged), and again for
    each retry while it fails; one Outcome per attempt that started, the first first.
    The logs go to ``spec.attempt_log(n)``. Raises DockerLostError if the daemon goes away."""
    with engine.lost_daemon_check(client):
        container = create(client, spec)
        try:
            return _run(client, container, spec)
        finally:
            _remove(container)


def create(client: docker.DockerClient, spec: TestRun) -> Container:
    """The hardened container of a cell's attempts, created but not started."""
    options = spec.options
    return client.containers.create(
        spec.image,
        command=["sh", "-c", attempts.SCRIPT],
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
    # pytest honours PYTEST_ADDOPTS however the suite is started: the script adds its
    # options to the project's own. OXZEP7_ATTEMPT numbers retries, for suites that care.
    script = attempts.environment(
        spec.command,
        spec.options.timeout,
        spec.retries,
        spec.mark,
        addopts=spec.env.get("PYTEST_ADDOPTS", ""),
    )
    return {**spec.env, **WRITABLE_ENV, **script, "CI": "true"}


def _run(client: docker.DockerClient, container: Container, spec: TestRun) -> list[Outcome]:
    container.start()
    # Each attempt is bounded in the container; this is the backstop if that fails.
    budget = (spec.options.timeout + attempts.KILL_GRACE) * (1 + spec.retries) + 30
    exit_code, killed = _wait(client, container, budget)
    files = attempts.read_files(_read(container, attempts.OUT_DIR))
    count = max(files.count, 1)
    oom_killed = _oom_killed(container, exit_code == SIGKILL_EXIT and not killed)
    log = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
    outcomes = []
    for number, text in enumerate(attempts.split_log(log, spec.mark, count), 1):
        last = number == count
        code = files.exit_codes.get(number, exit_code if last else None)
        timed_out = code == attempts.TIMED_OUT or (last and killed)
        if timed_out:
            text += f"\n[oxzep7] killed after the {spec.options.timeout} s timeout\n"
        if last and oom_killed:
            text += f"\n[oxzep7] {oom_message(spec.options)}\n"
        write_text(spec.attempt_log(number), text)  # atomic: a full disk leaves no half a log
        outcome = Outcome(
            exit_code=code,
            timed_out=timed_out,
            junit_xml=files.junit.get(number),
            freeze=files.freeze if number == 1 else None,
            oom_killed=last and oom_killed,
        )
        outcomes.append(outcome)
    return outcomes


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


def _read(container: Container, path: str) -> bytes | None:
    """``path`` of the (stopped) container as a tar, or None when absent."""
    try:
        chunks, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    return b"".join(chunks)


def _remove(container: Container) -> None:
    """Remove the container and its /project volume. When the daemon is gone this
    cannot work; the run removes its containers by label at its end and on --resume."""
    with contextlib.suppress(docker.errors.DockerException, requests.exceptions.RequestException):
        container.remove(v=True, force=True)
