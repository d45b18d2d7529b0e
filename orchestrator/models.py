"""The plain, frozen objects passed down the pipeline.

Matrix (what the user asked for) -> Plan of Cells (what will run) ->
CellResult (what happened). Each serializes to JSON and back, so the nox
sessions read the plan a run wrote instead of re-reading the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from orchestrator.failure import Failure as Failure
from orchestrator.failure import failures_of
from orchestrator.jsonread import Reader

# --------------------------------------------------------------------------- vocabulary
# Every status, outcome and axis name the pipeline speaks is spelled here, once.

PYTHON_AXIS: Final = "python"  # the interpreter axis; every other axis is a distribution

# What happened to a cell.
Status = Literal["passed", "failed", "error", "timeout", "infeasible"]
PASSED: Final = "passed"  # built, ran, every test passed (or was flaky)
FAILED: Final = "failed"  # built and ran; some test (or the test command) failed
ERROR: Final = "error"  # did not build or run (image build, base image, container)
TIMEOUT: Final = "timeout"  # the suite outlived run.timeout and was killed
INFEASIBLE: Final = "infeasible"  # ruled out by the planner before anything was built
STATUSES: tuple[Status, ...] = (PASSED, FAILED, ERROR, TIMEOUT, INFEASIBLE)
RAN: frozenset[str] = frozenset({PASSED, FAILED})  # the cell's tests ran to the end
# A planned cell that has no result (yet): never a CellResult's status, but a state
# that results.json (its not_run list), the verdict and every report speak of.
NOT_RUN: Final = "not_run"
CellState = Status | Literal["not_run"]
STATE_WORDS: Mapping[str, str] = {NOT_RUN: "not run"}  # how people read a state


def state_word(state: str) -> str:
    """A status or state as people read it: ``not_run`` is ``not run``."""
    return STATE_WORDS.get(state, state)


# What happened to one test in a cell.
Outcome = Literal["passed", "failed", "error", "skipped", "flaky"]
SKIPPED: Final = "skipped"
FLAKY: Final = "flaky"  # failed, then passed on a retry: neither a pass nor a failure
OUTCOMES: tuple[Outcome, ...] = (PASSED, FAILED, ERROR, SKIPPED, FLAKY)
FAILING: frozenset[str] = frozenset({FAILED, ERROR})
ABSENT: Final = "absent"  # the outcome of a test a cell did not report


@dataclass(frozen=True)
class Project:
    """The project under test: where it is, how to install it, how to test it."""

    path: Path
    install: str = "."
    test: str = "python -m pytest -q"
    # Test-only needs, named as tox and nox users know them. They are installed in the
    # dependency layer under the cell's constraints, never as axes.
    deps: tuple[str, ...] = ()  # PEP 508 requirements (tox: deps)
    dependency_groups: tuple[str, ...] = ()  # PEP 735 groups of the project's pyproject.toml
    requirements: tuple[str, ...] = ()  # requirements files, relative to ``path``
    env: Mapping[str, str] = field(default_factory=dict)  # for the build and the tests
    system_packages: tuple[str, ...] = ()  # Debian packages, for builds that compile

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "install": self.install,
            "test": self.test,
            "deps": list(self.deps),
            "dependency_groups": list(self.dependency_groups),
            "requirements": list(self.requirements),
            "env": dict(self.env),
            "system_packages": list(self.system_packages),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Project:
        return cls(
            path=Path(data["path"]),
            install=data["install"],
            test=data["test"],
            deps=tuple(data.get("deps", ())),
            dependency_groups=tuple(data.get("dependency_groups", ())),
            requirements=tuple(data.get("requirements", ())),
            env=dict(data.get("env", {})),
            system_packages=tuple(data.get("system_packages", ())),
        )


@dataclass(frozen=True)
class RunOptions:
    """How cells run: parallelism, per-cell timeout, isolation and limits."""

    jobs: int = 2
    timeout: int = 900
    network: bool = False
    memory: str = "2g"
    cpus: float = 1.0
    retries: int = 1  # a failing cell's tests run again this many times, to spot flaky tests
    priority: tuple[str, ...] = ()  # axes by significance for "highest"; () = python first
    max_cells: int = 256  # the most cells a matrix may expand to (GitHub's matrix limit)
    allow_vulnerable: bool = True  # false: a cell with a known advisory is not safe
    require_supported: bool = False  # cells on a Python past end-of-life are never picked


@dataclass(frozen=True)
class Matrix:
    """A validated matrix file. ``axes`` keeps file order, with ``python`` first."""

    name: str
    source: Path
    project: Project
    # Values are versions/specifiers as written, or selectors.Selector objects
    # (e.g. {range, pick}) that orchestrator.plan.resolve turns into versions.
    axes: Mapping[str, tuple[Any, ...]]
    baseline: Mapping[str, str]
    constraints: tuple[str, ...] = ()
    include: tuple[Mapping[str, str], ...] = ()
    exclude: tuple[Mapping[str, str], ...] = ()
    image_family: str = "debian"
    run: RunOptions = field(default_factory=RunOptions)
    index: str | None = None  # package index URL (PEP 691 JSON); None: --index-url/env/PyPI
    # Where each section, entry and axis value was written: dotted key (axis names
    # normalized, e.g. "axes.click[1]", "include[0]") -> line, for the planner's errors.
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dependency_axes(self) -> tuple[str, ...]:
        return tuple(name for name in self.axes if name != PYTHON_AXIS)


@dataclass(frozen=True)
class Cell:
    """One combination to test: an interpreter and a requirement per dependency axis.

    ``deps`` maps a normalized distribution name to the value written in the
    matrix (a version or a specifier set); ``requirements`` turns it into pip
    requirement strings.
    """

    id: str
    python: str
    deps: Mapping[str, str]
    baseline: bool = False

    @property
    def axes(self) -> dict[str, str]:
        return {PYTHON_AXIS: self.python, **self.deps}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "python": self.python,
            "deps": dict(self.deps),
            "baseline": self.baseline,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        return cls(
            id=data["id"],
            python=data["python"],
            deps=dict(data["deps"]),
            baseline=bool(data.get("baseline", False)),
        )


@dataclass(frozen=True)
class Plan:
    """Everything a run needs, fixed before anything is built."""

    name: str
    matrix_path: Path
    project: Project
    image_family: str
    constraints: tuple[str, ...]
    run: RunOptions
    cells: tuple[Cell, ...]
    # Cells the planner ruled out before building anything, each with its reason.
    pruned: tuple[Pruned, ...] = ()
    # What each axis resolved to, e.g. {"django": ("4.2.16", "5.0.9")}; for the plan display.
    resolved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Axes the matrix's baseline left out, filled with their lowest value by the planner.
    baseline_defaults: tuple[str, ...] = ()

    @property
    def baseline(self) -> Cell | None:
        return next((cell for cell in self.cells if cell.baseline), None)

    @property
    def pythons(self) -> tuple[str, ...]:
        """Interpreters used by the plan, in first-use order."""
        return tuple(dict.fromkeys(cell.python for cell in self.cells))

    def cell(self, cell_id: str) -> Cell:
        for cell in self.cells:
            if cell.id == cell_id:
                return cell
        raise KeyError(cell_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "oxzep7.plan/1",
            "name": self.name,
            "matrix_path": str(self.matrix_path),
            "project": self.project.to_dict(),
            "image_family": self.image_family,
            "constraints": list(self.constraints),
            "run": asdict(self.run),
            "cells": [cell.to_dict() for cell in self.cells],
            "pruned": [p.to_dict() for p in self.pruned],
            "resolved": {axis: list(values) for axis, values in self.resolved.items()},
            "baseline_defaults": list(self.baseline_defaults),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        project = Project.from_dict(data["project"])
        return cls(
            name=data["name"],
            matrix_path=Path(data["matrix_path"]),
            project=project,
            image_family=data["image_family"],
            constraints=tuple(data["constraints"]),
            run=_run_options(data["run"]),
            cells=tuple(Cell.from_dict(cell) for cell in data["cells"]),
            pruned=tuple(Pruned.from_dict(p) for p in data.get("pruned", ())),
            resolved={axis: tuple(v) for axis, v in data.get("resolved", {}).items()},
            baseline_defaults=tuple(data.get("baseline_defaults", ())),
        )


def _run_options(data: Mapping[str, Any]) -> RunOptions:
    values = dict(data)
    values["priority"] = tuple(values.get("priority", ()))
    return RunOptions(**values)


@dataclass(frozen=True)
class Pruned:
    """A cell that cannot work, known before building: e.g. a release's Requires-Python."""

    cell: Cell
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell.to_dict(), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pruned:
        return cls(cell=Cell.from_dict(data["cell"]), reason=data["reason"])


