"""The yardstick for warm cells: plain nox with uv-made virtualenvs on the host, the
same project and the same two cells as oxzep7's warm benchmark (Python 3.11, click 7.1.2
and 8.1.8). Run it with ``nox -R`` (reuse the venvs, skip installs) once they exist."""

import os
from pathlib import Path

import nox

PROJECT = Path(
    os.environ.get("BENCH_PROJECT", Path(__file__).parents[2] / "examples" / "sample-app")
)
PYTHON = os.environ.get("BENCH_PYTHON", "3.11")
nox.options.default_venv_backend = "uv"
nox.options.envdir = os.environ.get("BENCH_ENVDIR", ".nox")


@nox.session(python=PYTHON)
@nox.parametrize("click", ["7.1.2", "8.1.8"])
def cell(session: nox.Session, click: str) -> None:
    session.install(f"click=={click}", "pytest==8.3.5", f"{PROJECT}[test]")
    session.chdir(PROJECT)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", success_codes=[0, 1])
