"""Reading and validating matrix files (schema version 1) into a ``Matrix``.

This is the only place YAML enters oxzep7. Loading is safe (a ``yaml.SafeLoader``
subclass that never builds arbitrary objects) and remembers where every key and
value was written, so each problem becomes a one-line ``ConfigError`` naming the
file, the line and the dotted key (``axes.click[1]``, ``run.jobs``). Validation is
one small function per section of the file.

An axis value is a version, a specifier set, or a ``selectors.Selector`` (written as a
mapping ``{range: ">=4.2,<6", pick: latest-per-minor}``, alone or as a list item):
``Matrix.axes`` then holds the Selector object itself, and ``resolve`` turns it into
versions. Plain lists load exactly as they always did.

``resources/matrix.schema.json`` describes the same format for editors; a unit
test keeps its property names equal to the key sets below.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from orchestrator.errors import ConfigError
from orchestrator.models import Matrix, Project, RunOptions
from orchestrator.plan import interpreters, selectors, testdeps, versions
from orchestrator.plan.selectors import Selector

# The keys each level of a matrix file accepts (dependency axes are free-form).
TOP_KEYS = (
    "name",
    "project",
    "baseline",
    "axes",
    "constraints",
    "exclude",
    "include",
    "image",
    "run",
    "index",
)
TOP_REQUIRED = ("name", "project", "axes")
PROJECT_KEYS = (
    "path",
    "install",
    "test",
    "deps",
    "dependency_groups",
    "requirements",
    "env",
    "system_packages",
)
IMAGE_KEYS = ("family",)
RUN_KEYS = ("jobs", "timeout", "network", "memory", "cpus", "retries", "priority")
SELECTOR_KEYS = ("range", "pick", "prereleases")
SELECTOR_REQUIRED = ("pick",)
# What an axis holds: a value as written, or a selector that ``resolve`` expands.
AxisValue = str | Selector

PYTHON_AXIS = "python"
DEFAULT_FAMILY = "debian"

# Docker's --memory syntax: a number of bytes with an optional k/m/g unit.
_MEMORY = re.compile(r"(\d+)[kmg]?", re.IGNORECASE)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_KINDS: dict[type, str] = {
    bool: "boolean",
    int: "number",
    float: "number",
    datetime.date: "date",
    datetime.datetime: "timestamp",
    bytes: "binary value",
}


def load_matrix(path: str | Path) -> Matrix:
    """Read and validate a matrix file.

    Every problem raises ``ConfigError`` (exit code 2) naming the file, the 1-based
    line and the dotted key; a file of any shape never produces a traceback.
    """
    source = Path(path)
    try:
        return _matrix(_read(source), source.resolve())
    except _Invalid as problem:
        raise ConfigError(
            problem.message, path=source, line=problem.line, key=problem.key
        ) from None


# --- Problems and located values ---------------------------------------------------------


class _Invalid(Exception):
    """One problem in the file; ``load_matrix`` adds the file name and raises ConfigError."""

    def __init__(self, message: str, line: int | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.key = key or None


@dataclass(frozen=True)
class _Field:
    """One value from the file, with the dotted key and the lines that errors cite."""

    value: Any
    key: str  # dotted path, "" for the whole document
    line: int  # where the value starts
    text: str | None = None  # a scalar as written: YAML turns an unquoted 3.10 into 3.1
    key_line: int | None = None  # where its key is, when it has one

    def fail(self, message: str) -> NoReturn:
        raise _Invalid(message, self.line, self.key)

    def fail_key(self, message: str) -> NoReturn:
        raise _Invalid(message, self.key_line or self.line, self.key)


def _child(parent: str, key: object) -> str:
    """The dotted path of ``key`` under ``parent``; odd keys are quoted to keep it one line."""
    part = key if isinstance(key, str) and key.isprintable() else repr(key)
    return f"{parent}.{part}" if parent else part


def _wrong_type(field: _Field, expected: str) -> NoReturn:
    """Fail naming what was expected and what YAML made of the value."""
    value = field.value
    if value is None:
        got = "nothing (null)"
    elif isinstance(value, dict):
        got = "a mapping"
    elif isinstance(value, list):
        got = "a list"
    elif isinstance(value, str):
        got = f"the string {value!r}"
    else:
        text = field.text if field.text is not None else str(value)
        got = f"the {_SCALAR_KINDS.get(type(value), type(value).__name__)} {text}"
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        if shown != text:
            got += f" (YAML reads it as {shown})"
        if expected.startswith("a string"):
            got += f'; quote it: "{text}"'
    field.fail(f"expected {expected}, got {got}")


# --- Safe YAML loading that remembers lines ------------------------------------------------


@dataclass(frozen=True)
class _Spot:
    """Where a node was written, and its source text when it is a scalar."""

    line: int
    text: str | None


def _spot(node: yaml.Node) -> _Spot:
    text = node.value if isinstance(node, yaml.ScalarNode) else None
    return _Spot(node.start_mark.line + 1, text)


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers where each key and value was written."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_spots: dict[Any, _Spot] = {}
        self.value_spots: dict[Any, _Spot] = {}
        # (key, line, line of its first use): reported by validation, which knows the
        # dotted key path; the loader does not.
        self.duplicates: list[tuple[Any, int, int]] = []


class _Seq(list[Any]):
    """A YAML sequence that remembers where each item was written."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.spots: list[_Spot] = []


