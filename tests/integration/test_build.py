"""One-container builds on the real engine: credentials in the index URL stay out of the
image, and the image is what the rendered Dockerfile describes."""

from __future__ import annotations

import json
import subprocess

import docker
import pytest

from orchestrator import environment
from orchestrator.build import bases, cellimage
from orchestrator.models import Cell, Plan, Project, RunOptions
from tests.conftest import ROOT

pytestmark = pytest.mark.docker

TOKEN = "oxzep7-test-token-3f9a1c"
# PyPI answers requests carrying basic credentials, so the build really uses this URL.
SECRET_INDEX = f"https://oxzep7user:{TOKEN}@pypi.org/simple/"


def test_credentials_in_the_index_url_reach_neither_history_nor_config(tmp_path):
    client = docker.from_env()
    host = environment.from_host()
    base = bases.ensure_base(client, "debian", "3.11", host, bases.BaseOptions(tmp_path / "bases"))
    secret = environment.BuildEnvironment(
        ca_bundle=host.ca_bundle,
        index={"PIP_INDEX_URL": SECRET_INDEX},
    )
    plan = Plan(
        name="secret",
        matrix_path=tmp_path / "m.yaml",
        project=Project(ROOT / "examples" / "sample-app", install=".[test]"),
        image_family="debian",
        constraints=("pytest==8.3.5",),
        run=RunOptions(),
        cells=(Cell(id="py3.11-click8.1.8", python="3.11", deps={"click": "8.1.8"}),),
    )
    log = tmp_path / "build.log"
    build = cellimage.CellBuild(base_tag=base.tag, env=secret, log_path=log, run_id="secret")
    image = cellimage.ensure_cell_image(client, plan, plan.cells[0], build)
    try:
        assert image.built, "a new index setting makes a new image"
        assert "Installed" in log.read_text()  # uv installed through the secret index
        # The rendered Dockerfile stays beside the log: the image's description.
        assert (tmp_path / "build.Dockerfile").read_text().startswith("# oxzep7 cell")
        history = _docker("history", "--no-trunc", image.tag)
        inspect = _docker("inspect", image.tag)
        assert TOKEN not in history and TOKEN not in inspect
        assert "oxzep7user" not in history + inspect
        config = json.loads(inspect)[0]["Config"]
        assert config["User"] == "oxzep7" and config["WorkingDir"] == "/project"
        assert config["Labels"]["org.oxzep7.kind"] == "cell"
        # Nothing of the build is left in the filesystem, and the project is the test user's.
        check = client.containers.run(
            image.tag,
            [
                "sh",
                "-c",
                "test ! -e /.oxzep7-build && stat -c %u:%g /project /project/src "
                "&& grep -c . /etc/oxzep7/freeze.txt && ! grep -r " + TOKEN + " /etc /opt/venv",
            ],
            remove=True,
            network_mode="none",
        ).decode()
        assert check.splitlines()[:2] == ["10001:10001", "10001:10001"]
    finally:
        client.images.remove(image.tag, force=True)


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout
