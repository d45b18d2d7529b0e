"""A project assessed: every direct dependency against the package index, the
interpreter against its end of life, the versions in use against an advisory source.

Pure given its inputs (the project's facts, what the index lists, the advisory
source, ``today``); ``assess`` gathers those inputs and calls ``build``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from orchestrator.assess import lifecycle
from orchestrator.assess.advisories import Check, NoSource, Source
from orchestrator.assess.projectfiles import RUNTIME, Declared, Facts, read_project
from orchestrator.errors import ConfigError, PackageIndexError
from orchestrator.plan import selectors
from orchestrator.plan.index import IndexClient, Project, Release
from orchestrator.plan.selectors import Selector

MAX_AXIS_VALUES = 6  # newer lines a dependency axis tries at most (besides the baseline)


@dataclass(frozen=True)
class PythonDrop:
    """The first release newer than the one in use that no longer supports ``python``."""

    python: str
    release: str
    requires_python: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "release": self.release,
            "requires_python": self.requires_python,
        }


@dataclass(frozen=True)
class DependencyReport:
    """One direct dependency: declared, in use, available, how far behind."""

    name: str
    kind: str  # runtime, "extra test", "group dev", dev
    declared: str  # specifier set as declared, "" for any
    declared_in: str
    marker: str = ""
    in_use: str | None = None  # locked or pinned version
    in_use_source: str = ""  # which file pins it
    latest: str | None = None
    latest_allowed: str | None = None  # newest release the declared specifier allows
    # Without a pin: what a fresh install on the baseline's interpreter takes (the newest
    # allowed release whose Requires-Python admits it).
    fresh: str | None = None
    majors_behind: int | None = None
    minors_behind: int | None = None  # minor lines released after the one in use
    releases_behind: int | None = None
    baseline_released: str | None = None  # YYYY-MM-DD
    latest_released: str | None = None
    days_behind: int | None = None  # latest's upload day minus the one in use's
    age_days: int | None = None  # days since the version in use was uploaded
    yanked: bool = False  # the version in use is yanked
    python_drops: tuple[PythonDrop, ...] = ()
    vulnerabilities: Check | None = None
    problem: str = ""  # the index could not say (unknown package, unreachable)
    selector: Selector | None = None  # the axis the matrix gets, when outdated
    picks: tuple[str, ...] = ()  # what the selector picks today

    @property
    def baseline(self) -> str | None:
        """The version the baseline cell takes: the one in use, else what a fresh
        install would take (the newest release the declaration allows)."""
        return self.in_use or self.fresh

    @property
    def outdated(self) -> bool:
        return _newer(self.latest, self.baseline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "declared": self.declared,
            "declared_in": self.declared_in,
            "marker": self.marker,
            "in_use": self.in_use,
            "in_use_source": self.in_use_source,
            "baseline": self.baseline,
            "latest": self.latest,
            "latest_allowed": self.latest_allowed,
            "fresh_install": self.fresh,
            "outdated": self.outdated,
            "majors_behind": self.majors_behind,
            "minors_behind": self.minors_behind,
            "releases_behind": self.releases_behind,
            "baseline_released": self.baseline_released,
            "latest_released": self.latest_released,
            "days_behind": self.days_behind,
            "age_days": self.age_days,
            "yanked": self.yanked,
            "python_drops": [d.to_dict() for d in self.python_drops],
            "vulnerabilities": self.vulnerabilities.to_dict() if self.vulnerabilities else None,
            "problem": self.problem,
            "axis": _selector_dict(self.selector),
            "axis_picks": list(self.picks),
        }


@dataclass(frozen=True)
class PythonReport:
    """The interpreter in use and the ones the image family offers."""

    in_use: str | None
    source: str
    end_of_life: str | None
    supported: bool | None
    baseline: str | None  # the family's interpreter the baseline cell uses
    newer: tuple[lifecycle.Lifecycle, ...]
    axis: tuple[str, ...]  # the matrix's python axis
    mentions: tuple[tuple[str, str], ...] = ()  # (version, source) of every mention

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_use": self.in_use,
            "source": self.source,
            "end_of_life": self.end_of_life,
            "supported": self.supported,
            "baseline": self.baseline,
            "newer_provided": [n.to_dict() for n in self.newer],
            "axis": list(self.axis),
            "mentions": [{"version": v, "source": s} for v, s in self.mentions],
        }


@dataclass(frozen=True)
class Assessment:
    facts: Facts
    family: str
    today: datetime.date
    python: PythonReport
    dependencies: tuple[DependencyReport, ...]
    advisory_source: str
    index_url: str | None
    notes: tuple[str, ...] = field(default=())

    @property
    def axes(self) -> tuple[DependencyReport, ...]:
        """The dependencies that become matrix axes (outdated runtime ones)."""
        return tuple(d for d in self.dependencies if d.selector is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "oxzep7.assessment/1",
            "project": str(self.facts.root),
            "name": self.facts.name,
            "date": self.today.isoformat(),
            "image_family": self.family,
            "index": self.index_url,
            "advisory_source": self.advisory_source,
            "python": self.python.to_dict(),
            "dependencies": [d.to_dict() for d in self.dependencies],
            "facts": self.facts.to_dict(),
            "notes": list(self.notes),
        }


# --- gathering ---------------------------------------------------------------------------


def assess(
    path: Path,
    *,
    client: IndexClient | None,
    advisories: Source | None = None,
    family: str = "debian",
    today: datetime.date | None = None,
) -> Assessment:
    """Assess the project in ``path``. ``client=None`` asks no index (versions in use and
    declarations only). An index that cannot answer for a dependency is that
    dependency's ``problem``, never an error of the whole assessment."""
    if not path.is_dir():
        raise ConfigError(f"{path}: not a project directory")
    facts = read_project(path.resolve())
    names = [d.name for d in facts.declared]
    projects, problems = _fetch(client, names)
    return build(
        facts,
        projects,
        advisories or NoSource(),
        family=family,
        today=today or datetime.date.today(),
        problems=problems,
        index_url=client.url if client else None,
    )


