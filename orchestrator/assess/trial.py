"""``oxzep7 try``: a proposed combination against the assessed baseline, without a
matrix file.

The matrix is built in memory from the assessment: its baseline is what the project
uses today; the proposal (``--python``, ``--with NAME==VERSION``) changes some axes.
The direct runtime dependencies pinned today and not in the proposal are held at their
versions in every cell (constraints). Cells: the baseline, the proposal, and, when the
proposal changes more than one axis, each cell that reverts one changed axis to the
baseline, so the verdict can name the single change that breaks the proposal (the
culprit). The matrix then goes through
the normal planner and run, like any matrix file.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from orchestrator.assess.assessment import Assessment
from orchestrator.assess.writematrix import TestSetup, test_setup
from orchestrator.errors import ConfigError
from orchestrator.models import PYTHON_AXIS, Matrix, RunOptions
from orchestrator.plan import interpreters, versions

WITH_SHAPE = "expected NAME==VERSION, e.g. click==8.2.1"
MAX_CHANGED_AXES = 6  # 2**6 combinations to sort through; more is not a trial


@dataclass(frozen=True)
class Proposal:
    python: str | None
    pins: tuple[tuple[str, str], ...]  # (normalized name, exact version)


def parse_proposal(python: str | None, pins: Sequence[str], family: str) -> Proposal:
    """``--python 3.14 --with click==8.2.1``, checked as the matrix loader checks values."""
    if python is not None:
        try:
            versions.python_version(python)
        except versions.BadValue as exc:
            raise ConfigError(f"--python: {exc}") from None
        if interpreters.lookup(family, python) is None:
            available = ", ".join(interpreters.available(family))
            raise ConfigError(
                f"--python: Python {python} is not available in image family {family!r} "
                f"(available: {available})"
            )
    parsed: dict[str, str] = {}
    for text in pins:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise ConfigError(
                f"--with {text!r}: expected NAME==VERSION, e.g. click==8.2.1"
            ) from None
        exact = [s for s in requirement.specifier if s.operator == "=="]
        if (
            requirement.url
            or requirement.marker
            or len(exact) != 1
            or len(requirement.specifier) != 1
        ):
            raise ConfigError(f"--with {text!r}: expected NAME==VERSION, e.g. click==8.2.1")
        try:
            name = versions.normalize_name(requirement.name)
            versions.specifier(exact[0].version)
        except versions.BadValue as exc:
            raise ConfigError(f"--with {text!r}: {exc}") from None
        if name in parsed:
            raise ConfigError(f"--with names {name} twice")
        parsed[name] = exact[0].version
    if python is None and not parsed:
        raise ConfigError("nothing to try: give --python X.Y and/or --with NAME==VERSION")
    return Proposal(python, tuple(parsed.items()))


def trial_matrix(
    assessment: Assessment, proposal: Proposal, *, only_proposed: bool = False
) -> tuple[Matrix, TestSetup]:
    """The in-memory matrix of a trial (see the module's docstring)."""
    facts = assessment.facts
    python = assessment.python.baseline
    if python is None:
        raise ConfigError(
            f"{facts.root}: no interpreter the image family {assessment.family!r} provides "
            "could be chosen for the baseline"
        )
    baseline: dict[str, str] = {PYTHON_AXIS: python}
    proposed: dict[str, str] = {PYTHON_AXIS: proposal.python or python}
    known = {d.name: d for d in assessment.dependencies}
    for name, version in proposal.pins:
        dep = known.get(name)
        today = dep.baseline if dep else None
        if today is None and name in facts.pins:
            today = facts.pins[name].version
        if today is None:
            raise ConfigError(
                f"--with {name}=={version}: the version of {name} in use is unknown (not a "
                "direct dependency with a known version, nor in a lock file)"
            )
        baseline[name] = today
        proposed[name] = version
    changed = [axis for axis in proposed if proposed[axis] != baseline[axis]]
    if not changed:
        raise ConfigError("the proposal is the baseline: nothing changes")
    if len(changed) > MAX_CHANGED_AXES:
        raise ConfigError(f"a trial changes at most {MAX_CHANGED_AXES} axes at once")
    axes = {axis: tuple(dict.fromkeys([baseline[axis], proposed[axis]])) for axis in proposed}
    wanted = _cells(baseline, proposed, changed, only_proposed)
    exclude = [
        combo
        for combo in (
            dict(zip(changed, values, strict=True))
            for values in itertools.product(*(axes[a] for a in changed))
        )
        if combo not in wanted
    ]
    dev = [
        (d.name, d.specifier, d.kind)
        for d in facts.declared
        if d.kind == "dev" or d.kind.startswith("group ")
    ]
    setup = test_setup(facts, dev)
    # What else is in use stays as it is in every cell: the direct runtime dependencies
    # pinned or locked today (by name, under the cells' constraints, not as axes).
    held = tuple(
        f"{d.name}=={d.in_use}"
        for d in assessment.dependencies
        if d.kind == "runtime" and d.in_use and not d.marker and d.name not in proposed
    )
    name = (facts.name or facts.root.name) + "-try"
    matrix = Matrix(
        name=name,
        source=facts.root,
        project=setup.project(facts.root),
        axes=axes,
        baseline=baseline,
        constraints=tuple(dict.fromkeys(held)),
        exclude=tuple(exclude),
        image_family=assessment.family,
        run=RunOptions(),
        index=assessment.index_url,
    )
    return matrix, setup


def _cells(
    baseline: dict[str, str], proposed: dict[str, str], changed: list[str], only: bool
) -> list[dict[str, str]]:
    """The changed axes' values of each wanted cell: baseline, proposal, and (unless
    ``only``) the proposal with one changed axis put back to the baseline."""
    cells = [{a: baseline[a] for a in changed}, {a: proposed[a] for a in changed}]
    if not only and len(changed) > 1:
        for axis in changed:
            cells.append({a: baseline[a] if a == axis else proposed[a] for a in changed})
    return cells


def describe(matrix: Matrix) -> str:
    """One line: what the trial compares."""
    base = ", ".join(f"{a} {v}" for a, v in matrix.baseline.items())
    return f"trying against the baseline ({base}) from {Path(matrix.source)}"
