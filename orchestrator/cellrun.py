"""Build and test one cell, turning every outcome into a CellResult.

A failing build, an unreadable JUnit file or a hanging suite is a result of
this cell, never an exception that stops the run.
"""

from __future__ import annotations

import time

import docker
import docker.errors

from orchestrator import cellimage, container, images, junit
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, CellResult, Plan, TestCounts
from orchestrator.rundir import RunDir, write_text

PYTEST_NO_TESTS = 5


def run_cell(
    client: docker.DockerClient,
    plan: Plan,
    cell: Cell,
    *,
    base_tag: str,
    env: BuildEnvironment,
    run: RunDir,
) -> CellResult:
    """Build ``cell``'s image (unless cached), run its tests, and say what happened."""
    started = time.monotonic()
    folder = run.cell(cell.id)
    logs = {"build": str(folder / "build.log")}
    try:
        image = cellimage.ensure_cell_image(
            client,
            plan,
            cell,
            base_tag=base_tag,
            env=env,
            log_path=folder / "build.log",
            run_id=run.run_id,
        )
    except images.BuildFailed as exc:
        return CellResult(
            cell=cell,
            status="error",
            duration=time.monotonic() - started,
            message=f"image build failed: {exc}\n{exc.log_tail}",
            logs=logs,
        )
    logs["test"] = str(folder / "test.log")
    outcome = container.run_tests(
        client,
        image.tag,
        command=plan.project.test,
        options=plan.run,
        log_path=folder / "test.log",
        labels=images.labels("test", cell=cell.id, run=run.run_id),
    )
    packages = _packages(outcome.freeze)
    if outcome.freeze is not None:
        write_text(folder / "requirements.txt", outcome.freeze)
        logs["requirements"] = str(folder / "requirements.txt")
    report, junit_problem = _report(outcome.junit_xml)
    if outcome.junit_xml is not None:
        (folder / "junit.xml").write_bytes(outcome.junit_xml)
        logs["junit"] = str(folder / "junit.xml")
    status, message = _judge(outcome, report, plan.run.timeout)
    if status == "failed" and report is None:
        message += f": {images.tail(folder / 'test.log', 1)}"
    return CellResult(
        cell=cell,
        status=status,
        duration=time.monotonic() - started,
        counts=report.counts if report else TestCounts(),
        failing_tests=report.failing if report else (),
        tests=report.tests if report else {},
        junit=report is not None,
        exit_code=outcome.exit_code,
        image=image.tag,
        image_id=image.image_id,
        packages=packages,
        message="\n".join(m for m in (message, junit_problem) if m),
        logs=logs,
    )


def _report(data: bytes | None) -> tuple[junit.Report | None, str]:
    if data is None:
        return None, ""
    try:
        return junit.parse(data), ""
    except junit.JUnitError as exc:
        return None, f"JUnit report ignored: {exc}"


def _judge(outcome: container.Outcome, report: junit.Report | None, timeout: int):
    """The cell's status: timeout, else the exit code, corroborated by JUnit."""
    if outcome.timed_out:
        return "timeout", f"killed after the {timeout} s timeout"
    if outcome.exit_code == PYTEST_NO_TESTS and report is not None and not report.tests:
        return "failed", "no tests were collected"
    if outcome.exit_code == 0 and not (report and report.failing):
        return "passed", ""
    if report and report.failing:
        return "failed", f"{len(report.failing)} failing test(s)"
    return "failed", f"test command exited with {outcome.exit_code}"


def _packages(freeze: str | None) -> dict[str, str]:
    """``name==version`` lines of ``pip freeze`` as a mapping (other lines kept verbatim)."""
    packages: dict[str, str] = {}
    for line in (freeze or "").splitlines():
        name, sep, version = line.partition("==")
        if sep:
            packages[name.strip()] = version.strip()
        elif line.strip() and not line.startswith("#"):
            packages[line.strip()] = ""
    return packages
