"""The nox side of oxzep7: one session per cell, one per interpreter base.

A noxfile calls :func:`register` at import time. The plan comes from
``OXZEP7_PLAN`` (a plan.json written by ``oxzep7 run``; the YAML is not read
again) or else from the matrix in ``OXZEP7_MATRIX`` (default: the noxfile's
``matrices/example.yaml``). Results go to ``OXZEP7_RUN_DIR`` (default
``.oxzep7/runs/nox``). A matrix is planned against the package index (cached
for 10 minutes); ``OXZEP7_NO_INDEX=1`` plans from exact pins alone, offline.

    base(py3.13)               builds the interpreter base (and its Debian root fs)
    test(py3.13-click8.1.8)    builds the cell image, runs the tests, records the result

Cells ``require`` their base, so ``nox -s "test(py3.13-click8.1.8)"`` builds
what it needs, and ``nox -j 2`` runs independent cells side by side.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from functools import cache, cached_property
from pathlib import Path

import docker
import nox

from orchestrator import environment, verdict
from orchestrator.build import bases, engine
from orchestrator.errors import (
    BaseImageError,
    DockerLostError,
    DockerUnavailableError,
    Oxzep7Error,
)
from orchestrator.models import Cell, CellResult, Plan
from orchestrator.run import cache as result_cache
from orchestrator.run import cellrun, results, rundir
from orchestrator.run.noxrun import base_session_name, cell_session_name

PLAN_VAR, MATRIX_VAR, RUN_DIR_VAR = "OXZEP7_PLAN", "OXZEP7_MATRIX", "OXZEP7_RUN_DIR"
NO_INDEX_VAR = "OXZEP7_NO_INDEX"  # set: plan from exact pins only, never ask the index
DEFAULT_NOX_RUN_DIR = Path(".oxzep7") / "runs" / "nox"


class Context:
    """The plan the sessions run and the directory their results go to. The directory is
    made when a session first runs, never when nox merely imports the noxfile: ``nox -l``
    must not write anything."""

    def __init__(self, plan: Plan, run_path: Path, *, existing: bool = False) -> None:
        self.plan = plan
        self._run_path = run_path
        self._existing = existing

    @cached_property
    def run(self) -> rundir.RunDir:
        run = rundir.RunDir(self._run_path)
        if self._existing or (run.plan_file.exists() and run.load_plan() == self.plan):
            return run
        return rundir.create(
            self._run_path.parent, self.plan, run_id=self._run_path.name, point_latest=False
        )


def register(default_matrix: Path | None = None) -> Plan:
    """Register the sessions of the plan named by the environment (see module doc)."""
    try:
        context = load_context(default_matrix)
    except Oxzep7Error as exc:
        # nox would print a traceback; a person needs the one line.
        print(f"oxzep7: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    plan = context.plan
    for python in plan.pythons:
        _define(
            base_session_name(python),
            _base_session(context, python),
            f"interpreter base image for Python {python}",
        )
    for cell in plan.cells:
        _define(
            cell_session_name(cell),
            _cell_session(context, cell),
            describe(cell),
            requires=[base_session_name(cell.python)],
        )
    return plan


@cache
def load_context(default_matrix: Path | None) -> Context:
    if os.environ.get(PLAN_VAR):
        plan_file = Path(os.environ[PLAN_VAR]).resolve()
        run_path = Path(os.environ.get(RUN_DIR_VAR) or plan_file.parent).resolve()
        return Context(rundir.RunDir(plan_file.parent).load_plan(), run_path, existing=True)
    matrix_path = os.environ.get(MATRIX_VAR) or default_matrix
    if matrix_path is None:
        raise Oxzep7Error(f"set {PLAN_VAR} or {MATRIX_VAR} to choose what to run")
    # The index is asked at most once per cache freshness window (10 min), so
    # `nox -l` and nox's parallel workers re-importing this file stay cheap. Imported
    # here: a plan.json (what `oxzep7 run` passes) needs neither.
    from orchestrator.plan import resolve
    from orchestrator.plan.matrix import load_matrix

    plan = resolve.plan_matrix(load_matrix(matrix_path), use_index=not os.environ.get(NO_INDEX_VAR))
    run_path = Path(os.environ.get(RUN_DIR_VAR) or DEFAULT_NOX_RUN_DIR).resolve()
    return Context(plan, run_path)


def describe(cell: Cell) -> str:
    """What `nox -l` says of a cell's session."""
    return verdict.describe(cell.axes) + (" (baseline)" if cell.baseline else "")