_Pair = tuple[yaml.Node, yaml.Node]


class _Loader(yaml.SafeLoader):
    """A SafeLoader building ``_Map`` and ``_Seq`` and recording duplicate keys."""

    def construct_located_map(self, node: yaml.MappingNode) -> Iterator[_Map]:
        data = _Map(_spot(node).line)
        yield data  # hand the object out first so aliases to this node resolve to it
        merged, written = self._pairs(node)
        for key_node, value_node in merged:
            self._put(data, key_node, value_node)
        first: dict[Any, int] = {}
        for key_node, value_node in written:  # after the merged ones: written keys win
            key = self._put(data, key_node, value_node)
            line = _spot(key_node).line
            if key in first:
                data.duplicates.append((key, line, first[key]))
            first.setdefault(key, line)

    def construct_located_seq(self, node: yaml.SequenceNode) -> Iterator[_Seq]:
        data = _Seq(_spot(node).line)
        yield data
        for item in node.value:
            data.append(self.construct_object(item))
            data.spots.append(_spot(item))

    def construct_unsupported(self, node: yaml.Node) -> NoReturn:
        raise _yaml_error(f"the tag {node.tag!r} is not supported in matrix files", node)

    def _pairs(self, node: yaml.MappingNode) -> tuple[list[_Pair], list[_Pair]]:
        """The pairs ``<<`` merges bring in (weakest first) and the pairs written out.

        pyyaml's own flatten_mapping rewrites nodes in place, which would make
        merged keys look like duplicates; this expands merges without that.
        """
        merged: list[_Pair] = []
        written: list[_Pair] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                written.append((key_node, value_node))
                continue
            many = isinstance(value_node, yaml.SequenceNode)
            sources = value_node.value if many else [value_node]
            for source in reversed(sources):  # the first mapping listed wins, so it goes last
                if not isinstance(source, yaml.MappingNode):
                    raise _yaml_error("'<<' needs a mapping or a list of mappings", source)
                inner_merged, inner_written = self._pairs(source)
                merged += inner_merged + inner_written
        return merged, written

    def _put(self, data: _Map, key_node: yaml.Node, value_node: yaml.Node) -> Any:
        key = self.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise _yaml_error(
                "a key must be a plain value, not a list or mapping", key_node
            ) from None
        data[key] = self.construct_object(value_node)
        data.key_spots[key] = _spot(key_node)
        data.value_spots[key] = _spot(value_node)
        return key


def _yaml_error(problem: str, node: yaml.Node) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_located_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_located_seq)
for _tag in ("omap", "pairs", "set"):  # they build plain lists/sets without line numbers
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_unsupported)