def _fetch(
    client: IndexClient | None, names: Sequence[str]
) -> tuple[dict[str, Project], dict[str, str]]:
    if client is None or not names:
        return {}, dict.fromkeys(names, "no package index asked (--no-index)")
    try:
        return client.projects(names), {}
    except PackageIndexError:
        pass  # find out which: one private package must not hide the others
    projects: dict[str, Project] = {}
    problems: dict[str, str] = {}
    for name in dict.fromkeys(names):
        try:
            projects[name] = client.project(name)
        except PackageIndexError as exc:
            problems[name] = str(exc)
    return projects, problems


# --- judging ------------------------------------------------------------------------------


def build(
    facts: Facts,
    projects: Mapping[str, Project],
    advisories: Source,
    *,
    family: str,
    today: datetime.date,
    problems: Mapping[str, str] | None = None,
    index_url: str | None = None,
) -> Assessment:
    python = _python_report(facts, family, today)
    in_use_pythons = _pythons_in_use(facts)
    notes: list[str] = list(facts.problems)
    reports = []
    for declared in facts.declared:
        report = _dependency(
            declared,
            facts,
            projects.get(declared.name),
            (problems or {}).get(declared.name, ""),
            in_use_pythons,
            python.baseline,
            today,
        )
        version = report.baseline
        check = advisories.check(declared.name, version) if version else None
        if check is not None and not report.in_use:
            note = "not pinned: the version a fresh install takes was checked"
            check = replace(check, note="; ".join(filter(None, [check.note, note])))
        reports.append(_with_axis(replace(report, vulnerabilities=check), projects))
    if python.in_use and python.baseline != python.in_use:
        notes.append(
            f"image family {family!r} has no Python {python.in_use}; "
            f"the matrix's baseline uses {python.baseline}"
        )
    if not facts.installable:
        notes.append(
            "no pyproject.toml build system, setup.py or setup.cfg: the cells "
            "install the project with pip, which needs one"
        )
    return Assessment(
        facts=facts,
        family=family,
        today=today,
        python=python,
        dependencies=tuple(reports),
        advisory_source=advisories.description,
        index_url=index_url,
        notes=tuple(notes),
    )


