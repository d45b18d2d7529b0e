"""The first bad release: when a culprit axis jumps over several releases (click 7.1.2
-> 8.1.8), the releases in between, run on the failing cell's other axes and bisected,
name the first one in which each regressing cluster appears.

Pure logic: which cell and axis to bisect (:func:`targets`), which release to run next
and what the runs showed (:class:`Search`). Running the releases belongs to
``orchestrator.bisecting``, through the planner, the images and the nox sessions.

Each cluster is assumed to appear once and stay (a bisection's usual assumption):
its first bad release is the lowest one that shows it above the highest that does not.
A release that could not run (its cell errored) is left out of the search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator.models import PYTHON_AXIS
from orchestrator.results import FirstBad
from orchestrator.verdict.clusters import UNKNOWN
from orchestrator.verdict.model import Blocker, CellVerdict, Verdict


@dataclass(frozen=True)
class Target:
    """One axis change of one failing cell, and the clusters it brings."""

    cell: str  # the failing cell
    axes: Mapping[str, str]  # its axes (the other axes stay as they are)
    axis: str  # the dependency axis to bisect
    good: str  # the value where the clusters do not appear (the neighbour's)
    bad: str  # the cell's value
    clusters: Mapping[str, tuple[str, ...]]  # signature -> its regressing tests here


def targets(verdict: Verdict, cell_id: str) -> list[Target]:
    """What to bisect in ``cell_id``: each dependency-axis change that explains some of
    its regressions (a single-axis culprit, or a per-test attribution)."""
    blocker = next((b for b in verdict.blockers if b.cell == cell_id), None)
    if blocker is None:
        return []
    cell = verdict.cell(cell_id)
    found: dict[tuple[str, str], list[str]] = {}
    for attribution in blocker.attributions:
        if len(attribution.changes) == 1 and attribution.changes[0].axis != PYTHON_AXIS:
            change = attribution.changes[0]
            found.setdefault((change.axis, change.before), []).extend(attribution.tests)
    if not found:
        for culprit in _dependency_culprits(blocker):
            found[(culprit.axis, culprit.before)] = [r.test for r in cell.regressions]
    return [
        Target(cell.id, dict(cell.axes), axis, good, cell.axes[axis], _clusters(cell, tests))
        for (axis, good), tests in found.items()
        if tests
    ]


def _dependency_culprits(blocker: Blocker) -> list[_Change]:
    if len(blocker.culprits) != 1:
        return []
    change = blocker.culprits[0].change
    return [] if change.axis == PYTHON_AXIS else [_Change(change.axis, change.before)]


@dataclass(frozen=True)
class _Change:
    axis: str
    before: str


def _clusters(cell: CellVerdict, tests: Sequence[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for test in tests:
        found.setdefault(cell.signature_of(test) or test, []).append(test)
    return {signature: tuple(mine) for signature, mine in found.items()}


@dataclass
class Search:
    """The bisection of one target over ``releases`` (ascending, strictly between the
    good and the bad value): what each run showed, and what to run next."""

    target: Target
    releases: list[str]
    uploaded: Mapping[str, str] = field(default_factory=dict)  # release -> YYYY-MM-DD
    shown: dict[str, frozenset[str]] = field(default_factory=dict)  # release -> signatures
    tried: list[str] = field(default_factory=list)

    def observe(self, release: str, failing: Mapping[str, str] | None) -> None:
        """What the run of ``release`` showed: its failing tests and their signatures
        (test -> signature), or None when it could not run (left out from then on)."""
        self.tried.append(release)
        if failing is None:
            self.releases.remove(release)
            return
        present = set()
        for signature, tests in self.target.clusters.items():
            if any(failing.get(t, None) in (signature, "", UNKNOWN) for t in tests):
                present.add(signature)
        self.shown[release] = frozenset(present)

    def bounds(self, signature: str) -> tuple[int, int]:
        """(index of the highest release known without it, of the lowest known with
        it); -1 is the good end, len(releases) the bad end."""
        with_it = [i for i, r in enumerate(self.releases) if signature in self.shown.get(r, ())]
        high = min(with_it, default=len(self.releases))
        without = [
            i
            for i, r in enumerate(self.releases)
            if i < high and r in self.shown and signature not in self.shown[r]
        ]
        return max(without, default=-1), high

    def next_release(self) -> str | None:
        """The middle of the widest interval still open, or None when every cluster's
        first bad release is known."""
        widest: tuple[int, int, int] | None = None
        for signature in self.target.clusters:
            low, high = self.bounds(signature)
            if high - low > 1 and (widest is None or high - low > widest[0]):
                widest = (high - low, low, high)
        if widest is None:
            return None
        _, low, high = widest
        return self.releases[(low + high) // 2]

    def findings(self, run_dir: str = "") -> tuple[FirstBad, ...]:
        found = []
        for signature, tests in self.target.clusters.items():
            low, high = self.bounds(signature)
            bad = self.releases[high] if high < len(self.releases) else self.target.bad
            good = self.releases[low] if low >= 0 else self.target.good
            found.append(
                FirstBad(
                    cell=self.target.cell,
                    axis=self.target.axis,
                    good=good,
                    bad=bad,
                    uploaded=self.uploaded.get(bad, ""),
                    signature=signature,
                    tests=tests,
                    tried=tuple(self.tried),
                    run_dir=run_dir,
                )
            )
        return tuple(found)
