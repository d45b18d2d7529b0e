"""The typed parts of the package stay clean under ``mypy --strict``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

STRICT = [
    "orchestrator/verdict",
    "orchestrator/report",
    "orchestrator/run/results.py",
    "orchestrator/run/rundir.py",
    "orchestrator/console.py",
    "orchestrator/models.py",
    "orchestrator/errors.py",
    "orchestrator/jsonread.py",
    "orchestrator/sanitize.py",
    "orchestrator/storage.py",
]


def test_typed_modules_pass_mypy_strict():
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *STRICT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
