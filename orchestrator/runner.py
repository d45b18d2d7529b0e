"""``oxzep7 run``: plan -> run directory -> nox (one session per cell) -> summary.

nox does the scheduling (``-j``, ``requires=``); this module starts it, turns
the result files that sessions write into progress lines, and on Ctrl-C stops
nox, removes this run's containers and keeps every finished result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import docker
import docker.errors

from orchestrator import LABEL_PREFIX, console, verdict
from orchestrator.build import engine
from orchestrator.errors import EXIT_CELLS_FAILED, EXIT_INTERRUPTED, EXIT_OK, RunError
from orchestrator.models import PASSED, Plan
from orchestrator.report import export, terminal
from orchestrator.run import results, rundir, sessions

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 60  # a line at least this often while cells run, for CI logs
NOX_NOXFILE_ERROR = 2


@dataclass(frozen=True)
class RunRequest:
    plan: Plan
    runs_root: Path
    jobs: int
    only: tuple[str, ...] = ()


def execute(request: RunRequest) -> int:
    """Run the plan; returns the process exit code (0 all passed, 1 some cell did not)."""
    client = engine.connect()
    plan = request.plan
    run = rundir.create(request.runs_root.resolve(), plan)
    selected = [c for c in plan.cells if not request.only or c.id in request.only]
    console.out.print(
        f"oxzep7 run {run.run_id}: {len(selected)} cells, {request.jobs} at a time\n"
        f"  run directory: {run.path}"
    )
    interrupted = False
    nox = _start_nox(run, request.jobs, [sessions.cell_session_name(c) for c in selected])
    try:
        _watch(nox, run, plan, len(selected))
    except KeyboardInterrupt:
        interrupted = True
        console.err.print("interrupted: stopping nox and this run's containers…")
        _stop(nox)
    finally:
        _remove_containers(client, run.run_id)
    results.collate(run)
    data = results.load(run.path)  # read back as `oxzep7 report` reads it
    _conclude(run, data)
    if interrupted:
        return EXIT_INTERRUPTED
    if nox.returncode == NOX_NOXFILE_ERROR and not data.cells:
        raise RunError(f"nox could not load the sessions; see {run.path / 'nox.log'}")
    ok = all(data.state(c.id) == PASSED for c in selected)
    return EXIT_OK if ok else EXIT_CELLS_FAILED


def _conclude(run: rundir.RunDir, data: results.RunResults) -> None:
    """The verdict on the terminal; every report and the environments on disk."""
    judgement = verdict.compute(data)
    console.out.print()
    terminal.print_terminal(console.out, data, judgement)
    written = export.write_reports(run, data, judgement)
    environments = export.write_environments(run, judgement)
    console.out.print(f"\nresults: {run.results_file}")
    names = ", ".join(p.name for p in written.values())
    console.out.print(f"reports: {names} (in {run.path})")
    if environments:
        console.out.print(f"environments: {environments}/ (upgrade.diff: baseline -> recommended)")


def _start_nox(run: rundir.RunDir, jobs: int, session_names: list[str]) -> subprocess.Popen:
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
        "-j",
        str(jobs),
        "--report",
        str(run.path / "nox-report.json"),
        "--no-stop-on-first-error",
        "-s",
        *session_names,
    ]
    with (run.path / "nox.log").open("w") as log:  # nox keeps its own descriptor
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
        )


def _watch(nox: subprocess.Popen, run: rundir.RunDir, plan: Plan, total: int) -> None:
    """Print a line as each base and each cell finishes, until nox exits."""
    watcher = _Watcher(run, plan, total)
    while True:
        finished = nox.poll() is not None
        watcher.poll()
        if finished:
            return
        time.sleep(POLL_SECONDS)


class _Watcher:
    """Turns the files sessions leave in the run directory into progress lines, and
    says which cells are still running when nothing has finished for a while.

    Each poll only looks for what has not happened yet, and reads a file once."""

    def __init__(self, run: rundir.RunDir, plan: Plan, total: int) -> None:
        self.run, self.total = run, total
        self.bases_waiting = list(plan.pythons)  # base session not started yet
        self.bases_running: list[str] = []
        self.cells_waiting = [cell.id for cell in plan.cells]
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


def _stop(nox: subprocess.Popen) -> None:
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
        leftovers = client.containers.list(
            all=True, filters={"label": f"{LABEL_PREFIX}.run={run_id}"}
        )
        for container in leftovers:
            container.remove(force=True)
    except docker.errors.DockerException:
        pass
