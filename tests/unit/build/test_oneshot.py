"""recipe + oneshot: the rendered Dockerfile, carried out in one container, says and does
the same thing; build args never reach the script, the config or the history."""

from __future__ import annotations

import shlex
import tarfile
from pathlib import Path

import pytest

from orchestrator.build import bases, images, oneshot, project, recipe, templates
from orchestrator.build.recipe import Copy, Env, RecipeError, Run, Workdir
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, Project
from orchestrator.plan import interpreters

CELL = Cell(id="py3.11-click8.1.8", python="3.11", deps={"click": "8.1.8"})
SECRET = "https://user:s3cret-token@index.example/simple"


def _cell_dockerfile(**options: object) -> str:
    project = Project(Path("project"), install=".[test]", **options)  # type: ignore[arg-type]
    return templates.render_cell(
        CELL, base_image="oxzep7/base:py3.11-abc", project=project, requirements=["click==8.1.8"]
    )


def test_parse_reads_the_subset_docker_reads():
    parsed = recipe.parse(
        "# comment\nFROM base:1\nARG A\nARG B=/tmp/x\n"
        'ENV K=v Q="say \\"hi\\" \\$HOME" \\\n    Z=1\n'
        "COPY --chown=10001:10001 project/ /project/\nWORKDIR /project\n"
        "RUN echo one \\\n # a comment inside\n && echo two\nUSER oxzep7\nLABEL a=b\n"
    )
    assert parsed.parent == "base:1"
    assert parsed.args == ("A", "B=/tmp/x")
    assert parsed.env == {"K": "v", "Q": 'say "hi" $HOME', "Z": "1"}
    assert parsed.steps[1] == Copy(("project/",), "/project/", (10001, 10001))
    assert isinstance(parsed.steps[2], Workdir) and parsed.workdir == "/project"
    assert parsed.commands == ["echo one  && echo two"]
    assert parsed.user == "oxzep7" and parsed.labels == {"a": "b"}


@pytest.mark.parametrize(
    "text",
    [
        "RUN true",  # before FROM
        "FROM a\nFROM b",
        'FROM a\nCMD ["x"]',
        "FROM a\nENV A=$B",  # Docker would expand it
        'FROM a\nRUN ["exec", "form"]',
        "FROM a\nCOPY --chmod=755 x /x",
        "FROM a\nUSER nobody\nRUN true",
        "FROM a\nWORKDIR relative",
    ],
)
def test_parse_refuses_what_one_container_cannot_carry_out(text):
    with pytest.raises(RecipeError):
        recipe.parse(text)


@pytest.mark.parametrize("options", [{}, {"system_packages": ("gcc",), "env": {"A": "x $y"}}])
def test_the_script_runs_every_run_step_of_the_cell_dockerfile_in_order(options):
    dockerfile = _cell_dockerfile(**options)
    parsed = recipe.parse(dockerfile)
    script = oneshot.script(parsed, {})
    positions = [script.index(_quoted(command)) for command in parsed.commands]
    assert positions == sorted(positions) and len(positions) == dockerfile.count("\nRUN ")
    # Steps that run uv wait for each other: each wheel is downloaded once.
    uv_steps = [c for c in parsed.commands if "uv pip install" in c]
    assert uv_steps and all(
        f"flock {oneshot.CACHE_MOUNT}/.uv.lock {_quoted(c)}" in script for c in uv_steps
    )
    # The Dockerfile and the script name the same packages.
    for word in (
        "uv pip install -r /etc/oxzep7/requirements.txt",
        *options.get("system_packages", ()),
    ):
        assert word in dockerfile and word in script
    for name, value in options.get("env", {}).items():
        assert parsed.env[name] == value
        assert f"export {name}='{value}'" in script


def _quoted(command: str) -> str:
    return f"/bin/sh -c {shlex.quote(command)}"


