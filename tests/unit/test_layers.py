"""The flow runs one way: plan -> build -> run -> verdict -> report. A stage never
reaches into a later one, and the stages that only think (plan, verdict, report) never
talk to Docker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orchestrator"

# stage -> modules (prefixes) it must not import
FORBIDDEN = {
    "plan": ("docker", "orchestrator.build", "orchestrator.run", "orchestrator.verdict"),
    "build": ("orchestrator.run", "orchestrator.verdict", "orchestrator.report"),
    "verdict": ("docker", "orchestrator.build", "orchestrator.run", "orchestrator.report"),
    "report": ("docker", "orchestrator.build", "orchestrator.run"),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_a_stage_imports_nothing_downstream(stage: str) -> None:
    wrong = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / stage).rglob("*.py"))
        for name in sorted(imports(path))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[stage])
    ]
    assert not wrong, "\n".join(wrong)
