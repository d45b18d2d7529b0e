"""orchestrator/assess stays clean under ``mypy --strict`` (modules it imports from the
planner are checked by their own owners: their errors are not reported here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

MODULES = ["orchestrator/assess"]


def test_assess_passes_mypy_strict():
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *MODULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
