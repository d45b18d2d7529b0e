"""``oxzep7 run``: plan -> run directory -> nox (one session per cell) -> summary.

nox does the scheduling (``-j``, ``requires=``); this module starts it (one nox per
Docker engine, each with the cells that engine got; first, when an engine lacks bases
its cells need, a nox that builds them all at once: ``run.basephase``), turns the result files that
sessions write into progress lines, and on Ctrl-C stops nox, removes this run's
containers and keeps every finished result. Before nox starts, each cell whose inputs
are all unchanged since an earlier run reuses that result (``run.cache``); when every
cell does, nox is not started at all.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from orchestrator import LABEL_PREFIX, console, environment, interrupts
from orchestrator.assess import advisories
from orchestrator.build import engine, images
from orchestrator.conclude import conclude
from orchestrator.errors import (
    DOCKER_LOST,
    EXIT_INTERRUPTED,
    DamagedResultsError,
    DockerLostError,
    RunError,
)
from orchestrator.history import dates, failon
from orchestrator.models import PASSED, Cell, CellResult, Plan
from orchestrator.plan.index import IndexClient
from orchestrator.run import (
    basephase,
    cache,
    collate,
    engines,
    noxrun,
    noxworkers,
    progress,
    results,
    rundir,
)

POLL_SECONDS = 0.5
DAEMON_CHECK_SECONDS = 2  # how often the daemons are pinged while cells run
Nox = tuple[engines.Engine, int, noxworkers.NoxWorkers]  # engine, its number, its nox


@dataclass(frozen=True)
class RunRequest:
    plan: Plan
    runs_root: Path
    jobs: int  # cells at once, on each engine
    only: tuple[str, ...] = ()
    resume: Path | None = None  # an earlier run directory: run what did not finish there
    engines: tuple[str, ...] = ()  # engine URLs (DOCKER_HOST forms); () = the default one
    rerun: bool = False  # never reuse an earlier result
    fail_on: str = "any"  # see orchestrator.history.failon
    index_url: str | None = None  # the index the plan was resolved on (upload dates)
    # Where known vulnerabilities of the cells' packages come from (None: not checked).
    advisories: advisories.Source | None = None
    report: bool = True  # print the verdict and write the reports at the end (bisect: no)


@dataclass(frozen=True)
class _Active:
    """One run under way: what the steps of ``execute`` pass along."""

    engines: tuple[engines.Engine, ...]
    plan: Plan
    run: rundir.RunDir
    cells: tuple[Cell, ...]  # to run now
    judged: tuple[Cell, ...]  # whose statuses decide the exit code
    jobs: int
    resumed: bool = False


def execute(request: RunRequest) -> int:
    """Run the plan; returns the process exit code (0 all passed, 1 some cell did not,
    as ``request.fail_on`` judges). Raises DockerLostError when a daemon goes away,
    RunError when the run directory cannot be written (a full disk), after keeping
    every finished result."""
    fleet = engines.connect_all(request.engines)
    run = rundir.RunDir(request.resume.resolve()) if request.resume else None
    if run is None:
        run = rundir.create(request.runs_root.resolve(), request.plan)
    # Innermost first: a Docker connection error is the daemon's, not the disk's
    # (requests' exceptions are OSErrors too).
    with ExitStack() as stack:
        stack.enter_context(_write_errors(run))
        stack.enter_context(_only_one_process(run))
        for member in fleet:
            stack.enter_context(engine.lost_daemon_check(member.client))
        stack.enter_context(interrupts.terminate_as_interrupt())
        active = _resume(request, fleet, run) if request.resume else _fresh(request, fleet, run)
        _record(run, request, fleet)
        return _execute(active, request)


def _fresh(request: RunRequest, fleet: tuple[engines.Engine, ...], run: rundir.RunDir) -> _Active:
    plan = request.plan
    selected = tuple(c for c in plan.cells if not request.only or c.id in request.only)
    return _Active(fleet, plan, run, selected, selected, request.jobs)


def _resume(request: RunRequest, fleet: tuple[engines.Engine, ...], run: rundir.RunDir) -> _Active:
    """The cells of an earlier run that did not finish: no result (interrupted, never
    started, or a damaged result.json), or cut short by the daemon going away. The
    others' results are kept."""
    plan = request.plan
    # Containers the earlier run could not remove (the daemon was gone) are found by label.
    for member in fleet:
        _remove_containers(member.client, run.run_id)
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
    return _Active(fleet, plan, run, todo, plan.cells, request.jobs, resumed=True)


