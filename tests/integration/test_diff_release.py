"""A diff between two real runs in which a selector picked a newer release: a local
PEP 691 index (served where the builds reach it, on the Docker bridge) publishes probe
1.0, then probe 1.1, which breaks a test. The second run's diff, its reports and
``oxzep7 diff`` name the release and its upload date; ``--fail-on new`` fails on it."""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import json
import os
import shutil
import zipfile
from pathlib import Path

import docker
import pytest

from tests.conftest import oxzep7
from tests.indexserver import IndexServer

pytestmark = pytest.mark.docker

UPLOADED = {"1.0": "2026-01-10T09:00:00.000000Z", "1.1": "2026-11-20T08:30:00.000000Z"}
CODE = {
    "1.0": "def double(x):\n    return 2 * x\n",
    "1.1": "def double(x):\n    return 2 * x + 1\n",
}


def wheel(version: str) -> tuple[str, bytes]:
    """A real, installable wheel of ``probe``."""
    name = f"probe-{version}-py3-none-any.whl"
    info = f"probe-{version}.dist-info"
    members = {
        "probe/__init__.py": f"VERSION = {version!r}\n{CODE[version]}".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: probe\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = "".join(f"{path},sha256={_b64(data)},{len(data)}\n" for path, data in members.items())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in members.items():
            archive.writestr(path, data)
        archive.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")
    return name, buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def entry(filename: str, data: bytes, version: str) -> dict[str, object]:
    return {
        "filename": filename,
        "url": f"../../files/{filename}",
        "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
        "requires-python": ">=3.8",
        "upload-time": UPLOADED[version],
    }


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge, where builds reach it."""
    config = docker.from_env().networks.get("bridge").attrs["IPAM"]["Config"][0]
    return config.get("Gateway") or str(ipaddress.ip_network(config["Subnet"])[1])


def project(tmp_path: Path) -> Path:
    root = tmp_path / "uses-probe"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "uses-probe"\nversion = "0.1"\ndependencies = ["probe"]\n'
        "[tool.setuptools]\npy-modules = []\n"
    )
    (root / "tests" / "test_probe.py").write_text(
        "import probe\n\ndef test_double():\n    assert probe.double(2) == 4\n\n"
        "def test_version():\n    assert probe.VERSION\n"
    )
    return root


def test_the_diff_names_the_release_a_selector_picked_and_its_upload_date(tmp_path):
    wheels = {v: wheel(v) for v in ("1.0", "1.1")}
    files = {name: data for name, data in wheels.values()}
    with IndexServer({}, host=bridge_gateway(), files=files) as index:
        index.publish("probe", [entry(*wheels["1.0"], "1.0")])
        matrix = tmp_path / "probe.yaml"
        matrix.write_text(
            "name: probe-nightly\n"
            f"project: {{path: {project(tmp_path)}, deps: [pytest], test: python -m pytest -q}}\n"
            "axes:\n  python: ['3.11']\n  probe: {range: '>=1.0', pick: latest}\n"
            f"index: {index.url}\nrun: {{retries: 0, jobs: 1}}\n"
        )
        cache = tmp_path / "cache"
        env = {
            **os.environ,
            "XDG_CACHE_HOME": str(cache),
            "PIP_EXTRA_INDEX_URL": index.url,  # the builds' pip finds probe there
            "PIP_TRUSTED_HOST": index.host,
        }
        runs = tmp_path / "runs"
        first = oxzep7("run", str(matrix), "--runs-dir", str(runs), env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        index.publish("probe", [entry(*wheels[v], v) for v in ("1.0", "1.1")])
        shutil.rmtree(cache / "oxzep7" / "index")  # a day later: the index is asked again
        second = oxzep7("run", str(matrix), "--runs-dir", str(runs), "--fail-on", "new", env=env)
        diffed = oxzep7("diff", "--runs-dir", str(runs), "--json", env=env)

    out = second.stdout
    assert second.returncode == 1, out + second.stderr  # news: a cell got worse
    assert "py3.11-probe1.0 -> py3.11-probe1.1: passed -> failed" in out
    assert "py3.11-probe1.1: tests/test_probe.py::test_double" in out
    assert "py3.11-probe1.1: probe 1.0 -> 1.1 (uploaded 2026-11-20)" in out
    assert "New upstream releases (through selectors):\n    probe 1.1 (uploaded 2026-11-20)" in out
    assert "--fail-on new: 2 reason(s) to fail" in out
    report = (runs / "latest" / "report.md").read_text()
    assert "probe 1.1 (uploaded 2026-11-20)" in report
    verdict = json.loads((runs / "latest" / "verdict.json").read_text())
    assert verdict["diff"]["releases"] == [
        {"axis": "probe", "version": "1.1", "uploaded": "2026-11-20"}
    ]
    assert diffed.returncode == 0, diffed.stderr
    assert json.loads(diffed.stdout)["releases"] == verdict["diff"]["releases"]
    again = oxzep7("report", str(runs / "latest"), "-f", "markdown", env=env)
    assert "probe 1.1 (uploaded 2026-11-20)" in again.stdout  # from the index cache
