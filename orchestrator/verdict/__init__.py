"""The verdict on a run: which cells are safe, which one to pick, and why the
higher ones are not. This package's public face; the logic lives in its modules:

- ``model``: the frozen data a verdict is made of (and its JSON form);
- ``order``: which cell is higher (axis values as versions, by priority);
- ``judge``: each cell against the baseline, the recommendation (``compute``);
- ``explain``: culprits of the cells above the recommendation, and warnings;
- ``words``: the few words sentences are built from.
"""

from orchestrator.models import NOT_RUN
from orchestrator.verdict.judge import compute, outcome_matrix, status_problem
from orchestrator.verdict.model import (
    SCHEMA,
    Blocker,
    CellVerdict,
    Change,
    Culprit,
    Exposure,
    Regression,
    TestMatrix,
    Verdict,
)
from orchestrator.verdict.order import sorted_values, value_key
from orchestrator.verdict.words import count, describe, first_line

__all__ = [
    "NOT_RUN",
    "SCHEMA",
    "Blocker",
    "CellVerdict",
    "Change",
    "Culprit",
    "Exposure",
    "Regression",
    "TestMatrix",
    "Verdict",
    "compute",
    "count",
    "describe",
    "first_line",
    "outcome_matrix",
    "sorted_values",
    "status_problem",
    "value_key",
]