def _finished(run: rundir.RunDir, cell_id: str) -> bool:
    try:
        result = results.load_cell_result(run, cell_id)
    except DamagedResultsError:
        return False  # unreadable: run the cell again rather than trust it
    return result is not None and not result.message.startswith(DOCKER_LOST)


def _record(run: rundir.RunDir, request: RunRequest, fleet: tuple[engines.Engine, ...]) -> None:
    """run.json: what a later diff or report needs to know of this run."""
    meta = {"engines": ", ".join(member.name for member in fleet), "fail_on": request.fail_on}
    if request.index_url:
        meta["index"] = IndexClient(request.index_url).url  # without credentials
    rundir.write_json(run.path / "run.json", meta)


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


def _execute(active: _Active, request: RunRequest) -> int:
    run = active.run
    env = environment.from_host()  # what the host lends builds: part of every image tag
    reused = () if request.rerun else _reuse(active, env)
    todo = tuple(c for c in active.cells if c.id not in {r.cell.id for r in reused})
    verb = "resuming" if active.resumed else "run"
    on = f" on {len(active.engines)} engines" if len(active.engines) > 1 else ""
    cached = f" ({len(reused)} cached)" if reused else ""
    console.out.print(
        f"oxzep7 {verb} {run.run_id}: {len(active.cells)} cells{cached}, "
        f"{active.jobs} at a time{on}\n  run directory: {run.path}"
    )
    for number, result in enumerate(reused, start=1):
        progress.cell_done(number, len(active.cells), result)
    ending = _run_cells(replace(active, cells=todo), env, done=len(reused)) if todo else "done"
    collate.mark_origin(run, active.plan, [c.id for c in active.cells])
    judged = [c.id for c in active.judged]
    if request.report:
        lookup = dates.from_index(request.index_url) if request.index_url else None
        end = conclude(
            run,
            fail_on=request.fail_on,
            judged=judged,
            lookup=lookup,
            advisories=(request.advisories, active.plan.run.allow_vulnerable),
        )
        data, failures = end.results, end.failures
    else:  # results only: no verdict, no reports (bisect's runs)
        results.collate(run)
        data = results.load(run.path)
        failures = tuple(f"{c}: {data.state(c)}" for c in judged if data.state(c) != PASSED)
    _raise_if_lost(run, data, ending)
    if ending == "interrupted":
        console.err.print(f"interrupted: 'oxzep7 run --resume {run.path}' runs the rest")
        return EXIT_INTERRUPTED
    if ending == "noxfile" and not data.cells:
        raise RunError(f"nox could not load the sessions; see {run.path / 'nox.log'}")
    return failon.exit_code(failures)


def _reuse(active: _Active, env: environment.BuildEnvironment) -> tuple[CellResult, ...]:
    """The cells whose inputs are all unchanged since a result of theirs: reused."""
    found = []
    snapshots = [cache.Images(member.client) for member in active.engines]
    for cell in active.cells:
        for snapshot in snapshots:
            try:
                image = cache.expected_image(snapshot, active.plan, cell, env)
            except images.BuildFailed:
                image = None  # the project's sdist cannot be made: the build will say why
            result = cache.reuse(active.run, active.plan, cell, image) if image else None
            if result is not None:
                found.append(result)
                break
    return tuple(found)


