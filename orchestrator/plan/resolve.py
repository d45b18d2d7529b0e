"""From a matrix with selectors and specifier sets to a reproducible plan of exact versions.

Steps: fetch what the index knows about every dependency axis and pinned constraint;
turn each selector into the versions it picks and each specifier set into the newest
release it matches; plan the now-concrete matrix with ``expand.plan``; move the cells
that cannot work (``feasibility``) into ``Plan.pruned`` with their reasons; record what
each axis resolved to in ``Plan.resolved``. The resulting plan.json names exact
versions only, so ``load_frozen`` can replay it without asking the index.

Without an index (``client=None``) a matrix keeps today's behaviour: specifier sets go
to pip as written and nothing is pruned; only python selectors, which need no index,
are resolved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from orchestrator.errors import ConfigError
from orchestrator.models import Cell, Matrix, Plan, Pruned
from orchestrator.plan import (
    expand,
    feasibility,
    interpreters,
    planfile,
    selectors,
    testdeps,
    versions,
)
from orchestrator.plan.index import IndexClient, Project, Release, choose_url
from orchestrator.plan.matrix import line_of, located_error
from orchestrator.plan.selectors import Selector

PYTHON = "python"
PLAN_SCHEMA = planfile.PLAN_SCHEMA


@dataclass(frozen=True)
class Choice:
    """What one value written in an axis stands for, for display: ``written`` is the
    pin, specifier set or selector as the matrix gave it."""

    axis: str
    written: str
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Concrete:
    """A matrix with exact versions only, and what resolving it found on the way."""

    matrix: Matrix
    releases: Mapping[tuple[str, str], Release]  # (name, version) -> what the index lists
    resolved: Mapping[str, tuple[str, ...]]  # for Plan.resolved
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Resolved:
    """A resolved plan and the per-value choices behind ``plan.resolved``."""

    plan: Plan
    choices: tuple[Choice, ...] = ()


def resolve(matrix: Matrix, client: IndexClient | None = None, *, frozen: bool = False) -> Plan:
    """The plan of ``matrix`` with exact versions, infeasible cells pruned.

    ``frozen=True`` never asks the network: the index answers come from the cache alone
    (a replay of an earlier resolution), and a distribution missing from it is an error.
    Raises ConfigError for values the index cannot satisfy or an infeasible baseline,
    PackageIndexError when the index cannot answer.
    """
    return resolve_matrix(matrix, client, frozen=frozen).plan


def plan_matrix(
    matrix: Matrix, *, index_url: str | None = None, offline: bool = False, use_index: bool = True
) -> Plan:
    """The plan of ``matrix`` as the CLI and the noxfile make it: resolved and pruned on
    the index (``--index-url``, else the matrix's ``index``, $PIP_INDEX_URL, PyPI), or,
    with ``use_index=False``, from exact pins alone with nothing pruned."""
    if not use_index:
        return resolve(matrix)
    url = choose_url(index_url, matrix.index)
    return resolve(matrix, IndexClient(url, offline=offline))


def resolve_matrix(
    matrix: Matrix, client: IndexClient | None = None, *, frozen: bool = False
) -> Resolved:
    """``resolve``, also returning what each written value chose."""
    if client is None:
        return _without_index(matrix)
    index = client.offline_copy() if frozen else client
    concrete = concretize(matrix, index.projects(distributions(matrix)))
    plan = expand.plan(concrete.matrix)
    checker = feasibility.Feasibility(
        concrete.releases,
        {python: feasibility.target(matrix.image_family, python) for python in plan.pythons},
        feasibility.pins(matrix.constraints),
    )
    accepts = project_python(matrix)
    pruned = prune(
        plan,
        lambda cell: "; ".join(filter(None, (accepts(cell), checker.reason(cell)))) or None,
        matrix.source,
        line_of(matrix.lines, "baseline"),
    )
    return Resolved(replace(pruned, resolved=concrete.resolved), concrete.choices)


def concretize(matrix: Matrix, projects: Mapping[str, Project]) -> Concrete:
    """``matrix`` with every selector and specifier set replaced by exact versions from
    ``projects`` (what the index lists for each distribution ``distributions`` names)."""
    resolver = _Resolver(matrix, projects)
    return Concrete(
        resolver.matrix(), resolver.releases(), resolver.resolved(), tuple(resolver.choices)
    )


def needs_index(matrix: Matrix) -> bool:
    """Whether ``matrix`` has a dependency selector, which only an index can resolve."""
    return any(
        isinstance(value, Selector)
        for name in matrix.dependency_axes
        for value in matrix.axes[name]
    )


def distributions(matrix: Matrix) -> list[str]:
    """What to ask the index about: every dependency axis and pinned constraint."""
    pinned = [pin.name for pin in feasibility.pins(matrix.constraints)]
    return list(dict.fromkeys([*matrix.dependency_axes, *pinned]))


def project_python(matrix: Matrix) -> Callable[[Cell], str | None]:
    """Why a cell's interpreter is one the project itself refuses (its requires-python),
    or None. Such a cell would only fail to install, so it is pruned like the others;
    this needs no index."""
    spec = testdeps.requires_python(matrix.project.path)

    def reason(cell: Cell) -> str | None:
        if spec is None or testdeps.accepts(spec, cell.python):
            return None
        return f"the project requires Python {spec}"

    return reason


def prune(
    plan: Plan, reason: Callable[[Cell], str | None], source: Path, line: int | None = None
) -> Plan:
    """``plan`` with the cells ``reason`` rejects moved to ``pruned``.

    The baseline is what production runs today: if one the matrix names cannot work the
    matrix is wrong, so that is a ConfigError rather than a quietly pruned cell. A
    baseline the planner completed (``baseline_defaults``) moves instead to the lowest
    cell that works and agrees with what the matrix did name.
    """
    kept, pruned = [], []
    for cell in plan.cells:
        problem = reason(cell)
        if problem is None:
            kept.append(cell)
        elif cell.baseline and not plan.baseline_defaults:
            raise ConfigError(
                f"the baseline cell {cell.id} cannot work: {problem}",
                path=source,
                line=line,
                key="baseline",
            )
        else:
            pruned.append(Pruned(replace(cell, baseline=False), problem))
    if pruned and any(p.cell.id == (plan.baseline.id if plan.baseline else "") for p in pruned):
        kept = _move_baseline(plan, kept, pruned, source, line)
    return replace(plan, cells=tuple(kept), pruned=tuple(pruned))


def _move_baseline(
    plan: Plan, kept: list[Cell], pruned: list[Pruned], source: Path, line: int | None
) -> list[Cell]:
    """``kept`` with the lowest cell that can stand in for the completed baseline marked."""
    old = plan.baseline
    assert old is not None
    named = {axis: value for axis, value in old.axes.items() if axis not in plan.baseline_defaults}
    fits = [c for c in kept if all(c.axes.get(a) == v for a, v in named.items())]
    if not fits:
        problem = next(p.reason for p in pruned if p.cell.id == old.id)
        raise ConfigError(
            f"the baseline cell {old.id} cannot work: {problem}, and no cell that works "
            "agrees with the baseline as written; name one under 'baseline:'",
            path=source,
            line=line,
            key="baseline",
        )
    axes = list(old.axes)
    lowest = min(fits, key=lambda c: [versions.sort_key(c.axes.get(a, "0")) for a in axes])
    return [replace(c, baseline=c.id == lowest.id) for c in kept]


def load_frozen(path: str | Path) -> Plan:
    """A plan recorded earlier (a run's plan.json), replayed as is: no index involved.
    It is validated like a matrix file (``planfile.load``)."""
    return planfile.load(path)


# --- Without an index ----------------------------------------------------------------------


def _without_index(matrix: Matrix) -> Resolved:
    """Today's behaviour, plus python selectors (the image family knows its interpreters)."""
    for name in matrix.dependency_axes:
        for index, value in enumerate(matrix.axes[name]):
            if isinstance(value, Selector):
                raise located_error(
                    matrix,
                    axis_key(matrix, name, index),
                    f"the selector '{value}' needs the package index to choose versions",
                )
    line = line_of(matrix.lines, "baseline")
    if not any(isinstance(value, Selector) for value in matrix.axes[PYTHON]):
        return Resolved(prune(expand.plan(matrix), project_python(matrix), matrix.source, line))
    choices = _python_choices(matrix)
    pythons = tuple(dict.fromkeys(v for choice in choices for v in choice.versions))
    plan = expand.plan(replace(matrix, axes={**matrix.axes, PYTHON: pythons}))
    plan = prune(plan, project_python(matrix), matrix.source, line)
    return Resolved(replace(plan, resolved={PYTHON: pythons}), tuple(choices))


def _python_choices(matrix: Matrix) -> list[Choice]:
    available = interpreters.available(matrix.image_family)
    return [
        Choice(PYTHON, str(value), tuple(selectors.select(value, available)))
        if isinstance(value, Selector)
        else Choice(PYTHON, value, (value,))
        for value in matrix.axes[PYTHON]
    ]


# --- With an index -------------------------------------------------------------------------


class _Resolver:
    """Turns every written value of one matrix into exact versions from ``projects``."""

    def __init__(self, matrix: Matrix, projects: Mapping[str, Project]) -> None:
        self._matrix = matrix
        self._projects = projects
        self.choices: list[Choice] = _python_choices(matrix)
        for name in matrix.dependency_axes:
            self.choices += [
                self._choice(name, value, axis_key(matrix, name, index))
                for index, value in enumerate(matrix.axes[name])
            ]
        self._concrete = self._axes()

    def matrix(self) -> Matrix:
        """The matrix with exact versions everywhere (exclude entries expanded)."""
        m = self._matrix
        return replace(
            m,
            axes=self._concrete,
            baseline=self._entry(m.baseline, "baseline"),
            include=tuple(self._entry(e, f"include[{i}]") for i, e in enumerate(m.include)),
            exclude=tuple(e for entry in m.exclude for e in self._exclude(entry)),
        )

    def resolved(self) -> dict[str, tuple[str, ...]]:
        """Plan.resolved: the versions of each axis that was not all exact pins."""
        moved = {c.axis for c in self.choices if c.versions != (c.written,)}
        return {name: values for name, values in self._concrete.items() if name in moved}

    def releases(self) -> dict[tuple[str, str], Release]:
        """(name, version) -> Release for every release fetched, plus pins as written."""
        found = {
            (name, release.version): release
            for name, project in self._projects.items()
            for release in project.releases
        }
        for index, constraint in enumerate(self._matrix.constraints):
            for pin in feasibility.pins([constraint]):
                key = f"constraints[{index}]"
                found[(pin.name, pin.version)] = self._pinned(pin.name, pin.version, key)
        return found

    def _axes(self) -> dict[str, tuple[str, ...]]:
        """Each axis's exact versions, in file order; a version chosen twice appears once."""
        axes: dict[str, dict[str, None]] = {name: {} for name in self._matrix.axes}
        for choice in self.choices:
            axes[choice.axis].update(dict.fromkeys(choice.versions))
        return {name: tuple(values) for name, values in axes.items()}

    def _choice(self, name: str, value: str | Selector, key: str) -> Choice:
        if isinstance(value, Selector):
            return Choice(name, str(value), self._select(name, value, key))
        return Choice(name, value, (self._one(name, value, key),))

    def _select(self, name: str, selector: Selector, key: str) -> tuple[str, ...]:
        chosen = tuple(selectors.select(selector, self._projects[name].versions))
        if not chosen:
            self._fail(f"'{selector}' selects no release of {name}", key, name)
        return chosen

    def _one(self, name: str, text: str, key: str) -> str:
        """The release a pin names, or the newest one a specifier set matches (finals
        first, pre-releases only when nothing else matches, like pip)."""
        spec = versions.specifier(text)
        exact = _exact(spec)
        if exact is not None:
            return self._pinned(name, exact, key).version
        matches = list(spec.filter(self._projects[name].versions))
        if not matches:
            self._fail(f"no release of {name} matches {text!r}", key, name)
        return max(matches, key=Version)

    def _pinned(self, name: str, version: str, key: str) -> Release:
        release = self._projects[name].release(version)
        if release is None:
            self._fail(f"{name} {version} is not on the package index", key, name)
        return release

    def _entry(self, entry: Mapping[str, str], key: str) -> dict[str, str]:
        """A baseline or include entry: each dependency value becomes one exact version."""
        return {
            name: value if name == PYTHON else self._one(name, value, f"{key}.{name}")
            for name, value in entry.items()
        }

    def _exclude(self, entry: Mapping[str, str]) -> list[dict[str, str]]:
        """An exclude entry as exact entries: a specifier set ("<5") excludes every axis
        version it contains; an entry that contains none excludes nothing."""
        options = [
            [(name, v) for v in self._concrete[name] if _contains(name, value, v)]
            for name, value in entry.items()
        ]
        return [dict(combo) for combo in itertools.product(*options)]

    def _fail(self, message: str, key: str, name: str) -> NoReturn:
        newest = self._projects[name].versions[-3:][::-1]
        hint = f" (newest: {', '.join(newest)})" if newest else " (it lists no releases)"
        raise located_error(self._matrix, key, message + hint)


def axis_key(matrix: Matrix, name: str, index: int) -> str:
    """The dotted key of an axis's ``index``-th value: ``axes.click[1]``, or ``axes.click``
    for an axis written as one selector mapping rather than a list."""
    key = f"axes.{name}[{index}]"
    return key if key in matrix.lines or len(matrix.axes[name]) > 1 else f"axes.{name}"


def _exact(spec: SpecifierSet) -> str | None:
    """The version of a one-version specifier set (``==8.1.8``), else None."""
    only = list(spec)
    if len(only) == 1 and only[0].operator in ("==", "===") and "*" not in only[0].version:
        return only[0].version
    return None


def _contains(name: str, written: str, version: str) -> bool:
    if name == PYTHON:
        return written == version
    return versions.specifier(written).contains(version, prereleases=True)
