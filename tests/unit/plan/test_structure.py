"""The planner stays fully typed: ``mypy --strict`` clean. (Sizes of modules and
functions are held for the whole package by tests/unit/test_structure.py.)"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

PLAN = ROOT / "orchestrator" / "plan"


def test_the_planner_passes_mypy_strict() -> None:
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--strict", "--no-error-summary", str(PLAN)])
    assert status == 0, out + err
