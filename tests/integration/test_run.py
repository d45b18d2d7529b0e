"""End to end on the real Docker engine: real images, containers, nox sessions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from tests.conftest import EXAMPLE, FLAKY, ROOT, SLEEPY, oxzep7

pytestmark = pytest.mark.docker


def results_of(runs: Path) -> dict:
    return json.loads((runs / "latest" / "results.json").read_text())


def by_id(results: dict) -> dict[str, dict]:
    return {cell["id"]: cell for cell in results["cells"]}


def test_pass_fail_and_unsatisfiable_cells(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: mixed
project: {{path: "{EXAMPLE}", install: ".[test]"}}
baseline: {{python: "3.11", click: "7.1.2"}}
axes:
  python: ["3.11"]
  click: ["7.1.2", "8.1.8", "6.7"]  # sample-app requires click>=7: 6.7 cannot be installed
constraints: ["pytest==8.3.5"]
run: {{jobs: 2, timeout: 300}}
""")
    runs = tmp_path / "runs"
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs))
    assert done.returncode == 1, done.stdout + done.stderr
    cells = by_id(results_of(runs))
    assert cells["py3.11-click7.1.2"]["status"] == "passed"
    assert cells["py3.11-click7.1.2"]["counts"]["passed"] == 9
    assert cells["py3.11-click7.1.2"]["packages"]["click"] == "7.1.2"
    failed = cells["py3.11-click8.1.8"]
    assert failed["status"] == "failed"
    assert failed["failing_tests"] == ["tests/test_cli.py::test_render_table_aligns_names"]
    broken = cells["py3.11-click6.7"]
    assert broken["status"] == "error"
    assert "image build failed" in broken["message"]
    # uv's words for it (pip said "conflict"): the log's tail names the cause.
    assert "unsatisfiable" in broken["message"] and "click==6.7" in broken["message"]
    # The terminal table says the same as results.json.
    for cell_id, status in (
        ("py3.11-click7.1.2", "passed"),
        ("py3.11-click8.1.8", "failed"),
        ("py3.11-click6.7", "error"),
    ):
        row = next(line for line in done.stdout.splitlines() if cell_id in line and "│" in line)
        assert status in row
    run_dir = runs / "latest"
    assert (run_dir / "cells" / "py3.11-click8.1.8" / "junit.xml").is_file()
    assert (
        "FROM oxzep7/base:py3.11-"
        in (run_dir / "cells" / "py3.11-click8.1.8" / "build.Dockerfile").read_text()
    )


def test_unchanged_cells_reuse_their_images(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: cached
project: {{path: "{EXAMPLE}", install: ".[test]"}}
baseline: {{python: "3.11", click: "7.1.2"}}
axes: {{python: ["3.11"], click: ["7.1.2"]}}
constraints: ["pytest==8.3.5"]
""")
    runs = tmp_path / "runs"
    assert oxzep7("run", str(matrix), "--runs-dir", str(runs)).returncode == 0
    second = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--rerun")  # not the result cache
    assert second.returncode == 0
    log = (runs / "latest" / "cells" / "py3.11-click7.1.2" / "build.log").read_text()
    assert log.startswith("reused existing image oxzep7/cell:py3.11-click7.1.2-")
    assert "base py3.11 reused" in second.stdout


def test_hanging_suite_is_killed_at_the_timeout(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: hang
project: {{path: "{SLEEPY}", install: ".[test]", test: "python -m pytest -q tests"}}
baseline: {{python: "3.11", iniconfig: "2.0.0"}}
axes: {{python: ["3.11"], iniconfig: ["2.0.0"]}}
constraints: ["pytest==8.3.5"]
run: {{timeout: 8}}
""")
    runs = tmp_path / "runs"
    started = time.monotonic()
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs))
    assert done.returncode == 1
    cell = by_id(results_of(runs))["py3.11-iniconfig2.0.0"]
    assert cell["status"] == "timeout"
    assert "8 s timeout" in cell["message"]
    assert time.monotonic() - started < 600
    assert _containers_of(runs) == []


def test_ctrl_c_keeps_finished_cells_and_removes_containers(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: interrupt
project: {{path: "{SLEEPY}", install: ".[test]", test: "python -m pytest -q tests"}}
baseline: {{python: "3.11", iniconfig: "2.1.0"}}
axes: {{python: ["3.11"], iniconfig: ["2.1.0", "2.0.0"]}}
constraints: ["pytest==8.3.5"]
run: {{jobs: 2, timeout: 900}}
""")
    runs = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", str(matrix), "--runs-dir", str(runs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    finished = runs / "latest" / "cells" / "py3.11-iniconfig2.1.0" / "result.json"
    deadline = time.monotonic() + 600
    while not finished.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(1)
    assert finished.exists(), "the quick cell never finished"
    time.sleep(3)  # let the hanging cell's container start
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert "Traceback" not in output
    results = results_of(runs)
    assert by_id(results)["py3.11-iniconfig2.1.0"]["status"] == "passed"
    assert results["not_run"] == ["py3.11-iniconfig2.0.0"]
    assert _containers_of(runs) == []


def test_stopped_docker_daemon_is_a_clear_error(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: nodocker
project: {{path: "{EXAMPLE}"}}
baseline: {{python: "3.11"}}
axes: {{python: ["3.11"]}}
""")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-such-docker.sock"}
    done = oxzep7("run", str(matrix), "--runs-dir", str(tmp_path / "runs"), env=env)
    assert done.returncode == 3
    assert "cannot reach the Docker daemon" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_nox_lists_the_example_cells_and_writes_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXZEP7_")}
    runs = tmp_path / "runs"
    env["OXZEP7_RUN_DIR"] = str(runs / "nox")
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-l"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for cell in ("py3.9-click7.1.2", "py3.11-click8.1.8", "py3.13-click8.1.8"):
        assert f"test({cell})" in done.stdout
    assert not runs.exists(), "listing sessions must not create a run directory"


def _containers_of(runs: Path) -> list[str]:
    run_id = (runs / "latest").resolve().name
    client = docker.from_env()
    found = client.containers.list(all=True, filters={"label": f"org.oxzep7.run={run_id}"})
    return [c.name for c in found]


def test_retry_marks_tests_that_pass_later_as_flaky(write_matrix, tmp_path):
    matrix = write_matrix(f"""
name: flaky
project: {{path: "{FLAKY}", install: ".[test]", test: "python -m pytest -q tests"}}
baseline: {{python: "3.11"}}
axes: {{python: ["3.11"]}}
constraints: ["pytest==8.3.5"]
run: {{retries: 1}}
""")
    runs = tmp_path / "runs"
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs))
    assert done.returncode == 1, done.stdout + done.stderr
    cell = by_id(results_of(runs))["py3.11"]
    assert cell["status"] == "failed"
    assert cell["failing_tests"] == ["tests/test_flaky.py::test_broken"]
    assert cell["flaky_tests"] == ["tests/test_flaky.py::test_flaky"]
    assert cell["tests"]["tests/test_flaky.py::test_flaky"] == "flaky"
    assert (runs / "latest" / "cells" / "py3.11" / "test.attempt2.log").is_file()


def test_nox_reruns_one_cell_of_the_example(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXZEP7_")}
    env["OXZEP7_RUN_DIR"] = str(tmp_path / "nox-run")
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "test(py3.11-click7.1.2)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "nox-run" / "results.json").read_text())
    assert [c["id"] for c in results["cells"]] == ["py3.11-click7.1.2"]
    assert results["cells"][0]["status"] == "passed"
    assert "py3.11-click8.1.8" in results["not_run"]
