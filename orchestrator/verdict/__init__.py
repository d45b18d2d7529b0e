"""The verdict on a run: which cells are safe, which one to pick, and why the
higher ones are not. This package's public face; the logic lives in its modules."""

from orchestrator.verdict.judge import (
    NOT_RUN,
    Blocker,
    CellVerdict,
    Verdict,
    cell_outcomes,
    compute,
    count,
    describe,
    first_line,
    sorted_values,
    value_key,
)

__all__ = [
    "NOT_RUN",
    "Blocker",
    "CellVerdict",
    "Verdict",
    "cell_outcomes",
    "compute",
    "count",
    "describe",
    "first_line",
    "sorted_values",
    "value_key",
]
