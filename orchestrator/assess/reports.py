"""What an assessment says: one report per direct dependency (declared, in use,
available, how far behind, advisories, the matrix axis it gets), the interpreter's
report, and the assessment that holds them, each with its JSON form.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from orchestrator.assess import lifecycle
from orchestrator.assess.advisories import Check
from orchestrator.assess.facts import Facts
from orchestrator.assess.versionmath import is_newer
from orchestrator.plan.selectors import Selector


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
        return is_newer(self.latest, self.baseline)

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


def _selector_dict(selector: Selector | None) -> dict[str, str] | None:
    if selector is None:
        return None
    return {"range": selector.range, "pick": selector.pick}
