"""templates: Dockerfiles rendered from dockerfiles/*.j2, with every interpolated value checked."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from orchestrator.build import templates
from orchestrator.environment import INDEX_VARS
from orchestrator.errors import ConfigError
from orchestrator.models import Cell, Project
from orchestrator.plan import interpreters

ROOTFS = "oxzep7-rootfs:bookworm"
BASE = "oxzep7-base:debian-3.11-abc123"
CELL = Cell(id="py3.11-click8.1.8", python="3.11", deps={"click": "8.1.8"})


@pytest.fixture
def debian311():
    interpreter = interpreters.lookup("debian", "3.11")
    assert interpreter is not None
    return interpreter


def _lines(text):
    return [line.strip() for line in text.splitlines()]


def test_render_base_debian(debian311):
    text = templates.render_base(debian311, rootfs_image=ROOTFS, ca_bundle=False)
    assert f"FROM {ROOTFS}" in _lines(text)
    assert "apt-get install -y --no-install-recommends python3.11 python3.11-venv" in text
    assert "python3.11 -m venv /opt/venv" in text
    assert "--upgrade pip" not in text  # the suite's pip is enough; uv installs the cells


def test_render_base_debian_runs_apt_only_on_a_root_filesystem_without_the_interpreter(
    debian311,
):
    text = templates.render_base(debian311, rootfs_image=ROOTFS, ca_bundle=False)
    guard = "dpkg -s python3.11 python3.11-venv tzdata >/dev/null 2>&1"
    assert text.index(guard) < text.index("|| { apt-get") < text.index("python3.11 -m venv")
    for var in INDEX_VARS:
        assert f"ARG {var}" in _lines(text)


@pytest.mark.parametrize("ca_bundle", [True, False])
def test_render_base_copies_the_ca_bundle_only_when_asked(debian311, ca_bundle):
    text = templates.render_base(debian311, rootfs_image=ROOTFS, ca_bundle=ca_bundle)
    assert ("COPY ca-bundle.crt /etc/oxzep7/ca-bundle.crt" in text) is ca_bundle
    assert ("PIP_CERT=/etc/oxzep7/ca-bundle.crt" in text) is ca_bundle


def test_render_base_official_starts_from_the_registry_image():
    interpreter = interpreters.lookup("official", "3.12")
    text = templates.render_base(interpreter, rootfs_image=None, ca_bundle=False)
    assert "FROM python:3.12-slim" in _lines(text)
    assert "apt-get" not in text


@pytest.mark.parametrize(
    "image", [None, "", "Bad/Image", "rootfs; rm -rf /", "rootfs:tag && id", "$(id)", "a b"]
)
def test_render_base_rejects_a_bad_rootfs_image(debian311, image):
    with pytest.raises(ConfigError):
        templates.render_base(debian311, rootfs_image=image, ca_bundle=False)


def test_render_base_rejects_a_bad_package_name():
    bad = interpreters.DebianInterpreter(
        version="3.11", suite="bookworm", package="python3.11; id", glibc="2.36"
    )
    with pytest.raises(ConfigError):
        templates.render_base(bad, rootfs_image=ROOTFS, ca_bundle=False)


@pytest.mark.parametrize("requirements", [["click==8.1.8"], []])
def test_render_cell(requirements):
    text = templates.render_cell(
        CELL, base_image=BASE, project=_project(".[test]"), requirements=requirements
    )
    assert f"FROM {BASE}" in _lines(text)
    assert CELL.id in text
    # The cell's interpreter, whatever a .python-version file in the project says.
    assert (
        'uv build --python /opt/venv/bin/python --wheel --out-dir "$OXZEP7_WHEELS/new" /project'
        in text
    )
    assert 'uv pip install "$wheel[test]" -c /etc/oxzep7/constraints.txt' in text
    assert "COPY --chown=10001:10001 project/ /project/" in _lines(text)
    assert "chown -R" not in text
    installs_requirements = "uv pip install -r /etc/oxzep7/requirements.txt" in text
    assert installs_requirements is bool(requirements)


def _project(install: str, **options: object) -> Project:
    return Project(Path("project"), install=install, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "install", [".[test]; rm -rf /", '." && curl x | sh && echo "', "..", "/etc", ".[a b]", "$(id)"]
)
def test_render_cell_rejects_a_bad_install_target(install):
    with pytest.raises(ConfigError):
        templates.render_cell(CELL, base_image=BASE, project=_project(install), requirements=[])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"project": _project(".\n")},
        {"base_image": BASE + "\n"},
        {"cell": Cell(id=CELL.id + "\n", python="3.11", deps={})},
    ],
    ids=["install", "base_image", "cell_id"],
)
def test_render_cell_rejects_a_trailing_newline(kwargs):
    args = {"cell": CELL, "base_image": BASE, "project": _project("."), "requirements": []} | kwargs
    with pytest.raises(ConfigError):
        templates.render_cell(**args)


@pytest.mark.parametrize("image", ["Base:Tag", "base; id", "base:tag && id", "", "base:a:b"])
def test_render_cell_rejects_a_bad_base_image(image):
    with pytest.raises(ConfigError):
        templates.render_cell(CELL, base_image=image, project=_project("."), requirements=[])


@pytest.mark.parametrize("cell_id", ["py3.11;id", "$(id)", "-py3.11", "py 3.11", ""])
def test_render_cell_rejects_a_bad_cell_id(cell_id):
    cell = Cell(id=cell_id, python="3.11", deps={})
    with pytest.raises(ConfigError):
        templates.render_cell(cell, base_image=BASE, project=_project("."), requirements=[])


def test_templates_use_strict_undefined():
    assert templates._env().undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        templates._env().get_template("cell.Dockerfile.j2").render(cell=CELL)


def test_cell_requirements():
    cell = Cell(id="py3.11-x", python="3.11", deps={"PyYAML": "6.0.*", "click": ">=8,<9"})
    assert templates.cell_requirements(cell) == ["pyyaml==6.0.*", "click<9,>=8"]


@pytest.mark.parametrize("deps", [{"click": "8.0 && id"}, {"click; id": "8.0"}])
def test_cell_requirements_rejects_bad_values(deps):
    with pytest.raises(ConfigError, match=r"py3\.11-x"):
        templates.cell_requirements(Cell(id="py3.11-x", python="3.11", deps=deps))


def test_render_cell_sets_env_quoted_for_the_dockerfile():
    project = _project(".", env={"A": 'say "hi" $HOME \\ now', "B": "1"})
    text = templates.render_cell(CELL, base_image=BASE, project=project, requirements=[])
    assert 'ENV A="say \\"hi\\" \\$HOME \\\\ now" B="1"' in _lines(text)


@pytest.mark.parametrize(
    "options",
    [{"env": {"A": "x\nRUN id"}}, {"env": {"A B": "x"}}, {"system_packages": ("gcc && id",)}],
)
def test_render_cell_refuses_env_and_packages_that_would_escape(options):
    with pytest.raises(ConfigError):
        templates.render_cell(
            CELL, base_image=BASE, project=_project(".", **options), requirements=[]
        )


def test_render_cell_installs_system_packages_before_pip():
    project = _project(".", system_packages=("gcc", "libffi-dev"))
    text = templates.render_cell(CELL, base_image=BASE, project=project, requirements=[])
    assert "apt-get install -y --no-install-recommends gcc libffi-dev" in text
    assert text.index("apt-get install") < text.index("pip install")


def test_render_cell_installs_the_sdist_with_the_extras():
    text = templates.render_cell(
        CELL, base_image=BASE, project=_project(".[test]"), requirements=[], sdist="demo-1.0.tar.gz"
    )
    assert "COPY sdist/ /etc/oxzep7/sdist/" in _lines(text)
    assert '--out-dir "$OXZEP7_WHEELS/new" /etc/oxzep7/sdist/demo-1.0.tar.gz' in text
    assert 'uv pip install "$wheel[test]"' in text
