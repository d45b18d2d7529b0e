"""What a project declares and pins, read from its own files (nothing is run).

Declared dependencies: PEP 621 ``[project]`` (dependencies, optional-dependencies,
requires-python), PEP 735 ``[dependency-groups]``, Poetry's ``[tool.poetry]`` tables,
a Pipfile, a static setup.cfg, and, for applications that have nothing else, the
top-level requirements files. Versions in use: ``uv.lock``, ``poetry.lock``,
``Pipfile.lock``, then ``==`` pins of requirements files (pip-tools output with
``--hash`` and ``# via`` annotations included). Interpreters: ``.python-version``,
the Pipfile's ``python_version``, CI workflows' ``python-version``, tox's envlist,
the noxfile, requires-python. The test command: tox's commands, the noxfile, pytest
configuration.

Every file is input: bounded in size, parsed with safe parsers (TOML, JSON, YAML with
every scalar read as text, configparser without interpolation); a file that cannot
be read becomes a ``problem`` in the facts, never an exception.
"""

from __future__ import annotations

import configparser
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_FILE_BYTES = 4 << 20  # lock files of large applications run to a few MiB
MAX_WORKFLOWS = 50

RUNTIME = "runtime"
# Names under which projects keep test-only needs, best first.
TEST_NAMES = ("test", "tests", "testing")
DEV_NAMES = ("dev", "develop", "development")
TEST_REQUIREMENTS = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "tests-requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
)
RUNTIME_REQUIREMENTS = ("requirements.txt", "requirements/base.txt", "requirements/prod.txt")
_PY = re.compile(r"^\s*(?:python-?|py|cpython-?)?(3)\.?(\d{1,2})(?:[.\-]\S*)?\s*$", re.I)
_TOX_ENV = re.compile(r"^py(3)(\d{1,2})$")
_VIA = re.compile(r"^\s*#\s+via\b\s*(.*)$")
_VIA_MORE = re.compile(r"^\s*#\s{2,}(\S.*)$")


@dataclass(frozen=True)
class Declared:
    """A direct dependency as the project declares it."""

    name: str  # PEP 503 normalized
    specifier: str  # PEP 440 specifier set, "" for any version
    kind: str  # "runtime", "extra test", "group dev", "dev"
    source: str  # where, e.g. "pyproject.toml [project.dependencies]"
    marker: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "specifier": self.specifier,
            "kind": self.kind,
            "source": self.source,
            "marker": self.marker,
        }


@dataclass(frozen=True)
class Pinned:
    """A version in use: locked or pinned with ``==``."""

    name: str
    version: str
    source: str  # the file, e.g. "uv.lock"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source}


@dataclass(frozen=True)
class PythonMention:
    """An interpreter named by one of the project's files."""

    version: str  # X.Y
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "source": self.source}


@dataclass(frozen=True)
class Facts:
    """Everything read from the project's files."""

    root: Path
    name: str | None = None
    requires_python: str | None = None
    declared: tuple[Declared, ...] = ()
    pins: Mapping[str, Pinned] = field(default_factory=dict)
    pythons: tuple[PythonMention, ...] = ()  # in order of authority: the first is "in use"
    test_command: str | None = None
    test_command_source: str | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # PEP 735 [dependency-groups] (Poetry's groups are not)
    test_requirements: tuple[str, ...] = ()  # requirements files of test needs, relative
    tox_deps: tuple[str, ...] = ()
    installable: bool = False  # has pyproject.toml with a build system, setup.py or setup.cfg
    files: tuple[str, ...] = ()  # the files read, relative to root
    problems: tuple[str, ...] = ()

    @property
    def python_in_use(self) -> PythonMention | None:
        return self.pythons[0] if self.pythons else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "name": self.name,
            "requires_python": self.requires_python,
            "declared": [d.to_dict() for d in self.declared],
            "pins": {name: pin.to_dict() for name, pin in self.pins.items()},
            "pythons": [p.to_dict() for p in self.pythons],
            "test_command": self.test_command,
            "test_command_source": self.test_command_source,
            "extras": list(self.extras),
            "groups": list(self.groups),
            "test_requirements": list(self.test_requirements),
            "tox_deps": list(self.tox_deps),
            "installable": self.installable,
            "files": list(self.files),
            "problems": list(self.problems),
        }


