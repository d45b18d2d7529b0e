"""Faults without Docker: run ids that never collide, what a resume runs again, how an
out-of-memory kill is judged, and a full disk turned into one clear error."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from orchestrator import runner
from orchestrator.errors import DOCKER_LOST, EXIT_DOCKER_LOST, DockerLostError, RunError
from orchestrator.models import Cell, CellResult, Plan, Project, RunOptions
from orchestrator.run import cellrun, container, engines, results, rundir
from tests.conftest import EXAMPLE

CELLS = (
    Cell(id="py3.11-click7.1.2", python="3.11", deps={"click": "7.1.2"}, baseline=True),
    Cell(id="py3.11-click8.0.0", python="3.11", deps={"click": "8.0.0"}),
    Cell(id="py3.11-click8.1.0", python="3.11", deps={"click": "8.1.0"}),
    Cell(id="py3.11-click8.1.8", python="3.11", deps={"click": "8.1.8"}),
)
PLAN = Plan(
    name="demo",
    matrix_path=Path("matrix.yaml"),
    project=Project(EXAMPLE),  # plan.json is checked when read back: the path must exist
    image_family="debian",
    constraints=(),
    run=RunOptions(memory="64m"),
    cells=CELLS,
)


def test_runs_started_in_the_same_second_get_their_own_directories(tmp_path, monkeypatch):
    monkeypatch.setattr(rundir.time, "strftime", lambda _: "20260101-120000")
    first = rundir.create(tmp_path, PLAN)
    second = rundir.create(tmp_path, PLAN)
    assert first.run_id == "20260101-120000-demo"
    assert second.run_id == "20260101-120000-demo-2"
    assert os.readlink(tmp_path / "latest") == second.run_id
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".latest")] == []


def test_a_resume_runs_cells_without_a_result_or_cut_short_by_the_daemon(tmp_path):
    run = rundir.create(tmp_path, PLAN, run_id="r1")
    results.record(run, CellResult(cell=CELLS[0], status="passed", duration=1.0))
    results.record(run, CellResult(cell=CELLS[1], status="error", duration=1.0, message="boom"))
    lost = DockerLostError("connection refused").message
    results.record(run, CellResult(cell=CELLS[2], status="error", duration=1.0, message=lost))
    run.cell_started(CELLS[2].id).touch()
    run.cell(CELLS[3].id).mkdir(parents=True)
    run.cell_result(CELLS[3].id).write_text('{"cell": ')  # damaged: run it again
    request = runner.RunRequest(plan=PLAN, runs_root=tmp_path, jobs=1, resume=run.path)
    active = runner._resume(request, (engines.Engine(None, _NoContainers()),), run)
    assert [c.id for c in active.cells] == ["py3.11-click8.1.0", "py3.11-click8.1.8"]
    assert active.judged == CELLS
    # The cut-short cell's stale result and marker are gone, the others are kept.
    assert not run.cell_result("py3.11-click8.1.0").exists()
    assert not run.cell_started("py3.11-click8.1.0").exists()
    assert results.load_cell_result(run, "py3.11-click8.0.0").message == "boom"


def test_a_run_directory_in_use_cannot_be_resumed_at_the_same_time(tmp_path):
    run = rundir.create(tmp_path, PLAN, run_id="r1")
    with (
        runner._only_one_process(run),
        pytest.raises(RunError, match="in use by another"),
        runner._only_one_process(run),
    ):
        pass


def test_the_lost_daemon_has_its_own_exit_code_and_message():
    error = DockerLostError("connection refused")
    assert error.exit_code == EXIT_DOCKER_LOST == 8
    assert str(error) == f"{DOCKER_LOST}: connection refused"


def test_an_out_of_memory_kill_is_an_error_naming_the_limit():
    outcome = container.Outcome(
        exit_code=137, timed_out=False, junit_xml=None, freeze=None, oom_killed=True
    )
    status, message = cellrun._judge(outcome, None, PLAN.run)
    assert (status, message) == ("error", "killed: out of memory (run.memory is 64m)")


def test_a_full_disk_is_one_clear_error(tmp_path):
    run = rundir.RunDir(tmp_path / "r1")
    with pytest.raises(RunError) as caught, runner._write_errors(run):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "No space left on device" in str(caught.value)
    assert f"oxzep7 run --resume {run.path}" in str(caught.value)


def test_the_test_environment_points_every_cache_at_a_writable_place():
    spec = container.TestRun(
        image="x",
        command="true",
        options=RunOptions(),
        log_path=Path("test.log"),
        labels={},
        env={"PYTEST_ADDOPTS": "-p no:cacheprovider", "FOO": "1"},
    )
    env = container._environment(spec)
    assert env["HOME"] == container.HOME_DIR
    assert env["TMPDIR"] == "/tmp"
    assert env["FOO"] == "1"
    # The project's options reach pytest with the attempt's own (see run/attempts.py).
    assert env["OXZEP7_PYTEST_ADDOPTS"] == "-p no:cacheprovider"
    assert env["OXZEP7_COMMAND"] == "true"


class _NoContainers:
    """Just enough of a DockerClient for a resume's cleanup of leftover containers."""

    class containers:  # the SDK attribute's name
        @staticmethod
        def list(**_: object) -> list:
            return []


def test_a_sigkill_the_engine_did_not_explain_is_still_not_a_bare_failure():
    outcome = container.Outcome(exit_code=137, timed_out=False, junit_xml=None, freeze=None)
    status, message = cellrun._judge(outcome, None, PLAN.run)
    assert status == "error"
    assert message.startswith("killed by SIGKILL (exit 137), probably out of memory")
    assert "run.memory is 64m" in message
