"""Declared dependencies, read from PEP 621 ``[project]`` (dependencies,
optional-dependencies, requires-python), PEP 735 ``[dependency-groups]``, Poetry's
``[tool.poetry]`` tables (constraints translated to PEP 440), a static setup.cfg, and a
Pipfile (with its ``[requires]`` interpreter).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from orchestrator.assess.facts import RUNTIME
from orchestrator.assess.reader import Reader, lines, strings


def pyproject(reader: Reader) -> dict[str, Any]:
    data = reader.toml("pyproject.toml") or {}
    project = data.get("project")
    if isinstance(data.get("build-system"), dict):
        reader.installable = True
    if isinstance(project, dict):
        if isinstance(project.get("name"), str):
            reader.name = project["name"]
        if isinstance(project.get("requires-python"), str):
            reader.requires_python = project["requires-python"]
        for text in strings(project.get("dependencies")):
            reader.declare(text, RUNTIME, "pyproject.toml [project.dependencies]")
        extras = project.get("optional-dependencies")
        for extra, items in extras.items() if isinstance(extras, dict) else ():
            reader.extras.append(str(extra))
            for text in strings(items):
                reader.declare(
                    text, f"extra {extra}", "pyproject.toml [project.optional-dependencies]"
                )
    groups = data.get("dependency-groups")
    for group, items in groups.items() if isinstance(groups, dict) else ():
        reader.groups.append(str(group))
        for text in strings(items):  # {include-group = ...} entries are listed on their own
            reader.declare(text, f"group {group}", "pyproject.toml [dependency-groups]")
    _poetry(reader, data)
    return data


def _poetry(reader: Reader, data: Mapping[str, Any]) -> None:
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return
    if reader.name is None and isinstance(poetry.get("name"), str):
        reader.name = poetry["name"]
    tables: list[tuple[str, str, Any]] = [
        (RUNTIME, "[tool.poetry.dependencies]", poetry.get("dependencies")),
        ("dev", "[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies")),
    ]
    groups = poetry.get("group")
    for group, table in groups.items() if isinstance(groups, dict) else ():
        if isinstance(table, dict):
            section = f"[tool.poetry.group.{group}.dependencies]"
            tables.append((f"group {group}", section, table.get("dependencies")))
    for kind, section, table in tables:
        for name, value in table.items() if isinstance(table, dict) else ():
            constraint = value.get("version") if isinstance(value, dict) else value
            if name.lower() == "python":
                if reader.requires_python is None and isinstance(constraint, str):
                    reader.requires_python = poetry_specifier(constraint)
                continue
            if kind == RUNTIME and isinstance(value, dict) and value.get("optional"):
                kind_here = "extra (poetry)"
            else:
                kind_here = kind
            if isinstance(constraint, str):
                reader.declare(
                    f"{name}{poetry_specifier(constraint)}", kind_here, f"pyproject.toml {section}"
                )
            elif isinstance(value, dict):  # git, path or url dependency: no version to compare
                continue


def poetry_specifier(constraint: str) -> str:
    """A Poetry constraint as a PEP 440 specifier set: ``^2.25.1`` -> ``>=2.25.1,<3.0.0``,
    ``~1.4`` -> ``>=1.4,<1.5``, ``*`` -> ``""``, ``1.2.*`` and ``>=1,<2`` as they are."""
    parts = []
    for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint.strip()):
        piece = piece.strip()
        if not piece or piece == "*":
            continue
        if piece.startswith("^"):
            parts.append(_caret(piece[1:].strip()))
        elif piece.startswith("~") and not piece.startswith("~="):
            parts.append(_tilde(piece[1:].strip()))
        elif piece[0].isdigit():
            parts.append(f"=={piece}")
        else:
            parts.append(piece)
    text = ",".join(parts)
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        return ""


def _numbers(version: str) -> list[int]:
    return [int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3]] or [0]


def _caret(version: str) -> str:
    numbers = _numbers(version)
    upper = list(numbers) + [0] * (3 - len(numbers))
    for index, number in enumerate(numbers):  # bump the first non-zero part
        if number != 0 or index == len(numbers) - 1:
            upper = [*numbers[:index], number + 1] + [0] * (2 - index)
            break
    return f">={version},<{'.'.join(str(n) for n in upper[:3])}"


def _tilde(version: str) -> str:
    numbers = _numbers(version)
    upper = [numbers[0] + 1, 0] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
    return f">={version},<{'.'.join(str(n) for n in upper)}"


def setup_cfg(reader: Reader) -> None:
    text = reader.text("setup.cfg")
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        reader.problems.append(f"setup.cfg: {str(exc).splitlines()[0]}")
        return
    if parser.has_section("metadata") and reader.name is None:
        reader.name = parser.get("metadata", "name", fallback=None)
    if parser.has_section("options"):
        reader.installable = True
        python = parser.get("options", "python_requires", fallback="").strip()
        if python and reader.requires_python is None:
            reader.requires_python = python
        for line in lines(parser.get("options", "install_requires", fallback="")):
            reader.declare(line, RUNTIME, "setup.cfg [options] install_requires")
        if parser.has_option("options", "tests_require"):
            for line in lines(parser.get("options", "tests_require")):
                reader.declare(line, "extra test", "setup.cfg [options] tests_require")
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            reader.extras.append(extra)
            for line in lines(value):
                reader.declare(line, f"extra {extra}", "setup.cfg [options.extras_require]")
    if parser.has_section("tool:pytest"):
        reader.tests.append(("python -m pytest -q", "setup.cfg [tool:pytest]"))


def pipfile(reader: Reader) -> None:
    data = reader.toml("Pipfile")
    if data is not None:
        requires = data.get("requires")
        if isinstance(requires, dict):
            for key in ("python_full_version", "python_version"):
                if isinstance(requires.get(key), str):
                    reader.python(requires[key], f"Pipfile [requires] {key}")
                    break
        for section, kind in (("packages", RUNTIME), ("dev-packages", "dev")):
            table = data.get(section)
            for name, value in table.items() if isinstance(table, dict) else ():
                spec = value.get("version", "") if isinstance(value, dict) else value
                if not isinstance(spec, str):
                    continue
                spec = "" if spec.strip() == "*" else spec.strip()
                reader.declare(f"{name}{spec}", kind, f"Pipfile [{section}]")
