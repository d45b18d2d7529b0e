"""Faults, on the real Docker engine: a daemon that goes away, a suite out of memory,
a full disk, two runs at once, a suite that leaves a daemon behind, Ctrl-C during a
base build; and the hardened container, inspected and probed.

Every test uses tests/integration/projects/faults and Python 3.11 (its bases exist
on the engine); its two cell images are built by the first test that needs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from orchestrator.build import images, oneshot
from orchestrator.errors import DOCKER_LOST, EXIT_DOCKER_LOST, EXIT_INTERRUPTED, EXIT_RUN
from orchestrator.models import RunOptions
from orchestrator.run import container
from tests.conftest import ROOT, oxzep7

pytestmark = pytest.mark.docker

FAULTS = ROOT / "tests" / "integration" / "projects" / "faults"
PROXY = ROOT / "tests" / "integration" / "sockproxy.py"
FAST, SLOW = "py3.11-iniconfig2.1.0", "py3.11-iniconfig2.0.0"  # test_slow.py: 0 s, 20 s


@pytest.fixture
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture
def faults_matrix(write_matrix) -> Callable[..., Path]:
    """A matrix of the faults project: which test file, which iniconfig cells, run options."""

    def write(tests: str, versions: tuple[str, ...] = ("2.1.0",), run: str = "{}") -> Path:
        return write_matrix(f"""
name: faults
project: {{path: "{FAULTS}", install: ".[test]", test: "python -m pytest -q {tests}"}}
baseline: {{python: "3.11", iniconfig: "{versions[0]}"}}
axes: {{python: ["3.11"], iniconfig: {json.dumps(list(versions))}}}
constraints: ["pytest==8.3.5"]
run: {run}
""")

    return write


@pytest.fixture
def runs(tmp_path: Path, client: docker.DockerClient) -> Iterator[Path]:
    """The runs directory; whatever container a failed test leaves is removed after it."""
    path = tmp_path / "runs"
    yield path
    for run in (p for p in path.glob("*") if p.is_dir() and not p.is_symlink()):
        for leftover in _containers_of(client, run.name):
            leftover.remove(v=True, force=True)


def _start(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "orchestrator", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def _containers_of(client: docker.DockerClient, run_id: str) -> list:
    return client.containers.list(all=True, filters={"label": f"org.oxzep7.run={run_id}"})


def _cells(run_dir: Path) -> dict[str, dict]:
    data = json.loads((run_dir / "results.json").read_text())
    return {cell["id"]: cell for cell in data["cells"]}


def _until(condition: Callable[[], object], what: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _running_test_container(client: docker.DockerClient, runs: Path, cell: str) -> bool:
    latest = runs / "latest"
    if not latest.exists():
        return False
    found = client.containers.list(
        filters={"label": [f"org.oxzep7.run={latest.resolve().name}", f"org.oxzep7.cell={cell}"]}
    )
    return bool(found)


# --- The hardened container --------------------------------------------------------------


def test_suites_pass_in_the_hardened_container_which_is_what_it_claims(
    faults_matrix, runs, client, tmp_path
):
    matrix = faults_matrix("tests/test_sandbox.py")
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--no-index")
    assert done.returncode == 0, done.stdout + done.stderr
    cell = _cells(runs / "latest")[FAST]
    assert (cell["status"], cell["counts"]["passed"]) == ("passed", 6), cell
    spec = container.TestRun(
        image=cell["image"],
        command="sleep 120",
        options=RunOptions(memory="256m", cpus=0.5),
        log_path=tmp_path / "probe.log",
        labels=images.labels("test", run=f"probe-{uuid.uuid4().hex[:8]}"),
    )
    probe = container.create(client, spec)
    try:
        probe.start()
        probe.reload()
        volume = _check_inspected(probe.attrs)
        _check_commands(probe)
    finally:
        container._remove(probe)
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(volume)  # the /project volume went with the container


def _check_inspected(attrs: dict) -> str:
    """docker inspect agrees with the README; returns the /project volume's name."""
    host = attrs["HostConfig"]
    assert attrs["Config"]["User"] == "10001:10001"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Privileged"] is False
    assert host["NetworkMode"] == "none"
    assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["PidsLimit"] == container.PIDS_LIMIT
    assert set(host["Tmpfs"]) == {"/tmp", container.HOME_DIR}
    assert "exec" in host["Tmpfs"]["/tmp"].split(",")
    mounts = {m["Destination"]: m for m in attrs["Mounts"]}
    assert mounts["/project"]["Type"] == "volume" and mounts["/project"]["RW"] is True
    return mounts["/project"]["Name"]


