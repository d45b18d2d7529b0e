"""Build and test one cell, turning every outcome into a CellResult.

A failing build, an unreadable JUnit file or a hanging suite is a result of
this cell, never an exception that stops the run. A cell whose tests fail is
run again (``run.retries`` times, in a fresh container): tests that failed and
then passed are *flaky*, reported apart from passes and failures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import docker

from orchestrator.build import cellimage, images
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, CellResult, Plan, Status, TestCounts
from orchestrator.run import container, junit
from orchestrator.run.rundir import RunDir, write_text

PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class Attempt:
    """One run of the test command in a fresh container."""

    outcome: container.Outcome
    report: junit.Report | None
    status: Status
    message: str


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
        message = f"image build failed: {exc}\n{exc.log_tail}"
        return CellResult(
            cell=cell,
            status="error",
            duration=time.monotonic() - started,
            message=message,
            logs=logs,
        )
    first = _attempt(client, plan, cell, image.tag, folder, run.run_id, number=1)
    logs["test"] = str(folder / "test.log")
    retries = [
        _attempt(client, plan, cell, image.tag, folder, run.run_id, number=n + 2)
        for n in range(plan.run.retries if first.status == "failed" else 0)
    ]
    _keep_files(first, folder, logs)
    result = CellResult(
        cell=cell,
        status=first.status,
        duration=time.monotonic() - started,
        counts=first.report.counts if first.report else TestCounts(),
        failing_tests=first.report.failing if first.report else (),
        tests=first.report.tests if first.report else {},
        junit=first.report is not None,
        exit_code=first.outcome.exit_code,
        image=image.tag,
        image_id=image.image_id,
        packages=_packages(first.outcome.freeze),
        message=first.message,
        logs=logs,
    )
    return with_retries(result, retries)


def _attempt(
    client: docker.DockerClient,
    plan: Plan,
    cell: Cell,
    image: str,
    folder: Path,
    run_id: str,
    *,
    number: int,
) -> Attempt:
    log_path = folder / ("test.log" if number == 1 else f"test.attempt{number}.log")
    outcome = container.run_tests(
        client,
        image,
        command=plan.project.test,
        options=plan.run,
        log_path=log_path,
        labels=images.labels("test", cell=cell.id, run=run_id),
        attempt=number,
    )
    report, junit_problem = _report(outcome.junit_xml)
    status, message = _judge(outcome, report, plan.run.timeout)
    if status == "failed" and report is None:
        message += f": {images.tail(log_path, 1)}"
    return Attempt(outcome, report, status, "\n".join(m for m in (message, junit_problem) if m))


def with_retries(result: CellResult, retries: list[Attempt]) -> CellResult:
    """Fold retry attempts into ``result``: a test that failed first and passed in a
    retry becomes "flaky"; the cell passes when nothing but flaky tests failed."""
    if not retries:
        return result
    if result.junit and all(a.report for a in retries):
        passed_later = {t for a in retries for t, o in a.report.tests.items() if o == "passed"}
        flaky = tuple(t for t in result.failing_tests if t in passed_later)
        still = tuple(t for t in result.failing_tests if t not in flaky)
        tests = {t: ("flaky" if t in flaky else o) for t, o in result.tests.items()}
        counts = replace(
            result.counts,
            failed=sum(o == "failed" for o in tests.values()),
            errors=sum(o == "error" for o in tests.values()),
        )
        status: Status = "failed" if still else "passed"
        note = f"{len(flaky)} flaky test(s) passed on retry" if flaky else ""
        return replace(
            result,
            status=status,
            failing_tests=still,
            flaky_tests=flaky,
            tests=tests,
            counts=counts,
            message=result.message if still else note,
            passed_on_retry=not still,
        )
    # No per-test data: the cell is flaky as a whole if any retry passed.
    if any(a.status == "passed" for a in retries):
        return replace(
            result,
            status="passed",
            message=f"failed, then passed on retry (flaky): {result.message}",
            passed_on_retry=True,
        )
    return result


def _keep_files(first: Attempt, folder: Path, logs: dict[str, str]) -> None:
    """Save the resolved package set and the JUnit report of the first attempt."""
    if first.outcome.freeze is not None:
        write_text(folder / "requirements.txt", first.outcome.freeze)
        logs["requirements"] = str(folder / "requirements.txt")
    if first.outcome.junit_xml is not None:
        (folder / "junit.xml").write_bytes(first.outcome.junit_xml)
        logs["junit"] = str(folder / "junit.xml")


def _report(data: bytes | None) -> tuple[junit.Report | None, str]:
    if data is None:
        return None, ""
    try:
        return junit.parse(data), ""
    except junit.JUnitError as exc:
        return None, f"JUnit report ignored: {exc}"


def _judge(
    outcome: container.Outcome, report: junit.Report | None, timeout: int
) -> tuple[Status, str]:
    """The attempt's status: timeout, else the exit code, corroborated by JUnit."""
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
