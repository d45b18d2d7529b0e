"""How the project runs: the interpreters named by ``.python-version``, runtime.txt,
tox's envlist, the noxfile, CI workflows' ``python-version`` and requires-python's
lower bound; the test command from tox's commands, the noxfile, CI workflows' ``run``
steps and pytest configuration.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from orchestrator.assess.reader import Reader, lines, python_version

MAX_WORKFLOWS = 50
_TOX_ENV = re.compile(r"^py(3)(\d{1,2})$")


def python_version_file(reader: Reader) -> None:
    text = reader.text(".python-version")
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reader.python(line, ".python-version")
            return
    runtime = reader.text("runtime.txt")  # Heroku and friends: python-3.11.6
    if runtime and runtime.strip():
        reader.python(runtime.strip().splitlines()[0], "runtime.txt")


def tox(reader: Reader, pyproject: Mapping[str, Any]) -> None:
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
        commands = [line for line in lines(parser.get("testenv", "commands", fallback=""))]
        for command in commands:
            normal = _pytest_command(command)
            if normal:
                reader.tests.append((normal, f"{source} [testenv] commands"))
                break
        for line in lines(parser.get("testenv", "deps", fallback="")):
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


def noxfile(reader: Reader) -> None:
    text = reader.text("noxfile.py")
    if text is None:
        return
    for match in re.finditer(r"python\s*=\s*(\[[^\]]*\]|\(.*?\)|['\"][^'\"]+['\"])", text):
        for version in re.findall(r"['\"](3\.\d{1,2})['\"]", match.group(1)):
            reader.python(version, "noxfile.py")
    run = re.search(r"session\.run\(\s*['\"](pytest|py\.test)['\"]", text)
    if run:
        reader.tests.append(("python -m pytest", "noxfile.py session.run"))


def workflows(reader: Reader) -> None:
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


def pytest_config(reader: Reader, pyproject: Mapping[str, Any]) -> None:
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


def lowest_python(requires: str) -> str | None:
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
