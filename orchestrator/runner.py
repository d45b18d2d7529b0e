"""``oxzep7 run``: plan -> run directory -> nox (one session per cell) -> summary.

nox does the scheduling (``-j``, ``requires=``); this module starts it, turns
the result files that sessions write into progress lines, and on Ctrl-C stops
nox, removes this run's containers and keeps every finished result.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from orchestrator import LABEL_PREFIX, console, verdict
from orchestrator.assess import advisories, exposure
from orchestrator.build import engine
from orchestrator.errors import (
    DOCKER_LOST,
    EXIT_CELLS_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    DamagedResultsError,
    DockerLostError,
    RunError,
)
from orchestrator.models import PASSED, Cell, CellResult, Plan
from orchestrator.report import export, terminal
from orchestrator.run import noxworkers, results, rundir, sessions

POLL_SECONDS = 0.5
DAEMON_CHECK_SECONDS = 2  # how often the daemon is pinged while cells run
HEARTBEAT_SECONDS = 60  # a line at least this often while cells run, for CI logs
NOX_NOXFILE_ERROR = 2
NOX_REPORT_PARTIAL = ".nox-report.json.partial"  # renamed to nox-report.json once whole


@dataclass(frozen=True)
class RunRequest:
    plan: Plan
    runs_root: Path
    jobs: int
    only: tuple[str, ...] = ()
    resume: Path | None = None  # an earlier run directory: run what did not finish there
    # Where known vulnerabilities of the cells' packages come from (None: not checked).
    advisories: advisories.Source | None = None
    report: bool = True  # print the verdict and write the reports at the end (bisect: no)


@dataclass(frozen=True)
class _Active:
    """One run under way: what the steps of ``execute`` pass along."""

    client: docker.DockerClient
    plan: Plan
    run: rundir.RunDir
    cells: tuple[Cell, ...]  # to run now
    judged: tuple[Cell, ...]  # whose statuses decide the exit code
    jobs: int
    resumed: bool = False
    advisories: advisories.Source | None = None
    report: bool = True


def execute(request: RunRequest) -> int:
    """Run the plan; returns the process exit code (0 all passed, 1 some cell did not).
    Raises DockerLostError when the daemon goes away, RunError when the run directory
    cannot be written (a full disk), after keeping every finished result."""
    client = engine.connect()
    run = rundir.RunDir(request.resume.resolve()) if request.resume else None
    if run is None:
        run = rundir.create(request.runs_root.resolve(), request.plan)
    # Innermost first: a Docker connection error is the daemon's, not the disk's
    # (requests' exceptions are OSErrors too).
    with (
        _write_errors(run),
        _only_one_process(run),
        engine.lost_daemon_check(client),
        _terminate_as_interrupt(),
    ):
        active = _resume(request, client, run) if request.resume else _fresh(request, client, run)
        return _execute(replace(active, advisories=request.advisories))


def _fresh(request: RunRequest, client: docker.DockerClient, run: rundir.RunDir) -> _Active:
    plan = request.plan
    selected = tuple(c for c in plan.cells if not request.only or c.id in request.only)
    return _Active(client, plan, run, selected, selected, request.jobs, report=request.report)


def _resume(request: RunRequest, client: docker.DockerClient, run: rundir.RunDir) -> _Active:
    """The cells of an earlier run that did not finish: no result (interrupted, never
    started, or a damaged result.json), or cut short by the daemon going away. The
    others' results are kept."""
    plan = request.plan
    # Containers the earlier run could not remove (the daemon was gone) are found by label.
    _remove_containers(client, run.run_id)
    todo = tuple(
        c
        for c in plan.cells
        if (not request.only or c.id in request.only) and not _finished(run, c.id)
    )
    for cell in todo:  # stale markers would show the cells as running already
        run.cell_started(cell.id).unlink(missing_ok=True)
        run.cell_result(cell.id).unlink(missing_ok=True)
    for python in {cell.python for cell in todo}:
        run.base_started(python).unlink(missing_ok=True)
        run.base_done(python).unlink(missing_ok=True)
    return _Active(
        client, plan, run, todo, plan.cells, request.jobs, resumed=True, report=request.report
    )


