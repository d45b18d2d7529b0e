"""What changed between two runs of one matrix: cells whose status changed, tests that
newly fail or newly pass, resolved versions that changed in each cell (with the
release's upload date) and the upstream releases that entered through selectors.

Pure: it compares two :class:`Side` values (a run's results and what its plan resolved);
:mod:`orchestrator.history.series` reads them from run directories and
:mod:`orchestrator.history.dates` asks the index for upload dates.

Cells are paired by id; a cell whose id changed because a selector picked a newer release
(``py3.11-click8.1.8`` then ``py3.11-click8.2.1``) is paired with the one it replaced:
the same values on every axis but those whose old value left the plan and whose new
value entered it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.utils import canonicalize_name

from orchestrator.errors import Oxzep7Error
from orchestrator.models import ERROR, FAILED, FAILING, NOT_RUN, PASSED, PYTHON_AXIS, RAN, TIMEOUT
from orchestrator.results import RunResults

# How bad a cell's state is, for "worse than the previous run".
BADNESS = {PASSED: 0, "infeasible": 0, FAILED: 1, ERROR: 2, TIMEOUT: 2, NOT_RUN: 2}
Lookup = Callable[[Collection[tuple[str, str]]], Mapping[tuple[str, str], str]]


@dataclass(frozen=True)
class Side:
    """One run as a diff sees it."""

    results: RunResults
    resolved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.results.run_id


@dataclass(frozen=True)
class StatusChange:
    before_id: str | None  # None: a cell new in the later run
    after_id: str | None  # None: a cell no longer in the plan
    before: str
    after: str

    @property
    def label(self) -> str:
        ids = [i for i in (self.before_id, self.after_id) if i]
        return " -> ".join(dict.fromkeys(ids))

    @property
    def worse(self) -> bool:
        if self.after_id is None:
            return False  # gone from the plan: nothing to fail on
        if self.before_id is None:
            return BADNESS.get(self.after, 2) > 0  # a new cell that does not pass
        return BADNESS.get(self.after, 2) > BADNESS.get(self.before, 0)


@dataclass(frozen=True)
class TestChange:
    __test__ = False  # not a pytest test class

    cell: str
    newly_failing: tuple[str, ...]
    newly_passing: tuple[str, ...]


@dataclass(frozen=True)
class VersionChange:
    cell: str
    package: str
    before: str | None  # None: newly installed
    after: str | None  # None: no longer installed
    uploaded: str | None = None  # when ``after`` was published, if the index says


@dataclass(frozen=True)
class NewRelease:
    axis: str
    version: str
    uploaded: str | None = None


@dataclass(frozen=True)
class RunDiff:
    before: str  # run ids
    after: str
    statuses: tuple[StatusChange, ...] = ()
    tests: tuple[TestChange, ...] = ()
    versions: tuple[VersionChange, ...] = ()
    releases: tuple[NewRelease, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. why upload dates are missing

    @property
    def empty(self) -> bool:
        return not (self.statuses or self.tests or self.versions or self.releases)

    def news(self) -> list[tuple[str, str]]:
        """What is worse than in the earlier run, each with the (later) cell it concerns:
        what ``--fail-on new`` fails on."""
        found = [
            (f"{c.label}: {c.before} -> {c.after}".replace(NOT_RUN, "not run"), c.after_id or "")
            for c in self.statuses
            if c.worse
        ]
        found += [
            (f"{t.cell}: newly failing: {', '.join(t.newly_failing)}", t.cell)
            for t in self.tests
            if t.newly_failing
        ]
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "statuses": [
                {
                    "before_id": c.before_id,
                    "after_id": c.after_id,
                    "before": c.before,
                    "after": c.after,
                }
                for c in self.statuses
            ],
            "tests": [
                {
                    "cell": t.cell,
                    "newly_failing": list(t.newly_failing),
                    "newly_passing": list(t.newly_passing),
                }
                for t in self.tests
            ],
            "versions": [
                {
                    "cell": v.cell,
                    "package": v.package,
                    "before": v.before,
                    "after": v.after,
                    "uploaded": v.uploaded,
                }
                for v in self.versions
            ],
            "releases": [
                {"axis": r.axis, "version": r.version, "uploaded": r.uploaded}
                for r in self.releases
            ],
            "news": [text for text, _ in self.news()],
            "notes": list(self.notes),
        }


def compare(before: Side, after: Side) -> RunDiff:
    """The differences between two runs (``before`` the earlier one)."""
    pairs = _pairs(before.results, after.results)
    statuses, tests, versions = [], [], []
    for old, new in pairs:
        old_state = before.results.state(old) if old else NOT_RUN
        new_state = after.results.state(new) if new else NOT_RUN
        if old is None or new is None or old_state != new_state:
            statuses.append(StatusChange(old, new, old_state, new_state))
        if old is None or new is None:
            continue
        change = _tests(before.results, old, after.results, new)
        if change is not None:
            tests.append(change)
        versions += _versions(before.results, old, after.results, new)
    return RunDiff(
        before=before.run_id,
        after=after.run_id,
        statuses=tuple(statuses),
        tests=tuple(tests),
        versions=tuple(versions),
        releases=_releases(before.resolved, after.resolved),
    )


def with_dates(diff: RunDiff, lookup: Lookup) -> RunDiff:
    """``diff`` with the upload date of every changed-to version and new release."""
    wanted = {(canonicalize_name(v.package), v.after) for v in diff.versions if v.after}
    wanted |= {
        (canonicalize_name(r.axis), r.version) for r in diff.releases if r.axis != PYTHON_AXIS
    }
    if not wanted:
        return diff
    try:
        dates = lookup(wanted)
    except (Oxzep7Error, OSError) as exc:  # dates are a nicety: the diff stands without them
        return replace(diff, notes=(*diff.notes, f"upload dates unavailable: {exc}"))
    return replace(
        diff,
        versions=tuple(
            replace(v, uploaded=dates.get((canonicalize_name(v.package), v.after or "")))
            for v in diff.versions
        ),
        releases=tuple(
            replace(r, uploaded=dates.get((canonicalize_name(r.axis), r.version)))
            for r in diff.releases
        ),
    )


# --------------------------------------------------------------------------- pairing


def _ids(results: RunResults) -> list[str]:
    return [*(r.cell.id for r in results.cells), *(n.id for n in results.not_run)]


def _axes(results: RunResults) -> dict[str, Mapping[str, str]]:
    found: dict[str, Mapping[str, str]] = {n.id: n.axes for n in results.not_run if n.axes}
    found.update({r.cell.id: r.cell.axes for r in results.cells})
    return found


def _pairs(before: RunResults, after: RunResults) -> list[tuple[str | None, str | None]]:
    """(earlier id, later id) for every cell of either run, later run's order first."""
    old_ids, new_ids = _ids(before), _ids(after)
    pairs: list[tuple[str | None, str | None]] = []
    lone_old = [i for i in old_ids if i not in set(new_ids)]
    old_axes, new_axes = _axes(before), _axes(after)
    old_values = _values(old_axes.values())
    new_values = _values(new_axes.values())
    for cell_id in new_ids:
        if cell_id in old_ids:
            pairs.append((cell_id, cell_id))
            continue
        axes = new_axes.get(cell_id, {})
        found = [
            o for o in lone_old if _replaces(old_axes.get(o, {}), axes, old_values, new_values)
        ]
        if len(found) == 1:
            lone_old.remove(found[0])
            pairs.append((found[0], cell_id))
        else:
            pairs.append((None, cell_id))
    return pairs + [(cell_id, None) for cell_id in lone_old]


