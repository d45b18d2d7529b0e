"""Shared helpers: run the real ``oxzep7`` CLI and write matrix files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sample-app"
SLEEPY = ROOT / "tests" / "integration" / "projects" / "sleepy"
FLAKY = ROOT / "tests" / "integration" / "projects" / "flaky"


def oxzep7(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: float | None = 1800
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def write_matrix(tmp_path: Path):
    """Write a matrix file into tmp_path; ``project`` is an absolute path."""

    def write(body: str, name: str = "matrix.yaml") -> Path:
        path = tmp_path / name
        path.write_text(body)
        return path

    return write
