import os
import subprocess
from pathlib import Path

import flitpkg

ROOT = Path(__file__).resolve().parents[1]


def test_imports():
    assert flitpkg.__doc__ == "A flit_core package."


def test_script_kept_its_executable_bit():
    assert subprocess.run([str(ROOT / "tool.sh")], capture_output=True, text=True).stdout == (
        "hello from a script\n"
    )


def test_symlink_kept():
    assert (ROOT / "alias.py").is_symlink()


def test_env_from_the_matrix():
    assert os.environ.get("FLITPKG_MODE") == "strict $HOME"
