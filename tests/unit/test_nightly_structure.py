"""The modules of nightly runs and runs beyond one machine stay small enough to read:
no module over 400 lines, no function over 60 lines or 6 parameters (as the planner)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "orchestrator"
MODULES = sorted(
    [
        *(PACKAGE / "history").glob("*.py"),
        *(PACKAGE / "export").glob("*.py"),
        *(PACKAGE / "run" / name for name in ("cache.py", "collate.py", "engines.py")),
        *(PACKAGE / "run" / name for name in ("noxrun.py", "progress.py")),
        *(PACKAGE / name for name in ("runner.py", "cli.py", "cli_nightly.py", "conclude.py")),
        *(PACKAGE / name for name in ("cli_args.py", "cli_assess.py")),
    ]
)


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(PACKAGE)) for m in MODULES])
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