def _run_cells(active: _Active, env: environment.BuildEnvironment, done: int = 0) -> str:
    """Run the cells: first, on each engine, the bases its cells need and lack, all at
    once; then nox on each engine's cells, ``jobs`` at a time. Says how it ended:
    "done", "noxfile" (nox could not load the sessions), "interrupted" or "lost" (a
    daemon went away)."""
    shares = engines.assign(active.cells, len(active.engines))
    watcher = progress.Watcher(active.run, active.plan, [c.id for c in active.cells], done=done)
    missing_bases = [
        basephase.missing(m.client, active.plan, share, env)
        for m, share in zip(active.engines, shares, strict=False)
    ]
    if any(missing_bases):
        # A base build mostly waits on the mirror, the index and the disk; built one
        # after another behind the cells that need them, they were most of a cold run.
        bases = [(names, min(len(names), basephase.AT_ONCE)) for names in missing_bases]
        ending = _follow(active, bases, watcher, append=active.resumed, what="bases")
        if ending != "done":
            return ending
        # A base that failed has recorded its cells as errors: they are done.
        shares = [
            [c for c in share if not active.run.cell_result(c.id).exists()] for share in shares
        ]
        if not any(shares):
            return ending
    cells = [([noxrun.cell_session_name(c) for c in share], active.jobs) for share in shares]
    appended = active.resumed or any(missing_bases)  # to the bases' nox.log
    return _follow(active, cells, watcher, append=appended, what="cells")


def _follow(
    active: _Active,
    work: list[tuple[list[str], int]],
    watcher: progress.Watcher,
    *,
    append: bool,
    what: str,
) -> str:
    """Start nox on each engine's sessions (``work``: names and processes per engine), and
    follow them to the end; on Ctrl-C stop them. Either way remove the run's containers
    and keep nox's reports."""
    noxes: list[Nox] = []
    for number, (member, (names, jobs)) in enumerate(zip(active.engines, work, strict=False), 1):
        if names:
            nox = noxrun.start(
                active.run, jobs, names, append=append, number=number, env=member.env
            )
            noxes.append((member, number, nox))
    if len(noxes) > 1:
        console.lines(
            [
                f"  {m.name}: {len(n)} {what}"
                for m, (n, _) in zip(active.engines, work, strict=False)
                if n
            ]
        )
    try:
        ending = _watch(noxes, watcher)
    except KeyboardInterrupt:
        console.err.print("interrupted: stopping nox and this run's containers…")
        for _, _, nox in noxes:
            noxrun.stop(nox)
        return "interrupted"
    finally:
        for member, number, nox in noxes:
            _remove_containers(member.client, active.run.run_id)
            noxrun.keep_report(active.run, nox, number)
    return _ending(ending, noxes, active.run, watcher)


def _ending(ending: str, noxes: list[Nox], run: rundir.RunDir, watcher: progress.Watcher) -> str:
    if ending == "lost":
        _cut_short(noxes, run, watcher)
        return "lost"
    failed = [member for member, _, nox in noxes if nox.returncode != 0]
    if any(not engine.alive(member.client) for member in failed):
        return "lost"  # gone between two checks, e.g. while the bases were built
    codes = [nox.returncode for _, _, nox in noxes]
    return "noxfile" if noxrun.NOX_NOXFILE_ERROR in codes else "done"


def _watch(noxes: list[Nox], watcher: progress.Watcher) -> str:
    """Print a line as each base and each cell finishes, until every nox exits ("done"),
    or until a daemon stops answering ("lost"; nox is still running then)."""
    next_check = time.monotonic() + DAEMON_CHECK_SECONDS
    while True:
        finished = all(nox.poll() is not None for _, _, nox in noxes)
        watcher.poll()
        if finished:
            return "done"
        if time.monotonic() >= next_check:
            if not all(engine.alive(member.client) for member, _, _ in noxes):
                return "lost"
            next_check = time.monotonic() + DAEMON_CHECK_SECONDS
        waiting = next(nox for _, _, nox in noxes if nox.returncode is None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=POLL_SECONDS)  # returns as soon as that nox is done


def _cut_short(noxes: list[Nox], run: rundir.RunDir, watcher: progress.Watcher) -> None:
    """A daemon is gone: stop nox, and record the cells that were running as errors
    (a session that noticed first has recorded its own)."""
    in_flight = list(watcher.cells_running)
    console.err.print(f"{DOCKER_LOST}: stopping nox; cells in flight: {', '.join(in_flight)}")
    for _, _, nox in noxes:
        noxrun.stop(nox)
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
