"""One-container builds on the real engine: credentials in the index URL stay out of the
image, the image is what the rendered Dockerfile describes, and an image loaded as one
layer of the build's changes is the image a commit makes."""

from __future__ import annotations

import contextlib
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


# What a build does to a filesystem, in every way a layer must carry: files and folders
# made, a file changed in place, a mode changed, a link made, a file and a folder of the
# parent deleted, a folder deleted with what is under it, COPY'd files with their owner.
EVERY_CHANGE = """\
FROM {base}
COPY --chown=10001:10001 data.txt /project/data.txt
RUN mkdir -p /opt/made/deep && echo made > /opt/made/deep/file \\
 && echo changed >> /etc/debian_version && chmod 600 /etc/issue \\
 && ln -s /opt/made/deep/file /opt/link && ln /opt/made/deep/file /opt/hard \\
 && rm /etc/issue.net && rm -rf /usr/share/zoneinfo/Europe \\
 && rm -rf /opt/venv/lib/python3.11/site-packages/pip
"""


def test_an_image_loaded_as_one_layer_is_the_image_a_commit_makes(tmp_path, monkeypatch):
    from orchestrator.build import images, layer, oneshot

    client = docker.from_env()
    base = bases.ensure_base(
        client, "debian", "3.11", environment.from_host(), bases.BaseOptions(tmp_path / "b")
    )
    context = images.BuildContext(
        EVERY_CHANGE.format(base=base.tag), files={"data.txt": b"payload\n"}
    )
    tags = {way: f"oxzep7-test/layer:{way}" for way in ("loaded", "committed")}
    try:
        loaded = oneshot.build(client, context, _request(tags["loaded"], tmp_path))
        assert "(the build's changes as one layer, no commit)" in _log(tmp_path, "loaded")
        # An image with no find or tar: no listing at the start, so no layer; it commits.
        monkeypatch.setattr(layer, "script_start", lambda: [])
        committed = oneshot.build(client, context, _request(tags["committed"], tmp_path))
        assert "committed" in _log(tmp_path, "committed")
        assert loaded != committed
        assert _tree(client, tags["loaded"]) == _tree(client, tags["committed"])
        configs = [_meaning(client.images.get(tag).attrs["Config"]) for tag in tags.values()]
        assert configs[0] == configs[1]
        parent_layers = client.images.get(base.tag).attrs["RootFS"]["Layers"]
        layers = client.images.get(tags["loaded"]).attrs["RootFS"]["Layers"]
        assert layers[:-1] == parent_layers and len(layers) == len(parent_layers) + 1
    finally:
        for tag in tags.values():
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)


def _meaning(config: dict) -> dict:
    """An image config as the engine reads it: no user is root, no working folder is /
    (a commit writes the build container's "root" and "/" where the Dockerfile says
    nothing; the loaded layer keeps the parent's empty values)."""
    return {**config, "User": config["User"] or "root", "WorkingDir": config["WorkingDir"] or "/"}


def _request(tag: str, folder):
    from orchestrator.build import images

    name = tag.rsplit(":", 1)[1]
    return images.BuildRequest(tag, folder / f"{name}.log", images.labels("test", run="layer"))


def _log(folder, name: str) -> str:
    return (folder / f"{name}.log").read_text()


def _tree(client, tag: str) -> list[str]:
    """Every path with its type, mode, owner, size, link target and content digest. The
    cache volume's mount point is left out: the engine makes it in the build container
    (a commit keeps that empty folder, the loaded layer does not; it is no change the
    Dockerfile made)."""
    from orchestrator.build import oneshot

    script = (
        "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /etc/hosts"
        f" -o -path /etc/hostname -o -path /etc/resolv.conf -o -path {oneshot.CACHE_MOUNT}"
        " \\) -prune"
        " -o -printf '%p %y %m %U:%G %s %l\\n' | sort"
        " && find /opt /etc /project -xdev -type f -exec md5sum {} +"
        " | grep -v -e /etc/hostname -e /etc/hosts -e /etc/resolv.conf | sort"
    )
    output = client.containers.run(
        tag, ["sh", "-c", script], user="0", remove=True, network_mode="none"
    ).decode()
    lines = output.splitlines()
    assert "/opt/link l 777 0:0 19 /opt/made/deep/file" in lines
    assert not any(line.startswith("/usr/share/zoneinfo/Europe") for line in lines)
    assert any(line.startswith("/project/data.txt f 644 10001:10001 8") for line in lines)
    return lines