def _check_commands(probe) -> None:
    def sh(script: str) -> tuple[int, str]:
        code, output = probe.exec_run(["sh", "-c", script])
        return code, output.decode().strip()

    assert sh("id -u") == (0, "10001")
    assert sh("echo $HOME $TMPDIR") == (0, f"{container.HOME_DIR} /tmp")
    assert sh("touch /usr/probe")[0] != 0  # read-only root
    assert sh("touch /project/probe /tmp/probe $HOME/probe")[0] == 0
    assert sh("ls /sys/class/net") == (0, "lo")
    status = sh("grep -E '^(CapEff|NoNewPrivs)' /proc/self/status | tr -s '\t' ' '")
    assert status == (0, "CapEff: 0000000000000000\nNoNewPrivs: 1")


def test_run_network_true_connects_the_container(client, tmp_path):
    spec = container.TestRun(
        image="oxzep7/debian:bookworm",
        command="true",
        options=RunOptions(network=True),
        log_path=tmp_path / "probe.log",
        labels=images.labels("test", run=f"probe-{uuid.uuid4().hex[:8]}"),
    )
    probe = container.create(client, spec)
    try:
        assert probe.attrs["HostConfig"]["NetworkMode"] == "bridge"
    finally:
        container._remove(probe)


# --- Faults ------------------------------------------------------------------------------


def test_a_suite_out_of_memory_is_an_error_that_says_so(faults_matrix, runs, client):
    matrix = faults_matrix("tests/test_memory.py", run='{memory: "96m", timeout: 120}')
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--no-index")
    assert done.returncode == 1, done.stdout + done.stderr
    cell = _cells(runs / "latest")[FAST]
    assert cell["status"] == "error"
    assert cell["message"] == "killed: out of memory (run.memory is 96m)"
    assert "killed: out of memory (run.memory is 96m)" in done.stdout  # the progress line
    log = (runs / "latest" / "cells" / FAST / "test.log").read_text()
    assert log.rstrip().endswith("[oxzep7] killed: out of memory (run.memory is 96m)")
    assert _containers_of(client, (runs / "latest").resolve().name) == []


def test_a_daemon_left_behind_by_the_suite_does_not_keep_the_container(faults_matrix, runs, client):
    matrix = faults_matrix("tests/test_daemon.py", run="{timeout: 120}")
    started = time.monotonic()
    done = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--no-index")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _cells(runs / "latest")[FAST]["status"] == "passed"
    assert time.monotonic() - started < 100  # not held until the timeout
    assert _containers_of(client, (runs / "latest").resolve().name) == []