class _Reader:
    """Collects facts while reading; one method per kind of file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name: str | None = None
        self.requires_python: str | None = None
        self.declared: list[Declared] = []
        self.pins: dict[str, Pinned] = {}
        self.pythons: list[PythonMention] = []
        self.tests: list[tuple[str, str]] = []  # (command, source), best first
        self.extras: list[str] = []
        self.groups: list[str] = []
        self.tox_deps: list[str] = []
        self.files: list[str] = []
        self.problems: list[str] = []
        self.installable = False

    # --- file access -------------------------------------------------------------------

    def text(self, relative: str) -> str | None:
        """The file's text, or None when absent; unreadable files become problems."""
        path = self.root / relative
        try:
            if not path.is_file():
                return None
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.problems.append(f"{relative}: cannot read it: {exc.strerror or exc}")
            return None
        if len(data) > MAX_FILE_BYTES:
            self.problems.append(f"{relative}: larger than {MAX_FILE_BYTES} bytes; not read")
            return None
        self.files.append(relative)
        return data.decode("utf-8", errors="replace")

    def toml(self, relative: str) -> dict[str, Any] | None:
        text = self.text(relative)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(f"{relative}: invalid TOML: {exc}")
            return None

    # --- recording ---------------------------------------------------------------------

    def declare(self, text: str, kind: str, source: str) -> None:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            self.problems.append(f"{source}: not a requirement: {text!r}")
            return
        if requirement.url:
            return  # a URL names no version to compare
        self.declared.append(
            Declared(
                canonicalize_name(requirement.name),
                str(requirement.specifier),
                kind,
                source,
                str(requirement.marker) if requirement.marker else "",
            )
        )

    def pin(self, name: str, version: str, source: str) -> None:
        try:
            normal = str(Version(version))
        except InvalidVersion:
            return
        self.pins.setdefault(
            canonicalize_name(name), Pinned(canonicalize_name(name), normal, source)
        )

    def python(self, text: object, source: str) -> None:
        version = python_version(str(text))
        if version and all(m.version != version or m.source != source for m in self.pythons):
            self.pythons.append(PythonMention(version, source))

    def facts(self) -> Facts:
        test = self.tests[0] if self.tests else (None, None)
        return Facts(
            root=self.root,
            name=self.name,
            requires_python=self.requires_python,
            declared=tuple(_unique(self.declared)),
            pins=self.pins,
            pythons=tuple(self.pythons),
            test_command=test[0],
            test_command_source=test[1],
            extras=tuple(dict.fromkeys(self.extras)),
            groups=tuple(dict.fromkeys(self.groups)),
            test_requirements=tuple(r for r in TEST_REQUIREMENTS if (self.root / r).is_file()),
            tox_deps=tuple(dict.fromkeys(self.tox_deps)),
            installable=self.installable,
            files=tuple(dict.fromkeys(self.files)),
            problems=tuple(self.problems),
        )


def read_project(root: Path) -> Facts:
    """The facts of the project in ``root`` (a directory)."""
    reader = _Reader(root)
    # Interpreter in use, most authoritative first.
    _python_version_file(reader)
    _pipfile(reader)
    # Declarations.
    pyproject = _pyproject(reader)
    _setup_cfg(reader)
    reader.installable = reader.installable or (root / "setup.py").is_file()
    # Locks, best first; requirements pins only fill what no lock names.
    _uv_lock(reader)
    _poetry_lock(reader)
    _pipfile_lock(reader)
    _requirements(reader, declare=not any(d.kind == RUNTIME for d in reader.declared))
    # Interpreters elsewhere, and the test command.
    _tox(reader, pyproject)
    _noxfile(reader)
    _workflows(reader)
    _pytest_config(reader, pyproject)
    if reader.requires_python:
        lowest = _lowest_python(reader.requires_python)
        if lowest:
            reader.python(lowest, "requires-python (lowest allowed)")
    return reader.facts()


# --- pyproject.toml, setup.cfg, Pipfile ------------------------------------------------------


