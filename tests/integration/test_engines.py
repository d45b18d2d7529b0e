"""Several Docker engines for one run, for real: the test starts a second Docker daemon
of its own (its own socket, data root, exec root and bridge), and ``--engine`` spreads
the cells over the usual engine and that one; each builds what its cells need (the
second starts empty but for the Debian root filesystem, which the test copies into it
with docker save/load rather than waiting for mmdebstrap: it is not a product
of the cells).

Needs root, dockerd and iproute2 (this is how the machine that runs CI is set up); it
skips, saying why, where a second daemon cannot be started."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.conftest import EXAMPLE, oxzep7

pytestmark = pytest.mark.docker

MAIN = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
ROOTFS = "oxzep7/debian:bookworm"  # Python 3.11's root filesystem


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def second_engine() -> Iterator[str]:
    """A second dockerd on /tmp/oxz-e2-<pid>/docker.sock; its URL."""
    if os.geteuid() != 0 or not shutil.which("dockerd") or not shutil.which("ip"):
        pytest.skip("a second Docker daemon needs root, dockerd and iproute2")
    folder = Path(f"/tmp/oxz-e2-{os.getpid()}")  # short: a socket path has ~100 characters
    folder.mkdir(exist_ok=True)
    (folder / "daemon.json").write_text("{}")  # not the system daemon's configuration
    bridge, subnet = f"oxz{os.getpid() % 100000}", f"172.31.{random.randint(100, 250)}"
    _ip("link", "add", bridge, "type", "bridge")
    daemon = None
    try:
        _ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        daemon = _start(folder, bridge)
        url = f"unix://{folder}/docker.sock"
        client = _wait(url, daemon, folder)
        _seed(client)
        yield url
    finally:
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)
        _drop_firewall_rules(bridge)
        shutil.rmtree(folder, ignore_errors=True)


def _drop_firewall_rules(bridge: str) -> None:
    """The NAT and forwarding rules the daemon made for its bridge: it leaves them behind
    when it stops, and each test run would add more to the host's tables."""
    for table in ("filter", "nat"):
        listed = subprocess.run(
            ["iptables", "-t", table, "-S"], capture_output=True, text=True, check=False
        )
        for rule in listed.stdout.splitlines():
            if rule.startswith("-A ") and bridge in rule.split():
                delete = ["iptables", "-t", table, "-D", *rule.split()[1:]]
                subprocess.run(delete, check=False, capture_output=True)


def _start(folder: Path, bridge: str) -> subprocess.Popen[bytes]:
    command = [
        "dockerd",
        *("--config-file", str(folder / "daemon.json")),
        *("--host", f"unix://{folder}/docker.sock"),
        *("--data-root", str(folder / "data"), "--exec-root", str(folder / "exec")),
        *("--pidfile", str(folder / "docker.pid"), "--bridge", bridge),
        *("--storage-driver", os.environ.get("OXZEP7_TEST_STORAGE_DRIVER", "fuse-overlayfs")),
        *("--mtu", "1400"),
    ]
    with (folder / "dockerd.log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _wait(url: str, daemon: subprocess.Popen[bytes], folder: Path) -> docker.DockerClient:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            log = (folder / "dockerd.log").read_text(errors="replace")[-2000:]
            pytest.skip(f"the second Docker daemon did not start here: {log}")
        try:
            client = docker.DockerClient(base_url=url, timeout=600)
            client.ping()
            return client
        except docker.errors.DockerException:
            time.sleep(1)
    pytest.fail("the second Docker daemon did not answer within 90 s")


def _seed(client: docker.DockerClient) -> None:
    """The root filesystem only: bases and cell images are the run's to build."""
    main = docker.from_env()
    data = b"".join(main.images.get(ROOTFS).save())
    client.images.load(data)


def test_cells_spread_over_two_engines_each_building_what_its_cells_need(second_engine, tmp_path):
    matrix = tmp_path / "two.yaml"
    matrix.write_text(
        "name: two-engines\n"
        f"project: {{path: {EXAMPLE}, install: '.[test]'}}\n"
        "axes: {python: ['3.11'], click: ['7.1.2', '8.1.8']}\n"
        "constraints: ['pytest==8.3.5']\nrun: {retries: 0}\n"
    )
    runs = tmp_path / "runs"
    done = oxzep7(
        *("run", str(matrix), "--runs-dir", str(runs), "--no-index"),
        *("--engine", MAIN, "--engine", second_engine),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 cells, 2 at a time on 2 engines" in done.stdout
    run = (runs / "latest").resolve()
    cells = {c["id"]: c for c in json.loads((run / "results.json").read_text())["cells"]}
    assert {c: r["status"] for c, r in cells.items()} == {
        "py3.11-click7.1.2": "passed",
        "py3.11-click8.1.8": "failed",
    }
    assert cells["py3.11-click8.1.8"]["failing_tests"] == [
        "tests/test_cli.py::test_render_table_aligns_names"
    ]
    assert (run / "nox.log").is_file() and (run / "nox.2.log").is_file()
    meta = json.loads((run / "run.json").read_text())
    assert meta["engines"] == f"{MAIN}, {second_engine}"
    # The second engine built its cell's base and image itself, and only those.
    other = docker.DockerClient(base_url=second_engine)
    built = {t for i in other.images.list() for t in i.tags}
    assert cells["py3.11-click8.1.8"]["image"] in built
    assert cells["py3.11-click7.1.2"]["image"] not in built
    assert any(t.startswith("oxzep7/base:py3.11-") for t in built)
    # Run again: each cell's result is found on the engine that has its image.
    again = oxzep7(
        *("run", str(matrix), "--runs-dir", str(runs), "--no-index"),
        *("--engine", MAIN, "--engine", second_engine),
    )
    assert "2 cells (2 cached)" in again.stdout, again.stdout + again.stderr