def test_the_base_dockerfiles_are_carried_out_in_one_container():
    for family, version in (("debian", "3.11"), ("official", "3.12")):
        interpreter = interpreters.lookup(family, version)
        text = templates.render_base(
            interpreter, rootfs_image="oxzep7/debian:bookworm", ca_bundle=True
        )
        parsed = recipe.parse(text)
        assert len(parsed.commands) == 1
        command = parsed.commands[0]
        assert "--upgrade" not in command  # the suite's or image's pip is enough
        assert 'pip download -q --no-deps --dest "$OXZEP7_TOOLS" uv' in command
        assert 'pip install --no-index --find-links "$OXZEP7_TOOLS" uv' in command
        assert parsed.env["UV_COMPILE_BYTECODE"] == "1"
        # the builder points the wheel's folder at its cache volume, for this build only
        script = oneshot.script(parsed, bases.TOOLS_ENV)
        assert f"export OXZEP7_TOOLS={oneshot.CACHE_MOUNT}/tools" in script
        assert "OXZEP7_TOOLS" not in str(oneshot.config({}, parsed, {}))


def test_build_args_go_to_a_file_the_script_deletes_first_and_never_to_the_config():
    env = BuildEnvironment(index={"PIP_INDEX_URL": SECRET}, proxies={"HTTPS_PROXY": SECRET})
    parsed = recipe.parse(_cell_dockerfile())
    context = images.BuildContext(
        dockerfile="", files={"requirements.txt": b"", "constraints.txt": b""}
    )
    members = _members(oneshot._archive(parsed, context, env.buildargs, {"OXZEP7_WHEELS": "/w"}))
    args = members[f"{oneshot.BUILD_DIR.lstrip('/')}/args.env"]
    script = members[f"{oneshot.BUILD_DIR.lstrip('/')}/build.sh"]
    assert f"export UV_INDEX_URL={SECRET}" in args and f"export HTTPS_PROXY={SECRET}" in args
    assert "s3cret" not in script
    lines = script.splitlines()
    assert lines.index(f"rm -rf {oneshot.BUILD_DIR}") < lines.index("cd /")
    assert "export OXZEP7_WHEELS=/w" in script
    conf = oneshot.config({"Env": ["PATH=/bin"]}, parsed, {"org.oxzep7.kind": "cell"})
    assert "s3cret" not in repr(conf)
    assert conf["User"] == "oxzep7" and conf["WorkingDir"] == "/project"
    assert conf["Cmd"] == ["/bin/sh"]  # else the commit would take the build command


def test_copy_puts_files_at_their_destination_with_the_owner(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    tree = project.tree(tmp_path)
    context = images.BuildContext(
        dockerfile="",
        files={"requirements.txt": b"click\n", "constraints.txt": b"", "sdist/x-1.tar.gz": b"sd"},
        trees={"project/": tree},
    )
    parsed = recipe.parse(
        _cell_dockerfile().replace("COPY --chown", "COPY sdist/ /etc/oxzep7/sdist/\nCOPY --chown")
    )
    with tarfile.open(fileobj=oneshot._archive(parsed, context, {}, {})) as archive:
        infos = {m.name: m for m in archive.getmembers()}
    assert infos["etc/oxzep7/requirements.txt"].uid == 0
    assert infos["etc/oxzep7/sdist/x-1.tar.gz"].isfile()
    for name in ("project", "project/pkg", "project/pkg/mod.py", "project/pyproject.toml"):
        assert (infos[name].uid, infos[name].gid) == (10001, 10001), name
    assert infos["project/pkg"].isdir()


def _members(data) -> dict[str, str]:
    with tarfile.open(fileobj=data) as archive:
        return {
            m.name: archive.extractfile(m).read().decode()
            for m in archive.getmembers()
            if m.isfile()
        }


def test_steps_are_typed():
    parsed = recipe.parse(_cell_dockerfile())
    assert {type(s) for s in parsed.steps} <= {Copy, Run, Env, Workdir}