def _pyproject(reader: _Reader) -> dict[str, Any]:
    data = reader.toml("pyproject.toml") or {}
    project = data.get("project")
    if isinstance(data.get("build-system"), dict):
        reader.installable = True
    if isinstance(project, dict):
        if isinstance(project.get("name"), str):
            reader.name = project["name"]
        if isinstance(project.get("requires-python"), str):
            reader.requires_python = project["requires-python"]
        for text in _strings(project.get("dependencies")):
            reader.declare(text, RUNTIME, "pyproject.toml [project.dependencies]")
        extras = project.get("optional-dependencies")
        for extra, items in extras.items() if isinstance(extras, dict) else ():
            reader.extras.append(str(extra))
            for text in _strings(items):
                reader.declare(
                    text, f"extra {extra}", "pyproject.toml [project.optional-dependencies]"
                )
    groups = data.get("dependency-groups")
    for group, items in groups.items() if isinstance(groups, dict) else ():
        reader.groups.append(str(group))
        for text in _strings(items):  # {include-group = ...} entries are listed on their own
            reader.declare(text, f"group {group}", "pyproject.toml [dependency-groups]")
    _poetry(reader, data)
    return data


def _poetry(reader: _Reader, data: Mapping[str, Any]) -> None:
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


def _setup_cfg(reader: _Reader) -> None:
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
        for line in _lines(parser.get("options", "install_requires", fallback="")):
            reader.declare(line, RUNTIME, "setup.cfg [options] install_requires")
        if parser.has_option("options", "tests_require"):
            for line in _lines(parser.get("options", "tests_require")):
                reader.declare(line, "extra test", "setup.cfg [options] tests_require")
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            reader.extras.append(extra)
            for line in _lines(value):
                reader.declare(line, f"extra {extra}", "setup.cfg [options.extras_require]")
    if parser.has_section("tool:pytest"):
        reader.tests.append(("python -m pytest -q", "setup.cfg [tool:pytest]"))


def _pipfile(reader: _Reader) -> None:
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


def _python_version_file(reader: _Reader) -> None:
    text = reader.text(".python-version")
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reader.python(line, ".python-version")
            return
    runtime = reader.text("runtime.txt")  # Heroku and friends: python-3.11.6
    if runtime and runtime.strip():
        reader.python(runtime.strip().splitlines()[0], "runtime.txt")


# --- locks and pins ----------------------------------------------------------------------------


def _uv_lock(reader: _Reader) -> None:
    data = reader.toml("uv.lock")
    if data is None:
        return
    for package in _tables(data.get("package")):
        source = package.get("source")
        if isinstance(source, dict) and "." in (source.get("virtual"), source.get("editable")):
            continue  # the project itself
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            reader.pin(name, version, "uv.lock")


def _poetry_lock(reader: _Reader) -> None:
    data = reader.toml("poetry.lock")
    if data is None:
        return
    for package in _tables(data.get("package")):
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            reader.pin(name, version, "poetry.lock")


def _pipfile_lock(reader: _Reader) -> None:
    text = reader.text("Pipfile.lock")
    if text is None:
        return
    try:
        data = json.loads(text)
    except ValueError:
        reader.problems.append("Pipfile.lock: not JSON")
        return
    if not isinstance(data, dict):
        return
    meta = data.get("_meta")
    requires = meta.get("requires") if isinstance(meta, dict) else None
    if isinstance(requires, dict) and isinstance(requires.get("python_version"), str):
        reader.python(requires["python_version"], "Pipfile.lock _meta.requires.python_version")
    for section in ("default", "develop"):
        table = data.get(section)
        for name, entry in table.items() if isinstance(table, dict) else ():
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                reader.pin(name, version[2:], "Pipfile.lock")


def _requirements(reader: _Reader, *, declare: bool) -> None:
    """``==`` pins of the runtime requirements files; for a project that declares nothing
    else, their direct requirements (pip-compile's ``# via -r ...`` marks them) too."""
    inputs = {}
    for name in ("requirements.in", "requirements/base.in"):
        text = reader.text(name)
        if text is not None:
            inputs[name] = text
    for name in RUNTIME_REQUIREMENTS:
        text = reader.text(name)
        if text is None:
            continue
        entries = list(requirement_lines(text))
        annotated = any(via is not None for _, via in entries)
        for line, via in entries:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            pinned = [s for s in requirement.specifier if s.operator in ("==", "===")]
            if len(pinned) == 1 and "*" not in pinned[0].version:
                reader.pin(requirement.name, pinned[0].version, name)
            direct = not annotated or any(_is_direct(source) for source in via or ())
            if declare and direct and not inputs:
                reader.declare(line, RUNTIME, name)
    for name, text in inputs.items():
        if declare:
            for line, _ in requirement_lines(text):
                reader.declare(line, RUNTIME, name)


