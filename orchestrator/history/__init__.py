"""Runs of one matrix over time: the series (``series``), what changed between two runs
(``diff``, with upload dates from ``dates``), the diff as a report section (``render``)
and the exit code a schedule wants (``failon``).

    run dir (N-1) + run dir (N) --diff--> what changed since last night
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.history import dates, series
from orchestrator.history.diff import Lookup, RunDiff, compare, with_dates


def index_lookup(run_path: Path, *, offline: bool = False) -> Lookup | None:
    """Upload dates from the index the run's plan was resolved on (None: it asked none)."""
    url = series.meta(run_path).get("index")
    return dates.from_index(url, offline=offline) if url else None


def since_previous(run_path: Path, lookup: Lookup | None = None) -> RunDiff | None:
    """What changed since the previous run of the same matrix (None when there is none)."""
    run = series.load_run(run_path)
    earlier = series.previous(run)
    if earlier is None:
        return None
    return between(earlier, run, lookup)


def between(before: series.Run, after: series.Run, lookup: Lookup | None = None) -> RunDiff:
    diff = compare(before.side(), after.side())
    return with_dates(diff, lookup) if lookup is not None else diff
