"""Exit codes for schedules: ``--fail-on any|regression|new``.

- ``any`` (the default): fail when some cell did not pass.
- ``regression``: fail when some cell has a test that regresses against the baseline, or
  could not be judged (an error, a timeout, not run, or a baseline that did not run);
  failures the baseline shares (pre-existing) do not count.
- ``new``: fail only on what is worse than the previous run of the same matrix: a cell
  whose status got worse, a test that newly fails, a new cell that does not pass. A
  nightly job goes red on news, not on known breakage. Without a previous run, every
  failure is news: ``new`` then judges as ``any``.
"""

from __future__ import annotations

from collections.abc import Collection

from orchestrator.errors import EXIT_CELLS_FAILED, EXIT_OK
from orchestrator.history.diff import RunDiff
from orchestrator.models import ERROR, NOT_RUN, PASSED, RAN, TIMEOUT
from orchestrator.results import RunResults
from orchestrator.verdict import Verdict

MODES = ("any", "regression", "new")
HELP = (
    "when to exit 1: 'any' cell that did not pass (default); a 'regression' against the "
    "baseline (or a cell that could not be judged); only what is 'new' since the previous "
    "run of the matrix (for nightly schedules; as 'any' when there is none)"
)


def failures(
    mode: str,
    results: RunResults,
    verdict: Verdict,
    diff: RunDiff | None,
    judged: Collection[str],
) -> list[str]:
    """Why the run fails under ``mode`` (empty: it does not); ``judged`` are the cell ids
    that count (a ``--cell`` run judges only its own)."""
    if mode == "new" and diff is not None:
        judged_ids = set(judged)
        return [text for text, cell in diff.news() if cell in judged_ids]
    if mode == "regression":
        return _regressions(results, verdict, judged)
    return [
        f"{cell}: {results.state(cell)}".replace(NOT_RUN, "not run")
        for cell in judged
        if results.state(cell) != PASSED
    ]


def exit_code(reasons: Collection[str]) -> int:
    return EXIT_CELLS_FAILED if reasons else EXIT_OK


def _regressions(results: RunResults, verdict: Verdict, judged: Collection[str]) -> list[str]:
    reasons = []
    if verdict.baseline is not None and results.state(verdict.baseline) not in RAN:
        reasons.append(f"the baseline {verdict.baseline} did not run its tests")
    for cell_id in judged:
        state = results.state(cell_id)
        if state in (ERROR, TIMEOUT, NOT_RUN):
            reasons.append(f"{cell_id}: {state}".replace(NOT_RUN, "not run"))
            continue
        regressions = verdict.cell(cell_id).regressions if cell_id in verdict.order else ()
        if regressions:
            reasons.append(f"{cell_id}: {len(regressions)} regression(s)")
    return reasons