@dataclass(frozen=True)
class TestCounts:
    """Outcome counts from a JUnit report (all zero when there was none)."""

    __test__ = False  # not a pytest test class

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    @classmethod
    def read(cls, fields: Reader) -> TestCounts:
        return cls(*(fields.whole(name) for name in ("passed", "failed", "errors", "skipped")))


@dataclass(frozen=True)
class CellResult:
    """What happened to one cell. Written to ``cells/<id>/result.json``."""

    cell: Cell
    status: Status
    duration: float
    counts: TestCounts = field(default_factory=TestCounts)
    failing_tests: tuple[str, ...] = ()
    flaky_tests: tuple[str, ...] = ()
    tests: Mapping[str, Outcome] = field(default_factory=dict)
    junit: bool = False
    exit_code: int | None = None
    image: str | None = None
    image_id: str | None = None
    packages: Mapping[str, str] = field(default_factory=dict)
    message: str = ""
    logs: Mapping[str, str] = field(default_factory=dict)
    # The first attempt failed and a retry passed: the pass is flaky. With per-test
    # data, ``flaky_tests`` says which tests; without, the cell as a whole.
    passed_on_retry: bool = False
    # Why each failing test failed (from its JUnit failure/error element); older
    # results have none. ``log_failure``: the last exception line of the test log of a
    # suite that failed without a JUnit report.
    failures: Mapping[str, Failure] = field(default_factory=dict)
    log_failure: Failure | None = None

    @property
    def outcomes(self) -> dict[str, Outcome]:
        """Per-test outcomes; a test listed in ``flaky_tests`` is flaky whatever
        ``tests`` says (older results listed flaky tests only there)."""
        found = dict(self.tests)
        found.update(dict.fromkeys(self.flaky_tests, FLAKY))
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.cell.id,
            "axes": self.cell.axes,
            "baseline": self.cell.baseline,
            "status": self.status,
            "duration": round(self.duration, 3),
            "counts": asdict(self.counts),
            "failing_tests": list(self.failing_tests),
            "flaky_tests": list(self.flaky_tests),
            "tests": dict(self.tests),
            "junit": self.junit,
            "exit_code": self.exit_code,
            "image": self.image,
            "image_id": self.image_id,
            "packages": dict(self.packages),
            "message": self.message,
            "logs": dict(self.logs),
            "passed_on_retry": self.passed_on_retry,
            "failures": {test: f.to_dict() for test, f in self.failures.items()},
            "log_failure": self.log_failure.to_dict() if self.log_failure else None,
            "cell": self.cell.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: object) -> CellResult:
        """Read a result as ``to_dict`` writes it (or an older one). Each value is checked:
        a wrong one raises :class:`orchestrator.jsonread.ShapeError` naming its key."""
        fields = Reader(data)
        cell = _cell(fields)
        status = cast(Status, fields.choice("status", STATUSES))
        return cls(
            cell=cell,
            status=status,
            duration=fields.seconds("duration"),
            counts=TestCounts.read(fields.child("counts")),
            failing_tests=fields.texts("failing_tests"),
            flaky_tests=fields.texts("flaky_tests"),
            tests=cast(dict[str, Outcome], fields.text_map("tests", OUTCOMES)),
            junit=fields.flag("junit"),
            exit_code=fields.maybe_int("exit_code"),
            image=fields.maybe_text("image"),
            image_id=fields.maybe_text("image_id"),
            packages=fields.text_map("packages"),
            message=fields.text("message", ""),
            logs=fields.text_map("logs"),
            passed_on_retry=_passed_on_retry(fields, status),
            failures=failures_of(fields),
            log_failure=(
                Failure.read(fields.child("log_failure"))
                if fields.data.get("log_failure") is not None
                else None
            ),
        )


def _cell(fields: Reader) -> Cell:
    """The cell a result is about, from its ``id``, ``axes`` and ``baseline``."""
    cell_id = fields.text("id")
    axes = fields.text_map("axes")
    if PYTHON_AXIS not in axes:
        raise fields.child("axes").missing(PYTHON_AXIS)
    deps = {axis: value for axis, value in axes.items() if axis != PYTHON_AXIS}
    return Cell(cell_id, axes[PYTHON_AXIS], deps, fields.flag("baseline"))


# Results written before ``passed_on_retry`` existed: the runner's retry note is the
# only sign of a pass on retry (read once, here; nothing else reads messages).
_OLD_FLAKY_TESTS = re.compile(r"\d+ flaky test\(s\) passed on retry")
_OLD_FLAKY_CELL = "failed, then passed on retry (flaky): "


def _passed_on_retry(fields: Reader, status: str) -> bool:
    if fields.has("passed_on_retry"):
        return fields.flag("passed_on_retry")
    message = fields.text("message", "")
    old_note = _OLD_FLAKY_TESTS.fullmatch(message) or message.startswith(_OLD_FLAKY_CELL)
    return status == PASSED and bool(old_note)