def _finished(run: rundir.RunDir, cell_id: str) -> bool:
    try:
        result = results.load_cell_result(run, cell_id)
    except DamagedResultsError:
        return False  # unreadable: run the cell again rather than trust it
    return result is not None and not result.message.startswith(DOCKER_LOST)


@contextmanager
def _only_one_process(run: rundir.RunDir) -> Iterator[None]:
    """One oxzep7 process per run directory: a --resume of a run that is still going
    would run its cells twice. The lock goes with the process, however it ends."""
    with (run.path / ".running.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"{run.path} is in use by another oxzep7 run") from None
        yield


def _execute(active: _Active) -> int:
    run = active.run
    verb = "resuming" if active.resumed else "run"
    console.out.print(
        f"oxzep7 {verb} {run.run_id}: {len(active.cells)} cells, {active.jobs} at a time\n"
        f"  run directory: {run.path}"
    )
    ending = _run_cells(active) if active.cells else "done"
    results.collate(run)
    data = results.load(run.path)  # read back as `oxzep7 report` reads it
    if active.report:
        _conclude(run, data, active)
    _raise_if_lost(run, data, ending)
    if ending == "interrupted":
        console.err.print(f"interrupted: 'oxzep7 run --resume {run.path}' runs the rest")
        return EXIT_INTERRUPTED
    if ending == "noxfile" and not data.cells:
        raise RunError(f"nox could not load the sessions; see {run.path / 'nox.log'}")
    ok = all(data.state(c.id) == PASSED for c in active.judged)
    return EXIT_OK if ok else EXIT_CELLS_FAILED


def _run_cells(active: _Active) -> str:
    """Start nox on the cells and follow it; says how it ended: "done", "noxfile"
    (nox could not load the sessions), "interrupted" or "lost" (the daemon went away)."""
    names = [sessions.cell_session_name(c) for c in active.cells]
    nox = _start_nox(active.run, active.jobs, names, append=active.resumed)
    watcher = _Watcher(active.run, active.plan, [c.id for c in active.cells])
    try:
        ending = _watch(nox, watcher, active.client)
    except KeyboardInterrupt:
        console.err.print("interrupted: stopping nox and this run's containers…")
        _stop(nox)
        return "interrupted"
    finally:
        _remove_containers(active.client, active.run.run_id)
        nox.merge_reports(active.run.path / NOX_REPORT_PARTIAL)
        _keep_nox_report(active.run)
    if ending == "lost":
        _cut_short(nox, active.run, watcher)
        return "lost"
    if nox.returncode != 0 and not engine.alive(active.client):
        return "lost"  # gone between two checks, e.g. while the bases were built
    return "noxfile" if nox.returncode == NOX_NOXFILE_ERROR else "done"


def _keep_nox_report(run: rundir.RunDir) -> None:
    """nox writes its report in place; it becomes nox-report.json only if whole (a full
    disk or a killed nox leaves half of one), so the run directory has no torn file."""
    partial = run.path / NOX_REPORT_PARTIAL
    try:
        json.loads(partial.read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        partial.unlink(missing_ok=True)
        return
    partial.replace(run.path / "nox-report.json")


def _cut_short(nox: noxworkers.NoxWorkers, run: rundir.RunDir, watcher: _Watcher) -> None:
    """The daemon is gone: stop nox, and record the cells that were running as errors
    (a session that noticed first has recorded its own)."""
    in_flight = list(watcher.cells_running)
    console.err.print(f"{DOCKER_LOST}: stopping nox; cells in flight: {', '.join(in_flight)}")
    _stop(nox)
    lost = DockerLostError("it stopped answering while the cell ran").message
    for cell_id in in_flight:
        if results.load_cell_result(run, cell_id) is None:
            cell = run.load_plan().cell(cell_id)
            results.record(run, CellResult(cell=cell, status="error", duration=0.0, message=lost))


def _raise_if_lost(run: rundir.RunDir, data: results.RunResults, ending: str) -> None:
    """After the results are safe: a daemon that went away ends the run with its own code."""
    lost = [c for c in data.cells if c.message.startswith(DOCKER_LOST)]
    if not lost and ending != "lost":
        return
    reason = lost[0].message.removeprefix(f"{DOCKER_LOST}: ") if lost else "no answer"
    cut = f", {len(lost)} cell(s) cut short" if lost else ""
    raise DockerLostError(
        f"{(reason.splitlines() or [''])[0][:160]}{cut}; finished cells are kept in "
        f"{run.results_file}; once it is back: oxzep7 run --resume {run.path}"
    )


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``kill``) cleans up like Ctrl-C: nox is stopped, this
    run's containers are removed and finished results are kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _write_errors(run: rundir.RunDir) -> Iterator[None]:
    """A file of the run that cannot be written (a full disk, most often) stops the run
    with one clear line; what was written before is complete (writes are atomic)."""
    try:
        yield
    except requests.exceptions.RequestException:
        raise
    except OSError as exc:
        where = f"{run.path} ({exc.filename})" if exc.filename else str(run.path)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise RunError(
            f"cannot write to the run directory {where}: {exc.strerror or exc}; "
            + ("free some space, then " if full else "")
            + f"'oxzep7 run --resume {run.path}' runs the cells that did not finish"
        ) from None


def _conclude(run: rundir.RunDir, data: results.RunResults, active: _Active) -> None:
    """The verdict on the terminal; every report and the environments on disk."""
    known = None
    if active.advisories is not None:  # the cells' packages against the advisory source
        known = exposure.check_run(data, active.advisories, allow=active.plan.run.allow_vulnerable)
        exposure.save(run.path, known)
    judgement = verdict.compute(data, exposure=known)
    console.out.print()
    terminal.print_terminal(console.out, data, judgement)
    written = export.write_reports(run.path, data, judgement)
    environments = export.write_environments(run.path, judgement, run.cell)
    console.out.print(f"\nresults: {run.results_file}")
    names = ", ".join(p.name for p in written.values())
    console.out.print(f"reports: {names} (in {run.path})")
    if environments:
        console.out.print(f"environments: {environments}/ (upgrade.diff: baseline -> recommended)")


def _start_nox(
    run: rundir.RunDir, jobs: int, session_names: list[str], *, append: bool = False
) -> noxworkers.NoxWorkers:
    """nox on the sessions: ``jobs`` nox processes, each running its share in turn
    (see run/noxworkers.py: nox's own -j would start one process per session)."""
    noxfile = Path(str(resources.files("orchestrator").joinpath("run", "noxfile.py")))
    env = {
        **os.environ,
        sessions.PLAN_VAR: str(run.plan_file),
        sessions.RUN_DIR_VAR: str(run.path),
        "NO_COLOR": "1",
    }
    env.pop(sessions.MATRIX_VAR, None)
    command = [
        sys.executable,
        "-m",
        "nox",
        "--noxfile",
        str(noxfile),
        "--no-color",
        "--no-stop-on-first-error",
    ]
    # A resumed run adds to the log of the first. nox keeps its own descriptor.
    return noxworkers.start(
        command,
        session_names,
        jobs,
        report=run.path / NOX_REPORT_PARTIAL,
        log=run.path / "nox.log",
        env=env,
        append=append,
    )


def _watch(nox: noxworkers.NoxWorkers, watcher: _Watcher, client: docker.DockerClient) -> str:
    """Print a line as each base and each cell finishes, until nox exits ("done"), or
    until the daemon stops answering ("lost"; nox is still running then)."""
    next_check = time.monotonic() + DAEMON_CHECK_SECONDS
    while True:
        finished = nox.poll() is not None
        watcher.poll()
        if finished:
            return "done"
        if time.monotonic() >= next_check:
            if not engine.alive(client):
                return "lost"
            next_check = time.monotonic() + DAEMON_CHECK_SECONDS
        with contextlib.suppress(subprocess.TimeoutExpired):
            nox.wait(timeout=POLL_SECONDS)  # returns as soon as nox is done


class _Watcher:
    """Turns the files sessions leave in the run directory into progress lines, and
    says which cells are still running when nothing has finished for a while.

    Each poll only looks for what has not happened yet, and reads a file once."""

    def __init__(self, run: rundir.RunDir, plan: Plan, cell_ids: list[str]) -> None:
        self.run, self.total = run, len(cell_ids)
        # Only the bases of these cells run (other cells of a resumed run are done).
        self.bases_waiting = [
            p for p in plan.pythons if any(plan.cell(c).python == p for c in cell_ids)
        ]
        self.bases_running: list[str] = []
        self.cells_waiting = list(cell_ids)
        self.cells_running: dict[str, float] = {}  # cell id -> when it was seen starting
        self.cells_done = 0
        self.last_line = time.monotonic()

    def poll(self) -> None:
        self._bases()
        self._cells()
        self._heartbeat()

    def say(self, text: str) -> None:
        console.out.print(text)
        self.last_line = time.monotonic()

    def _bases(self) -> None:
        for python in [p for p in self.bases_waiting if self.run.base_started(p).exists()]:
            self.bases_waiting.remove(python)
            self.bases_running.append(python)
            self.say(f"  base py{python}: checking / building…")
        for python in [p for p in self.bases_running if self.run.base_done(p).exists()]:
            self.bases_running.remove(python)
            marker = json.loads(self.run.base_done(python).read_text())
            verb = "built" if marker["built"] else "reused"
            self.say(f"  base py{python} {verb} ({marker['duration']:.0f}s)")

    def _cells(self) -> None:
        for cell_id in [c for c in self.cells_waiting if self.run.cell_started(c).exists()]:
            self.cells_waiting.remove(cell_id)
            self.cells_running[cell_id] = time.monotonic()
        # A cell whose base failed gets its result without ever starting.
        for cell_id in [*self.cells_running, *self.cells_waiting]:
            result = results.load_cell_result(self.run, cell_id)
            if result is None:
                continue
            self.cells_running.pop(cell_id, None)
            if cell_id in self.cells_waiting:
                self.cells_waiting.remove(cell_id)
            self.cells_done += 1
            console.progress(self.cells_done, self.total, terminal.progress_line(result))
            self.last_line = time.monotonic()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if self.cells_running and now - self.last_line >= HEARTBEAT_SECONDS:
            ages = ", ".join(f"{c} ({_age(now - t)})" for c, t in self.cells_running.items())
            self.say(f"  … still running: {ages}")


def _age(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _stop(nox: noxworkers.NoxWorkers) -> None:
    """nox got the same SIGINT from the terminal; make sure it is gone."""
    for sig, grace in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if nox.poll() is not None:
            return
        nox.send_signal(sig)
        try:
            nox.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:
            continue


def _remove_containers(client: docker.DockerClient, run_id: str) -> None:
    """Containers left by an interrupted session (labelled with this run's id)."""
    try:
        # sparse: no inspect per container, which fails for one removed meanwhile
        leftovers = client.containers.list(
            all=True, sparse=True, filters={"label": f"{LABEL_PREFIX}.run={run_id}"}
        )
        for container in leftovers:
            with contextlib.suppress(docker.errors.NotFound):  # gone by itself
                container.remove(v=True, force=True)
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        pass  # the daemon is gone: a resume removes them (they carry the run's label)
