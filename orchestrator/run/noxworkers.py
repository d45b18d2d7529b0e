"""``-j N`` as N nox processes, each running its share of the sessions in turn.

nox's own ``-j`` starts a nox process for every session (each base and each cell), and
each one imports Python, nox, the noxfile, oxzep7 and the Docker SDK again: on a
small machine that start-up costs more than a warm cell's tests. Here the cells are
dealt round-robin to N nox processes, each run with ``-s`` on its share; a cell's base
session comes along through ``requires=`` (bases are locked and idempotent, so two
processes needing one base build it once). Each process reuses its Docker client and
the bases it checked for every session it runs.

:class:`NoxWorkers` looks like one ``subprocess.Popen`` to the runner (``poll``,
``wait``, ``send_signal``, ``returncode``); their reports are merged into one.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOX_NOXFILE_ERROR = 2
NOX_INTERRUPTED = 130


def deal(names: Sequence[str], jobs: int) -> list[list[str]]:
    """``names`` dealt round-robin to at most ``jobs`` non-empty shares."""
    shares: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(names))))]
    for i, name in enumerate(names):
        shares[i % len(shares)].append(name)
    return shares


class NoxWorkers:
    """Several nox processes, seen as one."""

    def __init__(self, procs: Sequence[subprocess.Popen[bytes]], reports: Sequence[Path]) -> None:
        self.procs = list(procs)
        self.reports = list(reports)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        codes = [proc.poll() for proc in self.procs]
        if any(code is None for code in codes):
            return None
        self.returncode = combine([code for code in codes if code is not None])
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        for proc in self.procs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            proc.wait(timeout=left)  # raises subprocess.TimeoutExpired like Popen.wait
        code = self.poll()
        assert code is not None
        return code

    def send_signal(self, sig: int) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(sig)

    def merge_reports(self, target: Path, earlier: Path | None = None) -> None:
        """The workers' nox reports as one (``result``: the first failing one's), after
        the sessions of an ``earlier`` report of the same run if it is one nox wrote (the
        bases' phase, or the first part of a resumed run); written to ``target`` only when
        every worker left a whole report."""
        merged: dict[str, Any] = {"result": 0, "sessions": []}
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(earlier.read_text()) if earlier else None
            if isinstance(data, dict) and isinstance(data.get("sessions"), list):
                merged = {"result": data.get("result", 0), "sessions": data["sessions"]}
        for path in self.reports:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                return
            finally:
                path.unlink(missing_ok=True)
            merged["sessions"] += data.get("sessions", [])
            merged["result"] = merged["result"] or data.get("result", 0)
        target.write_text(json.dumps(merged, indent=2))


def combine(codes: Sequence[int]) -> int:
    """One exit code for several nox processes: a noxfile error first, then an
    interrupt, then the highest."""
    for special in (NOX_NOXFILE_ERROR, NOX_INTERRUPTED):
        if special in codes:
            return special
    return max(codes, default=0)


@dataclass(frozen=True)
class Outputs:
    """Where the workers write: nox's report (one part each, merged later) and their
    shared log, started afresh unless ``append`` (a resumed run adds to its log)."""

    report: Path
    log: Path
    append: bool = False


def start(
    command: Sequence[str],
    names: Sequence[str],
    jobs: int,
    outputs: Outputs,
    env: Mapping[str, str],
) -> NoxWorkers:
    """Start ``command`` (nox and its options, without ``--report`` and ``-s``) once per
    share of ``names``; every process writes to the log (appending, so lines interleave
    whole) and its own part of the report."""
    report, log, append = outputs.report, outputs.log, outputs.append
    procs: list[subprocess.Popen[bytes]] = []
    reports: list[Path] = []
    if not append:
        log.write_text("")
    with log.open("a") as out:  # O_APPEND: the processes' writes never overwrite each other
        for number, share in enumerate(deal(names, jobs), 1):
            part = report.with_name(f"{report.name}.{number}")
            full = [*command, "--report", str(part), "-s", *share]
            out.write("$ " + " ".join(full) + "\n")
            out.flush()
            procs.append(
                subprocess.Popen(
                    full,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                )
            )
            reports.append(part)
    return NoxWorkers(procs, reports)
