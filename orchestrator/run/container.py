"""Run one cell's test command in a container, with a timeout and isolation.

create + start + wait, never ``containers.run``: run() pulls missing images and
``auto_remove`` loses exit codes and logs. Files the run produces (JUnit XML,
the resolved package list) are copied out with ``get_archive`` before the
container is removed, so no host directory needs to be writable by it.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from orchestrator.models import RunOptions

JUNIT_PATH = "/tmp/oxzep7-junit.xml"
FREEZE_PATH = "/etc/oxzep7/freeze.txt"
PIDS_LIMIT = 1024


@dataclass(frozen=True)
class Outcome:
    """What a container run produced."""

    exit_code: int | None
    timed_out: bool
    duration: float
    junit_xml: bytes | None
    freeze: str | None


def run_tests(
    client: docker.DockerClient,
    image: str,
    *,
    command: str,
    options: RunOptions,
    log_path: Path,
    labels: Mapping[str, str],
    attempt: int = 1,
) -> Outcome:
    """Run ``command`` in ``image`` (in /project, unprivileged); output goes to ``log_path``."""
    container = client.containers.create(
        image,
        command=["sh", "-c", command],
        working_dir="/project",
        # pytest honours PYTEST_ADDOPTS however the suite is started.
        # OXZEP7_ATTEMPT numbers retries (1 = first run), for suites that care.
        environment={
            "PYTEST_ADDOPTS": f"--junitxml={JUNIT_PATH}",
            "CI": "true",
            "OXZEP7_ATTEMPT": str(attempt),
        },
        network_mode="bridge" if options.network else "none",
        mem_limit=options.memory,
        memswap_limit=options.memory,
        nano_cpus=int(options.cpus * 1e9),
        pids_limit=PIDS_LIMIT,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        labels=dict(labels),
    )
    try:
        started = time.monotonic()
        container.start()
        exit_code, timed_out = _wait(container, options.timeout)
        duration = time.monotonic() - started
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_bytes(container.logs(stdout=True, stderr=True))
        if timed_out:
            with log_path.open("a") as log:
                log.write(f"\n[oxzep7] killed after the {options.timeout} s timeout\n")
        return Outcome(
            exit_code=exit_code,
            timed_out=timed_out,
            duration=duration,
            junit_xml=read_file(container, JUNIT_PATH),
            freeze=_decode(read_file(container, FREEZE_PATH)),
        )
    finally:
        _remove(container)


def _wait(container, timeout: int) -> tuple[int | None, bool]:
    """(exit code, timed out). ``wait(timeout=)`` is only an HTTP read timeout and
    may surface as ConnectionError rather than ReadTimeout, so catch both."""
    try:
        return container.wait(timeout=timeout)["StatusCode"], False
    except requests.exceptions.RequestException:
        pass
    try:
        container.kill()
    except docker.errors.APIError as exc:
        if exc.status_code != 409:  # 409: it exited on its own meanwhile
            raise
    status = container.wait(timeout=60)["StatusCode"]
    return status, True


def read_file(container, path: str) -> bytes | None:
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


def _remove(container) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        container.remove(force=True)