def _values(all_axes: Collection[Mapping[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for axes in all_axes:
        for axis, value in axes.items():
            found.setdefault(axis, set()).add(value)
    return found


def _replaces(
    old: Mapping[str, str],
    new: Mapping[str, str],
    old_values: Mapping[str, set[str]],
    new_values: Mapping[str, set[str]],
) -> bool:
    """Whether cell ``new`` takes the place of ``old``: the same python and axes, and on
    each axis where they differ, the old value left the plan and the new one entered it."""
    if not old or set(old) != set(new) or old.get(PYTHON_AXIS) != new.get(PYTHON_AXIS):
        return False
    differing = [axis for axis in new if old[axis] != new[axis]]
    return bool(differing) and all(
        old[axis] not in new_values.get(axis, set())
        and new[axis] not in old_values.get(axis, set())
        for axis in differing
    )


# --------------------------------------------------------------------------- changes


def _tests(before: RunResults, old: str, after: RunResults, new: str) -> TestChange | None:
    a, b = before.cell(old), after.cell(new)
    if a is None or b is None or a.status not in RAN or b.status not in RAN:
        return None
    if not (a.junit and b.junit):
        return None
    was_failing = {t for t, o in a.outcomes.items() if o in FAILING}
    now_failing = {t for t, o in b.outcomes.items() if o in FAILING}
    newly_failing = tuple(t for t in b.outcomes if t in now_failing and t not in was_failing)
    newly_passing = tuple(t for t, o in b.outcomes.items() if o == PASSED and t in was_failing)
    if not (newly_failing or newly_passing):
        return None
    return TestChange(new, newly_failing, newly_passing)


def _versions(before: RunResults, old: str, after: RunResults, new: str) -> list[VersionChange]:
    a, b = before.cell(old), after.cell(new)
    if a is None or b is None or not a.packages or not b.packages:
        return []
    old_set = {canonicalize_name(name): (name, v) for name, v in a.packages.items()}
    new_set = {canonicalize_name(name): (name, v) for name, v in b.packages.items()}
    changes = []
    for key in sorted(set(old_set) | set(new_set)):
        was, now = old_set.get(key, ("", None)), new_set.get(key, ("", None))
        if was[1] != now[1]:
            changes.append(VersionChange(new, now[0] or was[0], was[1], now[1]))
    return changes


def _releases(
    before: Mapping[str, tuple[str, ...]], after: Mapping[str, tuple[str, ...]]
) -> tuple[NewRelease, ...]:
    """Values an axis resolved to now and not before (the axis existed in both runs)."""
    return tuple(
        NewRelease(axis, version)
        for axis, versions in after.items()
        if axis in before
        for version in versions
        if version not in before[axis]
    )
