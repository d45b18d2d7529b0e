"""The nox processes of a run: one per Docker engine, each running the sessions of the
cells that engine got (``-j``, ``requires=``: nox schedules), and how they are stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from orchestrator.models import Cell
from orchestrator.run import noxworkers, rundir

NOX_NOXFILE_ERROR = 2
NOX_REPORT_PARTIAL = ".nox-report{}.json.partial"  # renamed once whole


def _suffix(number: int) -> str:
    """Files of the first engine's nox keep their names (nox.log); others are numbered."""
    return "" if number == 1 else f".{number}"


def cell_session_name(cell: Cell) -> str:
    """The nox session of a cell. Named here, not beside the sessions: this module does
    not import nox (a run whose cells are all reused never starts nox, nor imports it)."""
    return f"test({cell.id})"


def base_session_name(python: str) -> str:
    """The nox session that builds (or finds) the interpreter base of ``python``."""
    return f"base(py{python})"


def start(
    run: rundir.RunDir,
    jobs: int,
    session_names: list[str],
    *,
    append: bool = False,
    number: int = 1,
    env: Mapping[str, str] | None = None,
) -> noxworkers.NoxWorkers:
    """Start ``jobs`` nox processes on ``session_names``, each running its share in turn
    (nox's own -j would start one process per session: see run/noxworkers.py); ``env``
    adds to the environment (DOCKER_HOST of an engine)."""
    from orchestrator.run import sessions  # imports nox: only when nox runs

    noxfile = Path(str(resources.files("orchestrator").joinpath("run", "noxfile.py")))
    full_env = {
        **os.environ,
        **(env or {}),
        sessions.PLAN_VAR: str(run.plan_file),
        sessions.RUN_DIR_VAR: str(run.path),
        "NO_COLOR": "1",
    }
    full_env.pop(sessions.MATRIX_VAR, None)
    command = [
        *(sys.executable, "-m", "nox", "--noxfile", str(noxfile), "--no-color"),
        "--no-stop-on-first-error",
    ]
    # A resumed run adds to the log of the first.
    outputs = noxworkers.Outputs(
        report=run.path / NOX_REPORT_PARTIAL.format(_suffix(number)),
        log=run.path / f"nox{_suffix(number)}.log",
        append=append,
    )
    return noxworkers.start(command, session_names, jobs, outputs, full_env)


def keep_report(run: rundir.RunDir, nox: noxworkers.NoxWorkers, number: int = 1) -> None:
    """The nox processes' reports, merged, become nox-report.json only if whole (a full
    disk or a killed nox leaves half of one), so the run directory has no torn file."""
    partial = run.path / NOX_REPORT_PARTIAL.format(_suffix(number))
    final = run.path / f"nox-report{_suffix(number)}.json"
    nox.merge_reports(partial, earlier=final)  # the bases' nox came first: its sessions stay
    try:
        json.loads(partial.read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        partial.unlink(missing_ok=True)
        return
    partial.replace(final)


def stop(nox: noxworkers.NoxWorkers) -> None:
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