def _is_direct(source: str) -> bool:
    """Whether a pip-compile ``# via`` source is an input file or the project itself."""
    return source.startswith(("-r", "-c")) or any(
        marker in source for marker in ("pyproject.toml", "setup.cfg", "setup.py", ".in")
    )


def requirement_lines(text: str) -> Iterator[tuple[str, list[str] | None]]:
    """(requirement, via sources or None) of a pip requirements file: continuations
    joined, ``--hash`` and other options dropped, pip-compile's ``# via`` annotations
    (one line, or a ``# via`` line followed by ``#   source`` lines) gathered."""
    current: list[str] | None = None
    pending: str | None = None
    buffer = ""
    for raw in text.splitlines():
        via = _VIA.match(raw)
        if via and pending is not None:
            current = [via.group(1).strip()] if via.group(1).strip() else []
            continue
        more = _VIA_MORE.match(raw)
        if more and current is not None:
            current.append(more.group(1).strip())
            continue
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if buffer or line.endswith("\\"):
            buffer += line.rstrip("\\") + " "
            if line.endswith("\\"):
                continue
            line, buffer = buffer.strip(), ""
        line = re.sub(r"\s--hash[=\s]\S+", "", " " + line).strip()
        if not line:
            continue
        if pending is not None:
            yield pending, current
        pending, current = None, None
        if line.startswith("-"):
            continue
        pending = line
    if pending is not None:
        yield pending, current


# --- tox, nox, CI, pytest ------------------------------------------------------------------------


def _tox(reader: _Reader, pyproject: Mapping[str, Any]) -> None:
    text = reader.text("tox.ini")
    source = "tox.ini"
    if text is None:
        tool = pyproject.get("tool")
        tox = tool.get("tox") if isinstance(tool, dict) else None
        legacy = tox.get("legacy_tox_ini") if isinstance(tox, dict) else None
        if not isinstance(legacy, str):
            return
        text, source = legacy, "pyproject.toml [tool.tox] legacy_tox_ini"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        reader.problems.append(f"{source}: {str(exc).splitlines()[0]}")
        return
    envlist = parser.get("tox", "envlist", fallback="")
    for env in _expand_braces(envlist):
        for factor in env.split("-"):
            match = _TOX_ENV.match(factor.strip())
            if match:
                reader.python(f"{match.group(1)}.{match.group(2)}", f"{source} envlist")
    if parser.has_section("testenv"):
        commands = [line for line in _lines(parser.get("testenv", "commands", fallback=""))]
        for command in commands:
            normal = _pytest_command(command)
            if normal:
                reader.tests.append((normal, f"{source} [testenv] commands"))
                break
        for line in _lines(parser.get("testenv", "deps", fallback="")):
            if not line.startswith("-") and line not in (".", "-e ."):
                reader.tox_deps.append(line)


def _expand_braces(text: str) -> list[str]:
    """tox's ``py3{9,10,11}-django{42,50}`` and comma/newline lists, expanded."""
    found: list[str] = []
    for item in re.split(r",(?![^{]*\})|\n", text):
        item = item.strip()
        if not item:
            continue
        match = re.search(r"\{([^}]*)\}", item)
        if match:
            for choice in match.group(1).split(","):
                found += _expand_braces(
                    item[: match.start()] + choice.strip() + item[match.end() :]
                )
        else:
            found.append(item)
    return found


def _pytest_command(command: str) -> str | None:
    """A test command that runs pytest, as a cell runs it (``python -m pytest ...``);
    tox's ``{posargs}`` and ``{toxinidir}``-style substitutions removed."""
    words = re.sub(r"\{[^}]*\}", "", command).split()
    if not words:
        return None
    if words[0] in ("pytest", "py.test"):
        return " ".join(["python", "-m", "pytest", *words[1:]])
    if words[:3] == ["python", "-m", "pytest"] or words[:3] == ["python3", "-m", "pytest"]:
        return " ".join(["python", "-m", "pytest", *words[3:]])
    return None


