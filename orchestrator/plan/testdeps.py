"""What a project declares for its tests: the interpreters it accepts
(``requires-python``), and what its tests need besides itself: the matrix's ``deps``, PEP 735
dependency groups from its pyproject.toml, and requirements files, flattened into one
list of PEP 508 requirements.

Real projects keep test dependencies in many places (tox.ini ``deps``, dependency
groups, ``requirements-dev.txt``); the matrix names where, and this module reads them.
The matrix loader calls it once to report mistakes with the matrix's line, and the
cell build calls it again to write the dependency layer, so both see the same list.
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from orchestrator.models import Project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_FILE_BYTES = 1 << 20  # a requirements file or pyproject.toml larger than this is not one
MAX_INCLUDE_DEPTH = 10

# A requirements line that names the project itself, which the cell installs anyway.
_SELF = re.compile(r"^(-e|--editable)?\s*(\.|\./|file:\.|file:\./?)(\[[^\]]*\])?$")
# Options that only change how pip finds packages. Index options are dropped on purpose:
# an index named in a file must not redirect the cell's installs.
_IGNORED_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--trusted-host",
    "--pre",
    "--prefer-binary",
    "--only-binary",
    "--no-binary",
    "--use-feature",
    "-c",
    "--constraint",
)
_HASH = re.compile(r"\s--hash[=\s]\S+")


class ProjectFileError(Exception):
    """A project file the matrix points at is missing or malformed."""


def test_requirements(project: Project) -> tuple[str, ...]:
    """Every extra requirement of ``project``'s tests, in the order written, once each."""
    found = list(project.deps)
    if project.dependency_groups:
        groups = _declared_groups(project.path)
        for group in project.dependency_groups:
            found += _expand_group(groups, group, ())
    for name in project.requirements:
        found += requirements_file(project.path, name)
    return tuple(dict.fromkeys(found))


def _declared_groups(root: Path) -> dict[str, list[object]]:
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise ProjectFileError(f"{path}: invalid TOML: {exc}") from None
    groups = data.get("dependency-groups")
    if not isinstance(groups, dict):
        raise ProjectFileError(f"{path} has no [dependency-groups] table (PEP 735)")
    return {_group_name(str(name)): value for name, value in groups.items()}


def _expand_group(groups: dict[str, list[object]], name: str, seen: tuple[str, ...]) -> list[str]:
    """PEP 735: a group's requirements, with ``{include-group = "..."}`` entries expanded."""
    key = _group_name(name)
    if key in seen:
        raise ProjectFileError(f"dependency group {name!r} includes itself ({' -> '.join(seen)})")
    if key not in groups:
        known = ", ".join(sorted(groups)) or "none"
        raise ProjectFileError(f"no dependency group {name!r} in pyproject.toml (groups: {known})")
    entries = groups[key]
    if not isinstance(entries, list):
        raise ProjectFileError(f"dependency group {name!r} is not a list")
    found: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            found.append(_requirement(entry, f"dependency group {name!r}"))
        elif isinstance(entry, dict) and set(entry) == {"include-group"}:
            found += _expand_group(groups, str(entry["include-group"]), (*seen, key))
        else:
            raise ProjectFileError(f"dependency group {name!r} has an unknown entry: {entry!r}")
    return found


def _group_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_file(root: Path, name: str, depth: int = 0) -> list[str]:
    """The requirements of a pip requirements file: ``-r`` includes followed, the project
    itself (``-e .``) and finder options dropped, ``--hash`` options removed (one unhashed
    requirement beside them would put pip in hash-checking mode for all)."""
    path = (root / name).resolve()
    if depth > MAX_INCLUDE_DEPTH:
        raise ProjectFileError(f"{path}: -r includes nested more than {MAX_INCLUDE_DEPTH} deep")
    if not path.is_relative_to(root.resolve()):
        raise ProjectFileError(f"requirements file {name!r} is outside the project")
    found: list[str] = []
    for number, line in _logical_lines(_read(path)):
        where = f"{path}:{number}"
        words = line.split(maxsplit=1)
        option = words[0].split("=", 1)[0]
        if option in ("-r", "--requirement"):
            target = words[0].split("=", 1)[1] if "=" in words[0] else words[1:]
            include = target if isinstance(target, str) else "".join(target)
            found += requirements_file(path.parent, include.strip(), depth + 1)
        elif _SELF.match(line) or option in _IGNORED_OPTIONS:
            continue
        elif line.startswith("-"):
            raise ProjectFileError(f"{where}: unsupported option {words[0]!r}")
        else:
            found.append(_requirement(_HASH.sub("", " " + line).strip(), where))
    return found


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) with comments stripped and ``\\`` continuations joined."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            lines.append((start, line))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def _requirement(text: str, where: str) -> str:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise ProjectFileError(f"{where}: not a requirement: {text!r} ({exc})") from None
    if requirement.url:
        raise ProjectFileError(f"{where}: {text!r} is a URL requirement; name a version instead")
    return str(requirement)


def requires_python(root: Path) -> SpecifierSet | None:
    """The interpreters the project accepts, from pyproject.toml's ``requires-python``
    or setup.cfg's ``python_requires`` (static metadata only); None when it says none
    or says it in a way that cannot be read without running its build."""
    for name, find in (("pyproject.toml", _pyproject_requires), ("setup.cfg", _setup_cfg_requires)):
        path = root / name
        if not path.is_file():
            continue
        try:
            text = find(_read(path))
        except (ProjectFileError, ValueError, configparser.Error):
            continue
        if text:
            try:
                return SpecifierSet(text)
            except InvalidSpecifier:
                return None
    return None


def accepts(spec: SpecifierSet, python: str) -> bool:
    """Whether some release of ``python`` (a minor version, "3.9") satisfies ``spec``:
    ">=3.9.2" accepts 3.9, "<3.13" does not accept 3.13."""
    return any(spec.contains(f"{python}.{micro}") for micro in (0, 99))


def _pyproject_requires(text: str) -> str | None:
    project = tomllib.loads(text).get("project")
    value = project.get("requires-python") if isinstance(project, dict) else None
    return value if isinstance(value, str) else None


def _setup_cfg_requires(text: str) -> str | None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    value = parser.get("options", "python_requires", fallback=None)
    return value.strip() if value else None


def _read(path: Path) -> str:
    if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
        raise ProjectFileError(f"{path} is not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ProjectFileError(f"{path} not found") from None
    except OSError as exc:
        raise ProjectFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ProjectFileError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    return data.decode("utf-8", errors="replace")
