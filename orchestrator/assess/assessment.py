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

from orchestrator.assess import lifecycle
from orchestrator.assess.advisories import NoSource, Source
from orchestrator.assess.dependencies import Scope, dependency, with_axis
from orchestrator.assess.facts import Facts
from orchestrator.assess.projectfiles import read_project
from orchestrator.assess.reports import Assessment, PythonReport
from orchestrator.assess.versionmath import allows_python, specifier_set, version_key
from orchestrator.errors import ConfigError, PackageIndexError
from orchestrator.plan.index import IndexClient, Project

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
        IndexAnswers(projects, problems, client.url if client else None),
        advisories or NoSource(),
        family=family,
        today=today or datetime.date.today(),
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


@dataclass(frozen=True)
class IndexAnswers:
    """What the package index said about the declared dependencies."""

    projects: Mapping[str, Project]
    problems: Mapping[str, str] = field(default_factory=dict)  # name -> why it could not
    url: str | None = None


def build(
    facts: Facts,
    index: IndexAnswers,
    advisories: Source,
    *,
    family: str,
    today: datetime.date,
) -> Assessment:
    python = _python_report(facts, family, today)
    scope = Scope(_pythons_in_use(facts), python.baseline, today)
    projects = index.projects
    notes: list[str] = list(facts.problems)
    reports = []
    for declared in facts.declared:
        report = dependency(
            declared,
            facts,
            projects.get(declared.name),
            index.problems.get(declared.name, ""),
            scope,
        )
        version = report.baseline
        check = advisories.check(declared.name, version) if version else None
        if check is not None and not report.in_use:
            note = "not pinned: the version a fresh install takes was checked"
            check = replace(check, note="; ".join(filter(None, [check.note, note])))
        reports.append(with_axis(replace(report, vulnerabilities=check), projects))
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
        index_url=index.url,
        notes=tuple(notes),
    )


def _python_report(facts: Facts, family: str, today: datetime.date) -> PythonReport:
    mention = facts.python_in_use
    in_use = mention.version if mention else None
    baseline = lifecycle.nearest_provided(in_use, family) if in_use else None
    supported = lifecycle.supported_provided(family, today)
    if baseline is None:
        baseline = supported[0] if supported else None
    allowed = specifier_set(facts.requires_python)
    axis = [baseline] if baseline else []
    for version in supported:
        newer = baseline is None or version_key(version) > version_key(baseline)
        if newer and allows_python(allowed, version) and version not in axis:
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