def _noxfile(reader: _Reader) -> None:
    text = reader.text("noxfile.py")
    if text is None:
        return
    for match in re.finditer(r"python\s*=\s*(\[[^\]]*\]|\(.*?\)|['\"][^'\"]+['\"])", text):
        for version in re.findall(r"['\"](3\.\d{1,2})['\"]", match.group(1)):
            reader.python(version, "noxfile.py")
    run = re.search(r"session\.run\(\s*['\"](pytest|py\.test)['\"]", text)
    if run:
        reader.tests.append(("python -m pytest", "noxfile.py session.run"))


def _workflows(reader: _Reader) -> None:
    folder = reader.root / ".github" / "workflows"
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    except OSError:
        return
    versions: dict[str, str] = {}
    for path in paths[:MAX_WORKFLOWS]:
        relative = str(path.relative_to(reader.root))
        text = reader.text(relative)
        if text is None:
            continue
        try:  # BaseLoader: every scalar is text, so 3.10 stays 3.10
            data = yaml.load(text, Loader=yaml.BaseLoader)
        except yaml.YAMLError:
            reader.problems.append(f"{relative}: invalid YAML")
            continue
        for value in _values_of(data, "python-version"):
            version = python_version(value)
            if version:
                versions.setdefault(version, relative)
        for value in _values_of(data, "run"):
            command = next(
                (_pytest_command(line) for line in value.splitlines() if "pytest" in line), None
            )
            if command and "-m pytest" in command:
                reader.tests.append((command, f"{relative} run"))
    for version in sorted(versions, key=_version_key):  # the oldest CI tests is in use
        reader.python(version, f"{versions[version]} python-version")


def _values_of(data: object, key: str) -> Iterator[str]:
    """Every text value (or item of a list value) under ``key``, anywhere in ``data``."""
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key:
                if isinstance(value, str):
                    yield value
                elif isinstance(value, list):
                    yield from (item for item in value if isinstance(item, str))
            else:
                yield from _values_of(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from _values_of(item, key)


def _pytest_config(reader: _Reader, pyproject: Mapping[str, Any]) -> None:
    tool = pyproject.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("pytest"), dict):
        reader.tests.append(("python -m pytest -q", "pyproject.toml [tool.pytest]"))
    for name in ("pytest.ini", "conftest.py", "tests/conftest.py"):
        if (reader.root / name).is_file():
            reader.tests.append(("python -m pytest -q", name))
    if (reader.root / "tests").is_dir() or (reader.root / "test").is_dir():
        reader.tests.append(
            ("python -m pytest -q", "a tests/ folder (pytest runs unittest suites too)")
        )


# --- small helpers ------------------------------------------------------------------------------


def python_version(text: str) -> str | None:
    """``"3.11"`` from ``3.11``, ``3.11.4``, ``python-3.11.6``, ``py311``, ``cpython-3.12``;
    None for anything else (``pypy3.10``, ``${{ matrix.python }}``, ``3.x``)."""
    text = text.strip().strip("'\"")
    if text.lower().startswith("pypy"):
        return None
    match = _PY.match(text)
    if match is None:
        return None
    return f"{match.group(1)}.{int(match.group(2))}"


def _lowest_python(requires: str) -> str | None:
    """The lowest 3.X a requires-python allows (3.0 to 3.30 are tried)."""
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        return None
    for minor in range(0, 31):
        if spec.contains(f"3.{minor}.0", prereleases=True) or spec.contains(
            f"3.{minor}.99", prereleases=True
        ):
            return f"3.{minor}"
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _tables(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _lines(value: str) -> list[str]:
    lines = []
    for line in value.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            lines.append(line)
    return lines


def _unique(items: Iterable[Declared]) -> list[Declared]:
    seen: set[tuple[str, str]] = set()
    found = []
    for item in items:
        if (item.name, item.kind) not in seen:
            seen.add((item.name, item.kind))
            found.append(item)
    return found
