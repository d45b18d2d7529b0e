"""The few words the verdict builds its sentences from."""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.models import PYTHON_AXIS
from orchestrator.sanitize import first_line

__all__ = ["count", "describe", "first_line"]


def describe(axes: Mapping[str, str]) -> str:
    """``Python 3.11, click 7.1.2``: a cell's axes for people."""
    return ", ".join(
        f"Python {value}" if axis == PYTHON_AXIS else f"{axis} {value}"
        for axis, value in axes.items()
    )


def count(n: int, noun: str) -> str:
    """``1 regression``, ``3 regressions``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