def _python_report(facts: Facts, family: str, today: datetime.date) -> PythonReport:
    mention = facts.python_in_use
    in_use = mention.version if mention else None
    baseline = lifecycle.nearest_provided(in_use, family) if in_use else None
    supported = lifecycle.supported_provided(family, today)
    if baseline is None:
        baseline = supported[0] if supported else None
    allowed = _spec(facts.requires_python)
    axis = [baseline] if baseline else []
    for version in supported:
        newer = baseline is None or _version_key(version) > _version_key(baseline)
        if newer and _allows_python(allowed, version) and version not in axis:
            axis.append(version)
    return PythonReport(
        in_use=in_use,
        source=mention.source if mention else "",
        end_of_life=lifecycle.end_of_life(in_use) if in_use else None,
        supported=lifecycle.is_supported(in_use, today) if in_use else None,
        baseline=baseline,
        newer=lifecycle.newer_provided(in_use, family, today) if in_use else (),
        axis=tuple(axis),
        mentions=tuple((m.version, m.source) for m in facts.pythons),
    )


def _pythons_in_use(facts: Facts) -> tuple[str, ...]:
    """Interpreters the project runs on: what its files name (requires-python's lower
    bound only when nothing else does)."""
    named = [m.version for m in facts.pythons if not m.source.startswith("requires-python")]
    if not named:
        named = [m.version for m in facts.pythons]
    return tuple(dict.fromkeys(named))


def _dependency(
    declared: Declared,
    facts: Facts,
    project: Project | None,
    problem: str,
    pythons: Sequence[str],
    baseline_python: str | None,
    today: datetime.date,
) -> DependencyReport:
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
    finals = [r for r in project.releases if not r.yanked and not _is_pre(r.version)]
    latest = finals[-1].version if finals else None
    spec = _spec(declared.specifier)
    allowed = [r for r in finals if spec is None or spec.contains(r.version, prereleases=True)]
    latest_allowed = allowed[-1].version if allowed else None
    installable = [
        r
        for r in allowed
        if baseline_python is None or _allows_python(_spec(_requires_python(r)), baseline_python)
    ]
    fresh = installable[-1].version if installable and not in_use else None
    base = in_use or fresh
    base_release = project.release(base) if base else None
    latest_release = project.release(latest) if latest else None
    newer = [r for r in finals if base and _newer(r.version, base)]
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
    spec = _spec(declared.specifier)
    exact = [s for s in spec or () if s.operator in ("==", "===") and "*" not in s.version]
    if len(exact) == 1:
        return exact[0].version, declared.source
    return None, ""


def _with_axis(report: DependencyReport, projects: Mapping[str, Project]) -> DependencyReport:
    """The matrix axis of an outdated runtime dependency: the baseline plus a selector
    of the newer releases (newest of each major where majors come often, else of each
    minor), at most MAX_AXIS_VALUES lines."""
    project = projects.get(report.name)
    base = report.baseline
    if report.kind != RUNTIME or report.marker or project is None or not base:
        return report
    if not report.outdated:
        return report
    newer = [v for v in project.versions if not _is_pre(v) and _newer(v, base)]
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


# --- small helpers -----------------------------------------------------------------------


def _spec(text: str | None) -> SpecifierSet | None:
    if text is None:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _allows_python(spec: SpecifierSet | None, version: str) -> bool:
    if spec is None:
        return True
    return spec.contains(f"{version}.0", prereleases=True) or spec.contains(
        f"{version}.99", prereleases=True
    )


def _is_pre(version: str) -> bool:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return True
    return parsed.is_prerelease or parsed.is_devrelease


def _newer(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return False


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
            if requires and not _allows_python(_spec(requires), python):
                drops.append(PythonDrop(python, release.version, requires))
                break
    return tuple(drops)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _selector_dict(selector: Selector | None) -> dict[str, str] | None:
    if selector is None:
        return None
    return {"range": selector.range, "pick": selector.pick}
