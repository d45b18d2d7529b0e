"""Support is part of safety: CPython's end-of-life dates (the data file shipped with
the package, ``resources/python-eol.json``, which ``orchestrator/assess`` reads too)
and whether a cell's interpreter is past its end of life on a given day (the caller's
today, so tests can choose it)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from functools import cache
from importlib import resources

from orchestrator.models import PYTHON_AXIS
from orchestrator.verdict.model import CellVerdict

EOL_FILE = "resources/python-eol.json"
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MINOR = re.compile(r"(\d+)\.(\d+)")


@cache
def end_of_life_dates() -> dict[str, str]:
    """``{"3.9": "2025-10", ...}``: the month each CPython feature release stops
    receiving security fixes."""
    text = resources.files("orchestrator").joinpath(EOL_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    table = data.get("cpython", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in table.items() if _MONTH.fullmatch(str(v))}


def end_of_life(python: str) -> str:
    """The end-of-life month (``2025-10``) of an interpreter value such as ``3.9`` or
    ``3.9.18``; "" when unknown."""
    match = _MINOR.match(python or "")
    return end_of_life_dates().get(f"{match[1]}.{match[2]}", "") if match else ""


def past_end_of_life(python: str, today: date) -> bool:
    """Whether ``python`` gets no more security fixes on ``today`` (its end-of-life
    month is over)."""
    month = _MONTH.fullmatch(end_of_life(python))
    if month is None:
        return False
    return (today.year, today.month) > (int(month[1]), int(month[2]))


def with_support(cell: CellVerdict, today: date) -> CellVerdict:
    """``cell`` with its Python's end of life, and whether it is past on ``today``."""
    python = cell.axes.get(PYTHON_AXIS, "")
    return replace(
        cell, end_of_life=end_of_life(python), unsupported=past_end_of_life(python, today)
    )
