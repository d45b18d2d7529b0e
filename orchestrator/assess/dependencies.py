"""One direct dependency judged against what the package index lists: the version in
use (or what a fresh install takes), the latest and the latest allowed, how far behind
in majors, minor lines, releases and days, yanked, the interpreters newer releases
drop, and, for an outdated runtime dependency, the matrix axis (a selector of newer
releases).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from orchestrator.assess.facts import RUNTIME, Declared, Facts
from orchestrator.assess.reports import DependencyReport, PythonDrop
from orchestrator.assess.versionmath import allows_python, is_newer, is_pre, specifier_set
from orchestrator.plan import selectors
from orchestrator.plan.index import Project, Release
from orchestrator.plan.selectors import Selector

MAX_AXIS_VALUES = 6  # newer lines a dependency axis tries at most (besides the baseline)


@dataclass(frozen=True)
class Scope:
    """What a dependency is judged against: the interpreters the project uses, the one
    the matrix's baseline will use, and today (for "days behind")."""

    pythons: Sequence[str]
    baseline_python: str | None
    today: datetime.date


def dependency(
    declared: Declared,
    facts: Facts,
    project: Project | None,
    problem: str,
    scope: Scope,
) -> DependencyReport:
    pythons, baseline_python, today = scope.pythons, scope.baseline_python, scope.today
    in_use, source = _in_use(declared, facts)
    report = DependencyReport(
        name=declared.name,
        kind=declared.kind,
        declared=declared.specifier,
        declared_in=declared.source,
        marker=declared.marker,
        in_use=in_use,
        in_use_source=source,
        problem=problem,
    )
    if project is None:
        return report
    finals = [r for r in project.releases if not r.yanked and not is_pre(r.version)]
    latest = finals[-1].version if finals else None
    spec = specifier_set(declared.specifier)
    allowed = [r for r in finals if spec is None or spec.contains(r.version, prereleases=True)]
    latest_allowed = allowed[-1].version if allowed else None
    installable = [
        r
        for r in allowed
        if baseline_python is None
        or allows_python(specifier_set(_requires_python(r)), baseline_python)
    ]
    fresh = installable[-1].version if installable and not in_use else None
    base = in_use or fresh
    base_release = project.release(base) if base else None
    latest_release = project.release(latest) if latest else None
    newer = [r for r in finals if base and is_newer(r.version, base)]
    base_day = _day(base_release)
    latest_day = _day(latest_release)
    return replace(
        report,
        latest=latest,
        latest_allowed=latest_allowed,
        fresh=fresh,
        majors_behind=_majors(base, latest),
        minors_behind=_minor_lines(base, newer) if base else None,
        releases_behind=len(newer) if base else None,
        baseline_released=base_day.isoformat() if base_day else None,
        latest_released=latest_day.isoformat() if latest_day else None,
        days_behind=(latest_day - base_day).days if base_day and latest_day else None,
        age_days=(today - base_day).days if base_day else None,
        yanked=bool(in_use and base_release is not None and base_release.yanked),
        python_drops=_drops(newer, pythons),
        problem=problem or (f"{base} is not on the index" if base and base_release is None else ""),
    )


def _in_use(declared: Declared, facts: Facts) -> tuple[str | None, str]:
    pin = facts.pins.get(declared.name)
    if pin is not None:
        return pin.version, pin.source
    spec = specifier_set(declared.specifier)
    exact = [s for s in spec or () if s.operator in ("==", "===") and "*" not in s.version]
    if len(exact) == 1:
        return exact[0].version, declared.source
    return None, ""


def with_axis(report: DependencyReport, projects: Mapping[str, Project]) -> DependencyReport:
    """The matrix axis of an outdated runtime dependency: the baseline plus a selector
    of the newer releases (newest of each major where majors come often, else of each
    minor), at most MAX_AXIS_VALUES lines."""
    project = projects.get(report.name)
    base = report.baseline
    if report.kind != RUNTIME or report.marker or project is None or not base:
        return report
    if not report.outdated:
        return report
    newer = [v for v in project.versions if not is_pre(v) and is_newer(v, base)]
    majors = {Version(v).major for v in newer}
    pick = "latest-per-major" if len(majors) > 1 else "latest-per-minor"
    selector = Selector(pick=pick, range=f">{base}")
    picks = selectors.select(selector, project.versions)
    if len(picks) > MAX_AXIS_VALUES:
        lowest = Version(picks[-MAX_AXIS_VALUES])
        line = f"{lowest.major}" if pick == "latest-per-major" else f"{lowest.major}.{lowest.minor}"
        selector = Selector(pick=pick, range=f">={line}")
        picks = selectors.select(selector, project.versions)
    return replace(report, selector=selector, picks=tuple(picks))


def _majors(base: str | None, latest: str | None) -> int | None:
    if base is None or latest is None:
        return None
    try:
        return max(0, Version(latest).major - Version(base).major)
    except InvalidVersion:
        return None


def _minor_lines(base: str, newer: Sequence[Release]) -> int:
    """How many minor lines (X.Y) newer releases open beyond the line of ``base``."""
    own = Version(base).release[:2]
    lines = {Version(r.version).release[:2] for r in newer}
    return len([line for line in lines if line > own])


def _day(release: Release | None) -> datetime.date | None:
    if release is None:
        return None
    times = sorted(f.upload_time for f in release.files if f.upload_time)
    if not times:
        return None
    try:
        return datetime.date.fromisoformat(times[0][:10])
    except ValueError:
        return None


def _requires_python(release: Release) -> str | None:
    for file in release.installable_files:
        if file.requires_python:
            return file.requires_python
    return None


def _drops(newer: Sequence[Release], pythons: Sequence[str]) -> tuple[PythonDrop, ...]:
    drops = []
    for python in pythons:
        for release in newer:
            requires = _requires_python(release)
            if requires and not allows_python(specifier_set(requires), python):
                drops.append(PythonDrop(python, release.version, requires))
                break
    return tuple(drops)