def _read(source: Path) -> _Field:
    """The whole document as a field; file and YAML problems become ``_Invalid``."""
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise _Invalid("matrix file not found") from None
    except IsADirectoryError:
        raise _Invalid("is a directory, not a matrix file") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise _Invalid(f"cannot read the matrix file: {reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid("the file is not UTF-8 text", raw[: exc.start].count(b"\n") + 1) from None
    data = _parse_yaml(text)
    if data is None:
        raise _Invalid("the file is empty; expected a mapping with name, project, baseline, axes")
    line = data.line if isinstance(data, (_Map, _Seq)) else 1
    return _Field(data, "", line, key_line=line)


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = str(exc.problem or exc.context or exc)
        if exc.context and problem.startswith("but "):  # "expected a single document ..."
            problem = f"{exc.context}, {problem}"
        problem = " ".join(problem.split())
        raise _Invalid(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        problem = f"{exc.reason} (character #x{exc.character:04x})"
        raise _Invalid(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise _Invalid(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # e.g. a mapping that merges itself
        raise _Invalid("invalid YAML: nested too deeply (or an alias refers to itself)") from None


# --- Shapes --------------------------------------------------------------------------------


def _entries(field: _Field) -> dict[str, _Field]:
    """A mapping's entries as fields, once its keys are known to be unique strings."""
    data = field.value
    if not isinstance(data, _Map):
        _wrong_type(field, "a mapping")
    for key, line, first in data.duplicates:
        message = f"duplicate key {key!r} (first given on line {first})"
        raise _Invalid(message, line, _child(field.key, key))
    entries: dict[str, _Field] = {}
    for key, value in data.items():
        at, spot = data.key_spots[key], data.value_spots[key]
        if not isinstance(key, str):  # e.g. an unquoted 3.13 as include key
            where = _child(field.key, at.text) if at.text else field.key  # null: no text
            _wrong_type(_Field(key, where, at.line, at.text), "a string key")
        entries[key] = _Field(value, _child(field.key, key), spot.line, spot.text, at.line)
    return entries


def _mapping(
    field: _Field, allowed: Sequence[str], required: Sequence[str] = ()
) -> dict[str, _Field]:
    """A mapping's entries, rejecting unknown keys (with a suggestion) and missing ones."""
    entries = _entries(field)
    for key, entry in entries.items():
        if key not in allowed:
            entry.fail_key(_unknown(key, allowed, "valid keys"))
    _require(field, entries, required)
    return entries


def _unknown(key: str, allowed: Sequence[str], listing: str) -> str:
    return f"unknown key {key!r} ({_suggest(key, allowed, listing)})"


def _suggest(word: str, choices: Sequence[str], listing: str) -> str:
    """'did you mean ...?' for a near miss, else the list of choices."""
    close = difflib.get_close_matches(word.lower(), choices, n=1)
    return f"did you mean {close[0]!r}?" if close else f"{listing}: {', '.join(choices)}"


def _require(field: _Field, present: Collection[str], required: Sequence[str]) -> None:
    for key in required:
        if key not in present:
            # A close key that was accepted (a dependency axis 'pyhton') is likely the typo.
            close = difflib.get_close_matches(key, list(present), n=1)
            hint = f" (did you misspell it as {close[0]!r}?)" if close else ""
            line = field.key_line or field.line
            raise _Invalid(f"required key missing{hint}", line, _child(field.key, key))


def _items(field: _Field | None) -> list[_Field]:
    """A list's items as fields (an absent optional list is empty)."""
    if field is None:
        return []
    data = field.value
    if not isinstance(data, _Seq):
        _wrong_type(field, "a list")
    return [
        _Field(value, f"{field.key}[{index}]", spot.line, spot.text, spot.line)
        for index, (value, spot) in enumerate(zip(data, data.spots, strict=True))
    ]


def _string(field: _Field) -> str:
    """A non-empty, single-line, printable string, stripped: values reach Dockerfiles."""
    if not isinstance(field.value, str):
        _wrong_type(field, "a string")
    text = field.value.strip()
    if not text:
        field.fail("must not be empty")
    bad = next((char for char in text if not char.isprintable()), None)
    if bad is not None:
        field.fail(f"must be one line of printable text (found {bad!r})")
    return text


def _count(field: _Field, minimum: int = 1) -> int:
    value = field.value
    if isinstance(value, bool) or not isinstance(value, int):
        _wrong_type(field, "a whole number")
    if value < minimum:
        field.fail(f"must be at least {minimum}, got {value}")
    return value


def _boolean(field: _Field) -> bool:
    if not isinstance(field.value, bool):
        _wrong_type(field, "true or false")
    return field.value


def _cpus(field: _Field) -> float:
    value = field.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _wrong_type(field, "a number")
    if not (math.isfinite(value) and value > 0):
        field.fail(f"must be a number above 0, got {field.text or value}")
    return float(value)


def _memory(field: _Field) -> str:
    text = _string(field)
    match = _MEMORY.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        field.fail(f"expected a memory size like '512m' or '2g', got {text!r}")
    return text


# --- Values --------------------------------------------------------------------------------


def _checked(field: _Field, check: Callable[[str], object]) -> str:
    """A string that ``check`` (a versions.* parser) accepts, as written."""
    text = _string(field)
    try:
        check(text)
    except versions.BadValue as exc:
        field.fail(str(exc))
    return text


def _python(field: _Field, family: str) -> str:
    """An interpreter version that the image family can provide."""
    version = _checked(field, versions.python_version)
    if interpreters.lookup(family, version) is None:
        available = ", ".join(interpreters.available(family))
        field.fail(
            f"Python {version} is not available in image family {family!r} (available: {available})"
        )
    return version


def _dependency(field: _Field) -> str:
    """A dependency axis value: a version or a specifier set."""
    return _checked(field, versions.specifier)


def _selector(field: _Field) -> Selector:
    """``{range: ">=4.2,<6", pick: latest-per-minor, prereleases: false}``."""
    entries = _mapping(field, SELECTOR_KEYS, SELECTOR_REQUIRED)
    pick = _string(entries["pick"])
    try:
        selectors.check_pick(pick)
    except selectors.UnknownPick as exc:
        hint = _suggest(pick, [*selectors.PICKS, selectors.NEWEST], "valid picks")
        entries["pick"].fail(f"{exc} ({hint})")
    except selectors.BadPick as exc:  # newest-0
        entries["pick"].fail(str(exc))
    scope = _checked(entries["range"], versions.specifier) if "range" in entries else ""
    pre = _boolean(entries["prereleases"]) if "prereleases" in entries else False
    return Selector(pick=pick, range=scope, prereleases=pre)


def _python_selector(field: _Field, family: str) -> Selector:
    """A selector over the interpreters the image family provides; it must choose one."""
    selector = _selector(field)
    available = interpreters.available(family)
    if not selectors.select(selector, available):
        field.fail(
            f"{selector} selects no interpreter of image family {family!r} "
            f"(available: {', '.join(available)})"
        )
    return selector


def _same_dependency(value: str) -> str:
    # "8.1.8" and "==8.1.8" are one value (and would get the same cell id).
    return str(versions.specifier(value))


def _requirement(field: _Field) -> str:
    """A constraint: a PEP 508 requirement (markers allowed, URLs not)."""
    text = _string(field)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        field.fail(f"not a valid requirement: {str(exc).splitlines()[0]}")
    if requirement.url:
        field.fail(f"{text!r} is a URL requirement; constraints must name versions")
    return text


def _install(field: _Field) -> str:
    """The pip target inside the project: '.' or '.[extra,...]'."""
    text = _string(field)
    if not versions.INSTALL_TARGET.fullmatch(text):
        field.fail(f"expected '.' or '.[extra,...]' (the project and its extras), got {text!r}")
    return text


def _distribution(text: str) -> str | None:
    """The PEP 503 form of a distribution name, or None when ``text`` is not one."""
    try:
        return versions.normalize_name(text)
    except versions.BadValue:
        return None


def _directory(field: _Field, base: Path) -> Path:
    """The project directory, resolved against the matrix file's directory."""
    text = _string(field)
    try:
        path = (base / text).resolve()
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:  # permissions, symlink loops, NUL bytes
        field.fail(f"cannot use project path {text!r}: {exc}")
    if not exists:
        field.fail(f"project directory not found: {path}")
    if not is_dir:
        field.fail(f"project path is not a directory: {path}")
    return path


# --- Sections ------------------------------------------------------------------------------


def _matrix(top: _Field, source: Path) -> Matrix:
    """The whole file; ``image`` goes first because Python values depend on the family."""
    if not isinstance(top.value, _Map):
        _wrong_type(top, "a mapping at the top level (name, project, baseline, axes, ...)")
    entries = _mapping(top, TOP_KEYS, TOP_REQUIRED)
    family = _family(entries.get("image"))
    axes = _axes(entries["axes"], family)
    return Matrix(
        name=_string(entries["name"]),
        source=source,
        project=_project(entries["project"], source.parent),
        axes=axes,
        baseline=_baseline(entries.get("baseline"), axes, family),
        constraints=tuple(_requirement(item) for item in _items(entries.get("constraints"))),
        include=tuple(_axis_map(item, axes, family) for item in _items(entries.get("include"))),
        exclude=tuple(_axis_map(item, axes, family) for item in _items(entries.get("exclude"))),
        image_family=family,
        run=_run(entries.get("run"), axes),
        index=_index(entries.get("index")),
    )


def _project(field: _Field, base: Path) -> Project:
    entries = _mapping(field, PROJECT_KEYS, ("path",))
    path = _directory(entries["path"], base)
    options = {key: _PROJECT_OPTIONS[key](entry) for key, entry in entries.items() if key != "path"}
    project = Project(path, **options)
    try:  # the files named must exist and parse now, not in the middle of a run
        testdeps.test_requirements(project)
    except testdeps.ProjectFileError as exc:
        culprit = entries.get("requirements") or entries.get("dependency_groups") or field
        culprit.fail(str(exc))
    return project


def _env(field: _Field) -> dict[str, str]:
    """Environment variables: names as a shell knows them, values one printable line
    (numbers and booleans as YAML wrote them, since environments hold text)."""
    env: dict[str, str] = {}
    for name, entry in _entries(field).items():
        if not _ENV_NAME.fullmatch(name):
            entry.fail_key(f"{name!r} is not an environment variable name")
        if isinstance(entry.value, (bool, int, float)) and entry.text:
            entry = replace(entry, value=entry.text)
        env[name] = _string(entry)
    return env


def _debian_package(field: _Field) -> str:
    text = _string(field)
    if not _DEBIAN_PACKAGE.fullmatch(text):
        field.fail(f"{text!r} is not a Debian package name")
    return text


def _strings(parse: Callable[[_Field], str]) -> Callable[[_Field], tuple[str, ...]]:
    """A list option whose items ``parse`` checks, duplicates dropped."""
    return lambda field: tuple(dict.fromkeys(parse(item) for item in _items(field)))


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?")
_GROUP_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_PROJECT_OPTIONS: dict[str, Callable[[_Field], Any]] = {
    "install": _install,
    "test": _string,
    "deps": _strings(_requirement),
    "dependency_groups": _strings(lambda item: _matching(item, _GROUP_NAME, "a group name")),
    "requirements": _strings(_string),
    "env": _env,
    "system_packages": _strings(_debian_package),
}


def _matching(field: _Field, pattern: re.Pattern[str], what: str) -> str:
    text = _string(field)
    if not pattern.fullmatch(text):
        field.fail(f"{text!r} is not {what}")
    return text


def _family(field: _Field | None) -> str:
    """The image family (``image.family``), which decides the available interpreters."""
    entries = _mapping(field, IMAGE_KEYS) if field is not None else {}
    if "family" not in entries:
        return DEFAULT_FAMILY
    family = _string(entries["family"])
    if family not in interpreters.FAMILIES:
        hint = _suggest(family, interpreters.FAMILIES, "choose from")
        entries["family"].fail(f"unknown image family {family!r} ({hint})")
    return family


def _run(field: _Field | None, axes: Collection[str]) -> RunOptions:
    entries = _mapping(field, RUN_KEYS) if field is not None else {}
    options = {k: _RUN_OPTIONS[k](entry) for k, entry in entries.items() if k != "priority"}
    if "priority" in entries:  # the one option that needs to know the axes
        options["priority"] = _priority(entries["priority"], axes)
    return RunOptions(**options)


def _priority(field: _Field, axes: Collection[str]) -> tuple[str, ...]:
    """``run.priority``: distinct axis names (normalized like the axes), most significant first."""
    names: list[str] = []
    for item in _items(field):
        text = _string(item)
        name = text if text == PYTHON_AXIS else _distribution(text) or text
        if name not in axes:
            item.fail(f"unknown axis {text!r} ({_suggest(text, list(axes), 'axes are')})")
        if name in names:
            item.fail(f"{text!r} is listed twice")
        names.append(name)
    return tuple(names)


def _index(field: _Field | None) -> str | None:
    """The package index to resolve selectors against: an http(s) URL (PEP 691 JSON API)."""
    if field is None:
        return None
    text = _string(field)
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        field.fail(f"expected an http(s) URL such as 'https://pypi.org/simple/', got {text!r}")
    return text


_RUN_OPTIONS: dict[str, Callable[[_Field], Any]] = {
    "jobs": _count,
    "timeout": _count,
    "network": _boolean,
    "memory": _memory,
    "cpus": _cpus,
    "retries": lambda field: _count(field, minimum=0),
}


def _axes(field: _Field, family: str) -> dict[str, tuple[AxisValue, ...]]:
    """The axes: ``python`` first, then one per distribution (normalized) in file order."""
    entries = _entries(field)
    _require(field, entries, (PYTHON_AXIS,))
    python = _values(
        entries[PYTHON_AXIS],
        lambda item: _python(item, family),
        str,
        lambda item: _python_selector(item, family),
    )
    axes = {PYTHON_AXIS: python}
    written = {PYTHON_AXIS: PYTHON_AXIS}  # normalized name -> key as written
    for key, entry in entries.items():
        if key == PYTHON_AXIS:
            continue
        name = _distribution(key)
        if name is None:
            entry.fail_key(f"{key!r} is not a distribution name (axes other than python are)")
        if name in written:
            entry.fail_key(f"{key!r} names the same axis as {written[name]!r}")
        written[name] = key
        axes[name] = _values(entry, _dependency, _same_dependency, _selector)
    return axes


def _values(
    field: _Field,
    parse: Callable[[_Field], str],
    identity: Callable[[str], str],
    select: Callable[[_Field], Selector],
) -> tuple[AxisValue, ...]:
    """One axis: a selector mapping, or a non-empty list of distinct values and selectors."""
    if isinstance(field.value, _Map):
        return (select(field),)
    items = _items(field)
    if not items:
        field.fail("an axis needs at least one value")
    values: list[AxisValue] = []
    seen: dict[AxisValue, str] = {}  # identity -> key of the item that had it first
    for item in items:
        value = select(item) if isinstance(item.value, _Map) else parse(item)
        same = identity(value) if isinstance(value, str) else value
        if same in seen:
            shown = repr(value) if isinstance(value, str) else f"'{value}'"
            item.fail(f"duplicate value {shown} (same as {seen[same]})")
        seen[same] = item.key
        values.append(value)
    return tuple(values)


def _baseline(field: _Field | None, axes: Collection[str], family: str) -> dict[str, str]:
    """The baseline as written; the planner completes the axes it leaves out (with each
    axis's lowest value), so it may be partial, empty or absent."""
    if field is None or (isinstance(field.value, _Map) and not field.value):
        return {}
    return _axis_map(field, axes, family)


def _axis_map(
    field: _Field, axes: Collection[str], family: str, required: Sequence[str] = ()
) -> dict[str, str]:
    """A baseline, include or exclude entry: axis -> value, keys normalized, in axis order."""
    entries = _entries(field)
    if not entries and not required:  # a baseline says what is missing below
        field.fail("an entry needs at least one axis: value")
    values: dict[str, str] = {}
    written: dict[str, str] = {}  # normalized name -> key as written
    for key, entry in entries.items():
        name = _distribution(key) or key
        if name not in axes:
            entry.fail_key(_unknown(key, list(axes), "not an axis; axes are"))
        if name in written:
            entry.fail_key(f"{key!r} names the same axis as {written[name]!r}")
        written[name] = key
        values[name] = _python(entry, family) if name == PYTHON_AXIS else _dependency(entry)
    _require(field, values, required)
    return {name: values[name] for name in axes if name in values}