def _define(
    name: str, func: Callable[[nox.Session], None], doc: str, requires: list[str] | None = None
) -> None:
    func.__doc__ = doc
    func.__name__ = name
    # Bases are pulled in by the cells that require them; listing them as
    # default would only run them twice in the eyes of a reader of `nox -l`.
    nox.session(
        name=name,
        python=False,
        allow_parallel=True,
        requires=requires or None,
        default=requires is not None,
    )(func)


def _base_session(context: Context, python: str) -> Callable[[nox.Session], None]:
    def session(session: nox.Session) -> None:
        started = time.monotonic()
        context.run.bases.mkdir(parents=True, exist_ok=True)
        context.run.base_started(python).touch()
        try:
            _, base = _connect_and_base(context, python, say=session.log)
        except (DockerUnavailableError, DockerLostError) as exc:
            # Nothing is known of the cells: they stay "not run", and a resume runs them.
            session.error(str(exc))
        except Oxzep7Error as exc:
            for cell in context.plan.cells:
                if cell.python == python:
                    _record_error(context, cell, str(exc))
            session.error(str(exc))
        marker = {
            "python": python,
            "tag": base.tag,
            "image_id": base.image_id,
            "built": base.built,
            "duration": round(time.monotonic() - started, 1),
        }
        # The cells' base sessions find what the bases' phase built: its record stays.
        if base.built or not context.run.base_done(python).exists():
            rundir.write_json(context.run.base_done(python), marker)
        session.log(f"base py{python}: {'built' if base.built else 'reused'} {base.tag}")

    return session


def _cell_session(context: Context, cell: Cell) -> Callable[[nox.Session], None]:
    def session(session: nox.Session) -> None:
        context.run.cell(cell.id).mkdir(parents=True, exist_ok=True)
        context.run.cell_started(cell.id).touch()
        env = environment.from_host()
        try:
            client, base = _connect_and_base(context, cell.python, env=env, say=session.log)
        except (DockerUnavailableError, DockerLostError) as exc:
            session.error(str(exc))  # the cell stays "not run"; a resume runs it
        except Oxzep7Error as exc:
            _record_error(context, cell, str(exc))
            session.error(str(exc))
        result = cellrun.run_cell(
            client, context.plan, cell, base_tag=base.tag, env=env, run=context.run
        )
        results.record(context.run, result)
        result_cache.remember(context.run, context.plan, result)  # inputs -> this result
        session.log(
            f"{cell.id}: {result.status} ({result.counts.passed} passed, "
            f"{result.counts.failed + result.counts.errors} failed) "
            f"in {result.duration:.1f}s"
        )
        if result.status != "passed":
            session.error(
                f"{cell.id}: {result.status}: {result.message.splitlines()[0]}"
                if result.message
                else f"{cell.id}: {result.status}"
            )

    return session


def _connect_and_base(
    context: Context,
    python: str,
    *,
    env: environment.BuildEnvironment | None = None,
    say: Callable[[str], None],
) -> tuple[docker.DockerClient, bases.BaseImage]:
    """A client and the base for ``python``. Raises DockerUnavailableError or
    DockerLostError when the daemon is not there, so no cell is judged for it.

    One nox process runs many sessions in turn: the client is made once, and a base
    this process has already checked (its base session ran here) is not checked again."""
    client = _client()
    try:
        with engine.lost_daemon_check(client):
            known = _BASES.get((str(context.run.path), python))
            if known is not None:
                return client, known
            base = _ensure_base(context, client, python, env=env, say=say)
            _BASES[(str(context.run.path), python)] = base
            return client, base
    except BaseImageError as exc:
        if not engine.alive(client):  # a build cut off by the daemon's going away
            raise DockerLostError(str(exc)) from None
        raise


_BASES: dict[tuple[str, str], bases.BaseImage] = {}  # (run directory, python) -> base


@cache
def _client() -> docker.DockerClient:
    """One connection per process (a failed ping is not cached: it raises)."""
    return engine.connect()


def _ensure_base(
    context: Context,
    client: docker.DockerClient,
    python: str,
    *,
    env: environment.BuildEnvironment | None = None,
    say: Callable[[str], None],
) -> bases.BaseImage:
    return bases.ensure_base(
        client,
        context.plan.image_family,
        python,
        env or environment.from_host(),
        bases.BaseOptions(context.run.bases, say=say),
    )


def _record_error(context: Context, cell: Cell, message: str) -> None:
    results.record(
        context.run,
        CellResult(
            cell=cell, status="error", duration=0.0, message=f"base image unavailable: {message}"
        ),
    )
