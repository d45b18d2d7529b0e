"""Build and test one cell, turning every outcome into a CellResult.

A failing build, an unreadable JUnit file or a hanging suite is a result of
this cell, never an exception that stops the run. A cell whose tests fail runs
its failed tests again (``run.retries`` times, in the same container: see
``run.attempts``): tests that failed and then passed are *flaky*, reported apart
from passes and failures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import docker

from orchestrator.build import cellimage, engine, images
from orchestrator.environment import BuildEnvironment
from orchestrator.errors import DockerLostError
from orchestrator.models import Cell, CellResult, Failure, Plan, RunOptions, Status, TestCounts
from orchestrator.run import container, junit
from orchestrator.run.rundir import RunDir, write_text

PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class Attempt:
    """One run of the test command, judged."""

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
    """Build ``cell``'s image (unless cached), run its tests, and say what happened.
    A daemon that goes away meanwhile makes the cell an error saying so."""
    job = _Job(client, plan, cell, run, started=time.monotonic())
    try:
        with engine.lost_daemon_check(client):
            image = _build(job, base_tag, env)
            if isinstance(image, CellResult):
                return image
            return _test(job, image)
    except DockerLostError as exc:
        return job.error(str(exc))


@dataclass(frozen=True)
class _Job:
    """What every step of one cell needs."""

    client: docker.DockerClient
    plan: Plan
    cell: Cell
    run: RunDir
    started: float
    logs: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.run.cell(self.cell.id)

    def error(self, message: str) -> CellResult:
        duration = time.monotonic() - self.started
        return CellResult(
            cell=self.cell, status="error", duration=duration, message=message, logs=self.logs
        )


def _build(job: _Job, base_tag: str, env: BuildEnvironment) -> cellimage.CellImage | CellResult:
    """The cell's image, or the error result of a build that failed."""
    log_path = job.folder / "build.log"
    job.logs["build"] = str(log_path)
    try:
        build = cellimage.CellBuild(base_tag, env, log_path, job.run.run_id)
        return cellimage.ensure_cell_image(job.client, job.plan, job.cell, build)
    except images.BuildFailed as exc:
        # The build stream reports a vanished daemon as a failed build.
        if not engine.alive(job.client):
            raise DockerLostError(str(exc)) from None
        return job.error(f"image build failed: {exc}\n{exc.log_tail}")


def _test(job: _Job, image: cellimage.CellImage) -> CellResult:
    """Run the tests, and the failed ones again for each retry (in the same container)."""
    first, *retries = _attempts(job, image.tag)
    job.logs["test"] = str(job.folder / "test.log")
    _keep_files(first, job.folder, job.logs)
    report = first.report
    result = CellResult(
        cell=job.cell,
        status=first.status,
        duration=time.monotonic() - job.started,
        counts=report.counts if report else TestCounts(),
        failing_tests=report.failing if report else (),
        tests=report.tests if report else {},
        junit=report is not None,
        exit_code=first.outcome.exit_code,
        image=image.tag,
        image_id=image.image_id,
        packages=_packages(first.outcome.freeze),
        message=first.message,
        logs=job.logs,
        failures=report.failures if report else {},
        log_failure=_log_failure(first, job.folder / "test.log"),
    )
    return with_retries(result, retries)


def _log_failure(first: Attempt, log: Path) -> Failure | None:
    """The last exception line of a suite that failed without a JUnit report."""
    if first.report is not None or first.status != "failed":
        return None
    try:
        return junit.last_exception(log.read_bytes())
    except OSError:
        return None


def _attempts(job: _Job, image: str) -> list[Attempt]:
    """The attempts of one container run: the first, then the retries it made."""
    spec = container.TestRun(
        image=image,
        command=job.plan.project.test,
        options=job.plan.run,
        log_path=job.folder / "test.log",
        labels=images.labels("test", cell=job.cell.id, run=job.run.run_id),
        env=job.plan.project.env,
        retries=job.plan.run.retries,
    )
    judged = []
    for number, outcome in enumerate(container.run_tests(job.client, spec), 1):
        report, junit_problem = _report(outcome.junit_xml)
        status, message = _judge(outcome, report, job.plan.run)
        if status == "failed" and report is None:
            message += f": {images.tail(spec.attempt_log(number), 1)}"
        message = "\n".join(m for m in (message, junit_problem) if m)
        judged.append(Attempt(outcome, report, status, message))
    return judged


def with_retries(result: CellResult, retries: list[Attempt]) -> CellResult:
    """Fold retry attempts into ``result``: a test that failed first and passed in a
    retry becomes "flaky"; the cell passes when nothing but flaky tests failed."""
    if not retries:
        return result
    reports = [a.report for a in retries if a.report is not None]
    if result.junit and len(reports) == len(retries):
        passed_later = {t for r in reports for t, o in r.tests.items() if o == "passed"}
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
            failures={t: f for t, f in result.failures.items() if t in still},
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
        # Atomic like every file of the run (pytest writes UTF-8 XML).
        write_text(folder / "junit.xml", first.outcome.junit_xml.decode("utf-8", "replace"))
        logs["junit"] = str(folder / "junit.xml")


def _report(data: bytes | None) -> tuple[junit.Report | None, str]:
    if data is None:
        return None, ""
    try:
        return junit.parse(data), ""
    except junit.JUnitError as exc:
        return None, f"JUnit report ignored: {exc}"


def _judge(
    outcome: container.Outcome, report: junit.Report | None, options: RunOptions
) -> tuple[Status, str]:
    """The attempt's status: out of memory, timeout, else the exit code, corroborated
    by JUnit. Out of memory is an error, not a failure: the suite was cut short, so
    which tests fail is unknown, and the cure may be a larger run.memory."""
    if outcome.oom_killed:
        return "error", container.oom_message(options)
    if outcome.timed_out:
        return "timeout", f"killed after the {options.timeout} s timeout"
    if outcome.exit_code == container.SIGKILL_EXIT:
        # The engine did not say why; memory is the usual reason, and a suite killed
        # half-way says nothing about which tests fail.
        return "error", (
            f"killed by SIGKILL (exit {outcome.exit_code}), probably out of memory "
            f"(run.memory is {options.memory}), though the engine did not report it"
        )
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