def test_the_daemon_going_away_keeps_finished_cells_and_resume_runs_the_rest(
    faults_matrix, runs, client, tmp_path
):
    socket_path = tmp_path / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket_path}"}
    matrix = faults_matrix("tests/test_slow.py", ("2.1.0", "2.0.0"), "{jobs: 2, retries: 0}")
    with _proxy(socket_path) as proxy:
        run = _start("run", str(matrix), "--runs-dir", str(runs), "--no-index", env=env)
        _until(lambda: (runs / "latest" / "cells" / FAST / "result.json").exists(), "fast cell")
        _until(lambda: _running_test_container(client, runs, SLOW), "the slow cell's container")
        proxy.kill()
        stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == EXIT_DOCKER_LOST, stdout + stderr
    run_dir = (runs / "latest").resolve()
    assert f"oxzep7: error: {DOCKER_LOST}: " in stderr
    assert f"oxzep7 run --resume {run_dir}" in stderr
    assert "Traceback" not in stdout + stderr
    cells = _cells(run_dir)
    assert cells[FAST]["status"] == "passed"
    assert cells[SLOW]["status"] == "error" and cells[SLOW]["message"].startswith(DOCKER_LOST)
    kept = (run_dir / "cells" / FAST / "result.json").read_bytes()

    with _proxy(socket_path):  # the daemon is back
        resumed = oxzep7("run", "--resume", str(run_dir), env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"oxzep7 resuming {run_dir.name}: 1 cells" in resumed.stdout
    cells = _cells(run_dir)
    assert cells[SLOW]["status"] == "passed" and cells[FAST]["status"] == "passed"
    assert (run_dir / "cells" / FAST / "result.json").read_bytes() == kept  # not run again
    # Into the same run directory: no second one.
    assert sorted(p.name for p in runs.iterdir() if not p.name.startswith(".")) == sorted(
        [run_dir.name, "latest"]
    )
    assert _containers_of(client, run_dir.name) == []


@contextlib.contextmanager
def _proxy(socket_path: Path) -> Iterator[subprocess.Popen[str]]:
    socket_path.unlink(missing_ok=True)
    proxy = subprocess.Popen(
        [sys.executable, str(PROXY), str(socket_path), "/var/run/docker.sock"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proxy.stdout is not None and proxy.stdout.readline().strip() == "ready"
        yield proxy
    finally:
        proxy.kill()
        proxy.wait()


def test_a_full_disk_is_a_clear_error_and_leaves_no_half_written_file(faults_matrix, runs, client):
    runs.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "oxzep7-full", str(runs)])
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        matrix = faults_matrix("tests/test_slow.py", ("2.0.0",), "{retries: 0}")
        run = _start("run", str(matrix), "--runs-dir", str(runs), "--no-index")
        _until(lambda: _running_test_container(client, runs, SLOW), "the slow cell's container")
        _fill(runs / "filler")
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == EXIT_RUN, stdout + stderr
        assert "oxzep7: error: cannot write to the run directory" in stderr
        assert "No space left on device; free some space, then 'oxzep7 run --resume" in stderr
        assert "Traceback" not in stdout + stderr
        _check_whole_files(runs)
        assert _containers_of(client, (runs / "latest").resolve().name) == []
    finally:
        subprocess.run(["umount", str(runs)], check=False)


def _fill(path: Path) -> None:
    """Write zeros until the disk is full (unbuffered: nothing left to fail on close)."""
    with contextlib.suppress(OSError), path.open("wb", buffering=0) as filler:
        while True:
            filler.write(b"\0" * 65536)


def _check_whole_files(runs: Path) -> None:
    """Atomic writes: no temporary file left, and every JSON file parses."""
    run_dir = (runs / "latest").resolve()
    names = [p.relative_to(run_dir) for p in run_dir.rglob("*") if p.is_file()]
    assert [n for n in names if n.name.startswith(".") and ".json." in n.name] == []
    for name in (n for n in names if n.suffix == ".json"):
        try:
            json.loads((run_dir / name).read_text())
        except ValueError as exc:
            raise AssertionError(f"{name} is not whole: {exc}") from None
    assert (run_dir / "plan.json").is_file()


def test_two_runs_of_one_matrix_at_once_get_their_own_directories(faults_matrix, runs):
    matrix = faults_matrix("tests/test_slow.py")
    both = [_start("run", str(matrix), "--runs-dir", str(runs), "--no-index") for _ in "ab"]
    outputs = [run.communicate(timeout=600) for run in both]
    for run, (stdout, stderr) in zip(both, outputs, strict=True):
        assert run.returncode == 0, stdout + stderr
    dirs = sorted(  # .cache holds the result cache, not a run
        p for p in runs.iterdir() if p.is_dir() and not p.is_symlink() and p.name != ".cache"
    )
    assert len(dirs) == 2
    for run_dir in dirs:
        assert _cells(run_dir)[FAST]["status"] == "passed"
    latest = runs / "latest"
    assert latest.is_symlink() and latest.resolve() in dirs
    assert [p.name for p in runs.iterdir() if p.name.startswith(".latest")] == []


def test_ctrl_c_during_a_base_build_leaves_no_container_and_no_image(faults_matrix, runs, client):
    # A new index setting changes the base's hash, so a base build starts (FROM the
    # bookworm root filesystem already here); its log names the image it builds, and the
    # build container is named after it.
    marker = f"oxzep7-interrupt-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PIP_TRUSTED_HOST": marker}
    matrix = faults_matrix("tests/test_slow.py")
    run = _start(
        "run", str(matrix), "--runs-dir", str(runs), "--no-index", env=env, start_new_session=True
    )
    try:
        _until(lambda: _build_containers(client, runs), "the base build's container", 300)
        time.sleep(2)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = run.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == EXIT_INTERRUPTED, stdout + stderr
    assert "Traceback" not in stdout + stderr
    _until(lambda: not _build_containers(client, runs), "the build container to go", 60)
    assert [tag for tag in _bases_being_built(runs) if images.find_image(client, tag)] == []


def _bases_being_built(runs: Path) -> list[str]:
    """The base images this run's logs say it set out to build."""
    found = []
    for log in runs.glob("*/bases/*.build.log"):
        match = re.search(r"building (\S+) in one container", log.read_text(errors="replace"))
        found += [match.group(1)] if match else []
    return found


def _build_containers(client: docker.DockerClient, runs: Path) -> list[str]:
    # Other runs come and go on this engine: list sparsely (names only, no inspection).
    prefixes = [oneshot.container_name(tag)[:-6] for tag in _bases_being_built(runs)]
    sparse = client.containers.list(
        all=True, sparse=True, filters={"label": "org.oxzep7.kind=base"}
    )
    names = [name.lstrip("/") for c in sparse for name in c.attrs.get("Names", [])]
    return [name for name in names if any(name.startswith(p) for p in prefixes)]
