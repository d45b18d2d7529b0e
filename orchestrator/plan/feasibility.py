"""Whether a cell can work at all, decided from index metadata before anything is built.

A cell is infeasible when a release it installs (an axis value or a pinned constraint)
cannot go on the cell's interpreter: its Requires-Python excludes it, or it has neither
a wheel for CPython X.Y on manylinux x86_64 nor an sdist. Building such a cell would only
produce an "error" result minutes later, so the planner prunes it with the reason.

Everything here is pure. ``release_problem`` answers for one release and one
interpreter; ``Feasibility`` memoizes those answers per (distribution, version,
interpreter), so pruning tens of thousands of cells costs a dict lookup per axis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from orchestrator.models import Cell
from orchestrator.plan import interpreters
from orchestrator.plan.index import File, Release

ARCH = "x86_64"
# The glibc of an image comes from resources/interpreters.json; an interpreter without
# one gets the newest: pruning a cell that could work is worse than letting one fail.
DEFAULT_GLIBC = (2, 41)
_OLDEST_MANYLINUX = 5  # manylinux1 is glibc 2.5
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Target:
    """The interpreter and platform a cell installs into."""

    python: str  # "3.11": CPython, as every image family provides
    glibc: tuple[int, int] = DEFAULT_GLIBC


@dataclass(frozen=True)
class Pin:
    """A constraint that names one exact version (``pytest==8.3.5``), optionally only
    where its marker holds; unpinned constraints say nothing about feasibility."""

    name: str
    version: str
    marker: Marker | None = None

    def applies(self, python: str) -> bool:
        return self.marker is None or self.marker.evaluate(_marker_environment(python))


def target(family: str, python: str) -> Target:
    """The Target for interpreter ``python`` of image ``family``."""
    found = interpreters.lookup(family, python)
    if found is None or found.glibc is None:
        return Target(python, DEFAULT_GLIBC)
    major, minor = found.glibc.split(".")
    return Target(python, (int(major), int(minor)))


def pins(constraints: Iterable[str]) -> tuple[Pin, ...]:
    """The pinned constraints (``name==version``, no wildcard) among PEP 508 strings."""
    found = []
    for text in constraints:
        requirement = Requirement(text)
        specs = list(requirement.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            name = canonicalize_name(requirement.name)
            found.append(Pin(name, specs[0].version, requirement.marker))
    return tuple(found)


# --- One release -------------------------------------------------------------------------


def release_problem(name: str, release: Release, target: Target) -> str | None:
    """Why ``release`` of ``name`` cannot be installed on ``target``, or None if it can."""
    files = release.installable_files
    if not files:
        return f"{name} {release.version} has no files on the index"
    usable = [file for file in files if allows(file.requires_python, target.python)]
    if not usable:
        needs = " or ".join(sorted({file.requires_python or "" for file in files}))
        return f"{name} {release.version} requires Python {needs}"
    if not any(_installs(file, target) for file in usable):
        return (
            f"{name} {release.version} has no wheel for CPython {target.python} "
            f"on manylinux {ARCH} and no sdist"
        )
    return None


def _installs(file: File, target: Target) -> bool:
    return file.tags is None or not file.tags.isdisjoint(supported_tags(target))


@cache
def allows(requires_python: str | None, python: str) -> bool:
    """Whether Requires-Python admits some release of interpreter line ``python``.

    The cell's patch release is unknown, so both ends of the line are tried
    (">=3.9.1" admits 3.9); like pip, an invalid Requires-Python restricts nothing.
    """
    if requires_python is None:
        return True
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True
    return any(spec.contains(Version(f"{python}.{patch}")) for patch in (0, 99))


@cache
def supported_tags(target: Target) -> frozenset[Tag]:
    """Every wheel tag pip accepts for CPython ``target.python`` on glibc x86_64 Linux."""
    version = tuple(int(part) for part in target.python.split("."))
    platforms = _platforms(target.glibc)
    interpreter = f"cp{version[0]}{version[1]}"
    return frozenset(
        [
            *cpython_tags(version, platforms=platforms),
            *compatible_tags(version, interpreter=interpreter, platforms=platforms),
        ]
    )


def _platforms(glibc: tuple[int, int]) -> list[str]:
    """manylinux_2_N tags from the target's glibc down to 2.5, with their legacy aliases."""
    major, newest = glibc
    platforms = []
    for minor in range(newest, _OLDEST_MANYLINUX - 1, -1):
        platforms.append(f"manylinux_{major}_{minor}_{ARCH}")
        if minor in _LEGACY_MANYLINUX:
            platforms.append(f"{_LEGACY_MANYLINUX[minor]}_{ARCH}")
    return [*platforms, f"linux_{ARCH}"]


@cache
def _marker_environment(python: str) -> dict[str, str]:
    """PEP 508 marker variables inside a cell's container (CPython on x86_64 Linux)."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "platform_machine": ARCH,
        "sys_platform": "linux",
        "os_name": "posix",
    }


# --- Many cells --------------------------------------------------------------------------


class Feasibility:
    """Answers "why can this cell not work?" with one memoized lookup per axis.

    ``releases`` maps a normalized distribution name and a version (as it appears in
    cells) to the index's Release, for every axis value and pinned constraint;
    ``targets`` maps each interpreter to its Target.
    """

    def __init__(
        self,
        releases: Mapping[tuple[str, str], Release],
        targets: Mapping[str, Target],
        pinned: Iterable[Pin] = (),
    ) -> None:
        self._releases = releases
        self._targets = targets
        self._pins = {pin.name: pin for pin in pinned}
        self._answers: dict[tuple[str, str, str], str | None] = {}
        self._constraint_answers: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}

    def reason(self, cell: Cell) -> str | None:
        """Why ``cell`` cannot work (every problem, "; "-joined), or None."""
        python, answers, found = cell.python, self._answers, []
        for name, value in cell.deps.items():
            key = (name, value, python)
            # The dict lookup inline: this loop runs for every axis of every cell.
            problem = answers[key] if key in answers else self.problem(name, value, python)
            if problem:
                found.append(problem)
        found += self._constraint_problems(python, cell.deps)
        return "; ".join(found) or None

    def problem(self, name: str, version: str, python: str) -> str | None:
        """The memoized answer for one axis value on one interpreter."""
        key = (name, version, python)
        if key not in self._answers:
            self._answers[key] = self._compute(name, version, python)
        return self._answers[key]

    def _compute(self, name: str, version: str, python: str) -> str | None:
        pin = self._pins.get(name)
        if pin and pin.applies(python) and not _same_version(pin.version, version):
            return f"constraint {name}=={pin.version} conflicts with {name} {version}"
        return release_problem(name, self._releases[(name, version)], self._targets[python])

    def _constraint_problems(self, python: str, deps: Mapping[str, str]) -> tuple[str, ...]:
        """Problems of the pinned constraints the cell has no axis for (an axis that a
        constraint also pins was checked against the pin above)."""
        key = (python, tuple(name for name in self._pins if name in deps))
        if key not in self._constraint_answers:
            problems = (
                self.problem(pin.name, pin.version, python)
                for pin in self._pins.values()
                if pin.name not in deps and pin.applies(python)
            )
            self._constraint_answers[key] = tuple(p for p in problems if p)
        return self._constraint_answers[key]


def _same_version(one: str, other: str) -> bool:
    """PEP 440 equality ("8.1" is "8.1.0"); text equality for '===' arbitrary strings."""
    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other
