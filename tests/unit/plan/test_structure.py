"""The planner stays small enough to read and fully typed: no module of orchestrator/plan
over 400 lines, no function over 60 lines or 6 parameters, and ``mypy --strict`` clean."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PLAN = ROOT / "orchestrator" / "plan"
MODULES = sorted(PLAN.glob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_modules_and_functions_stay_small(module: Path) -> None:
    text = module.read_text()
    assert len(text.splitlines()) <= 400
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            count = len([name for name in names if name not in ("self", "cls")])
            assert count <= 6, f"{module.name}:{node.lineno} {node.name}: {count} parameters"
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= 60, f"{module.name}:{node.lineno} {node.name}: {length} lines"


def test_the_planner_passes_mypy_strict() -> None:
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--strict", "--no-error-summary", str(PLAN)])
    assert status == 0, out + err
