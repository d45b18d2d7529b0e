"""Why the cells ranked above the recommendation are not safe: the culprit (the one
axis change that separates a cell from a safe neighbour), and the warnings a reader
must know before trusting the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.models import NOT_RUN, state_word
from orchestrator.sanitize import fit
from orchestrator.verdict.attribute import Attribution, attribute
from orchestrator.verdict.clusters import UNKNOWN
from orchestrator.verdict.model import Blocker, CellVerdict, Change, Culprit, TestMatrix
from orchestrator.verdict.order import axis_name, axis_names, sorted_values
from orchestrator.verdict.words import count

SIGNATURE_WIDTH = 70  # of a signature quoted in a sentence


@dataclass(frozen=True)
class Ranking:
    """Judged cells highest first, the recommendation (the highest safe cell) and the
    safe cells that rank equal to it."""

    cells: tuple[CellVerdict, ...]
    recommended: CellVerdict | None
    tied: tuple[str, ...]


def explain(
    cell: CellVerdict, ranked: Sequence[CellVerdict], matrix: TestMatrix | None = None
) -> Blocker:
    """Why ``cell`` (not safe) is not the recommendation, which change breaks it, and
    (with the per-test ``matrix``) which change explains each of its regressions."""
    safe = [c for c in ranked if c.safe]
    culprits = culprits_of(cell, safe, ranked)
    nearest: str | None = None
    changes: tuple[Change, ...] = ()
    if not culprits and safe:
        nearest_cell = min(safe, key=lambda s: (len(differences(cell, s)), s.rank))
        nearest, changes = nearest_cell.id, tuple(differences(cell, nearest_cell))
    attributions = attribute(cell, ranked, matrix) if matrix is not None else ()
    explanation = _explanation(cell, culprits, nearest, changes, bool(safe))
    if not culprits and any(a.changes for a in attributions):
        explanation = attributed(attributions, nearest, changes)
    return Blocker(
        cell=cell.id,
        label=cell.label,
        status=cell.status,
        problem=cell.reason,
        regressions=tuple(r.test for r in cell.regressions),
        culprits=culprits,
        nearest=nearest,
        nearest_changes=changes,
        explanation=explanation,
        attributions=attributions,
    )


def attributed(
    attributions: Sequence[Attribution], nearest: str | None, changes: Sequence[Change]
) -> str:
    """``more than one axis changes at once: 140 regressions from urllib3 1.26.20 ->
    2.2.3 (TypeError: ...), 1 from python 3.9 -> 3.13 (...)``."""
    parts = []
    for i, attribution in enumerate(attributions):
        signature = attribution.signatures[0] if attribution.signatures else UNKNOWN
        shown = f" ({fit(signature, SIGNATURE_WIDTH)})" if signature != UNKNOWN else ""
        parts.append(attribution.phrase(first=i == 0) + shown)
    text = "more than one axis changes at once: " + ", ".join(parts)
    if nearest and not attributions[-1].changes:
        moves = ", ".join(c.text for c in changes)
        text += f" (nearest safe cell: {nearest}, which differs in {moves})"
    return text


def differences(cell: CellVerdict, other: CellVerdict) -> list[Change]:
    """The axis changes that lead from ``other`` to ``cell``."""
    return [
        Change(axis, other.axes.get(axis, ""), cell.axes.get(axis, ""))
        for axis in axis_names([other.axes, cell.axes])
        if other.axes.get(axis) != cell.axes.get(axis)
    ]


def culprits_of(
    cell: CellVerdict, safe: Sequence[CellVerdict], ranked: Sequence[CellVerdict]
) -> tuple[Culprit, ...]:
    """One culprit per axis in which some safe cell differs from ``cell`` alone."""
    by_axis: dict[str, list[CellVerdict]] = {}
    for other in safe:
        changes = differences(cell, other)
        if len(changes) == 1 and cell.axes:
            by_axis.setdefault(changes[0].axis, []).append(other)
    culprits = []
    for axis, neighbours in by_axis.items():
        scale = sorted_values(c.axes[axis] for c in ranked if axis in c.axes)
        closest = closest_first(neighbours, axis, cell.axes.get(axis, ""), scale)
        change = Change(axis, closest[0].axes.get(axis, ""), cell.axes.get(axis, ""))
        culprits.append(Culprit(change, tuple(n.id for n in closest)))
    return tuple(culprits)


def closest_first(
    cells: Sequence[CellVerdict], axis: str, value: str, scale: list[str]
) -> list[CellVerdict]:
    """``cells`` by how many steps their ``axis`` value is from ``value`` on ``scale``
    (3.11 is closer to 3.13 than 3.9 is), then highest first."""

    def distance(other: CellVerdict) -> tuple[int, int]:
        there = other.axes.get(axis, "")
        if value in scale and there in scale:
            return (abs(scale.index(value) - scale.index(there)), other.rank)
        return (len(scale), other.rank)

    return sorted(cells, key=distance)


def _explanation(
    cell: CellVerdict,
    culprits: Sequence[Culprit],
    nearest: str | None,
    changes: Sequence[Change],
    any_safe: bool,
) -> str:
    if cell.status == NOT_RUN:
        return f"{state_word(NOT_RUN)}, so nothing to explain yet"
    if not any_safe:
        return "no safe cell to compare with"
    if len(culprits) == 1:
        return f"culprit: {culprits[0].text} ({_neighbours(culprits[0])})"
    if culprits:
        each = "; ".join(f"{c.text} ({_neighbours(c)})" for c in culprits)
        return f"culprit: the combination, as each change alone is safe: {each}"
    moves = ", ".join(c.text for c in changes)
    return (
        "more than one axis changes at once; no single-axis culprit "
        f"(nearest safe cell: {nearest}, which differs in {moves})"
    )


def _neighbours(culprit: Culprit) -> str:
    first, *others = culprit.neighbours
    also = f"; also safe: {', '.join(others)}" if others else ""
    return f"{first} is safe{also}"


def warnings(
    baseline_problem: str,
    not_run: Sequence[str],
    wanted: Sequence[str] | None,
    axes: Sequence[str],
    ranking: Ranking,
) -> list[str]:
    """What a reader must know before trusting the verdict: the baseline's problem, the
    cells not run, priority names that match no axis, ties for the recommendation."""
    found = [baseline_problem] if baseline_problem else []
    if not_run:
        found.append(
            f"{count(len(not_run), 'cell')} {state_word(NOT_RUN)} ({', '.join(not_run)}): "
            "the verdict covers only cells with a result and may change once they run."
        )
    unknown = [n for n in wanted or () if axis_name(n) not in axes]
    if unknown:
        found.append(f"Priority names unknown axes, ignored: {', '.join(unknown)}.")
    picked, tied = ranking.recommended, ranking.tied

    if picked is not None and tied:
        found.append(
            f"{', '.join(tied)} rank{'s' if len(tied) == 1 else ''} equal to {picked.id} "
            f"(same versions); {picked.id} is listed first in the results, so it is picked."
        )
    return found


def support_warnings(
    ranking: Ranking, above: Sequence[CellVerdict], require_supported: bool
) -> list[str]:
    """Safe cells kept out of the recommendation because their Python is past its end
    of life (``run.require_supported``)."""
    kept_out = [c.id for c in above if c.safe and c.unsupported]
    if not require_supported or not kept_out:
        return []
    return [
        f"{count(len(kept_out), 'safe cell')} kept out of the recommendation, on a Python "
        f"past its end of life (run.require_supported): {', '.join(kept_out)}."
    ]
