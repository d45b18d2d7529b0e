"""Matrix files (schema version 1): their sections, validated into a ``Matrix``.

``yamlfile`` reads the file (safely, within limits, remembering lines); each section
here is one small function over ``fields.Field`` values, and each problem becomes a
one-line ``ConfigError`` naming the file, the line and the dotted key (``axes.click[1]``,
``run.jobs``). ``planfile`` validates a recorded plan.json with the same functions.

An axis value is a version, a specifier set, or a ``selectors.Selector`` (written as a
mapping ``{range: ">=4.2,<6", pick: latest-per-minor}``, alone or as a list item):
``Matrix.axes`` then holds the Selector object itself, and ``resolve`` turns it into
versions. ``Matrix.lines`` keeps the line of every section, axis value and entry, so the
planner's own errors (a version not on the index) cite the line too.

``resources/matrix.schema.json`` describes the same format for editors; a unit
test keeps its property names equal to the key sets below.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError
from orchestrator.models import Matrix, Project, RunOptions
from orchestrator.plan import fields, interpreters, testdeps, values, yamlfile
from orchestrator.plan.fields import Field, Invalid
from orchestrator.plan.selectors import Selector
from orchestrator.plan.values import SELECTOR_KEYS, SELECTOR_REQUIRED  # noqa: F401 (schema test)

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
RUN_KEYS = (
    "jobs",
    "timeout",
    "network",
    "memory",
    "cpus",
    "retries",
    "priority",
    "max_cells",
    "allow_vulnerable",
    "require_supported",
)
# What an axis holds: a value as written, or a selector that ``resolve`` expands.
AxisValue = str | Selector

PYTHON_AXIS = "python"
DEFAULT_FAMILY = "debian"
MAX_CELLS = 100_000  # the most ``run.max_cells`` may allow (its default is RunOptions')
_ENTRY_SECTIONS = ("axes", "baseline", "include", "exclude")  # keys there are axis names


def load_matrix(path: str | Path) -> Matrix:
    """Read and validate a matrix file.

    Every problem raises ``ConfigError`` (exit code 2) naming the file, the 1-based
    line and the dotted key; a file of any shape never produces a traceback.
    """
    source = Path(path)
    try:
        top = yamlfile.load(source)
        if top is None:
            raise Invalid("the file is empty; expected a mapping with name, project, axes")
        return _matrix(top, source.resolve())
    except Invalid as problem:
        raise ConfigError(
            problem.message, path=source, line=problem.line, key=problem.key
        ) from None


# --- Sections ------------------------------------------------------------------------------


def _matrix(top: Field, source: Path) -> Matrix:
    """The whole file; ``image`` goes first because Python values depend on the family."""
    if not isinstance(top.value, dict):
        fields.wrong_type(top, "a mapping at the top level (name, project, baseline, axes, ...)")
    found = fields.mapping(top, TOP_KEYS, TOP_REQUIRED)
    family = _family(found.get("image"))
    axes = _axes(found["axes"], family)
    entries = [fields.items(found.get(key)) for key in ("include", "exclude")]
    return Matrix(
        name=fields.string(found["name"], limit=200),
        source=source,
        project=project(found["project"], source.parent),
        axes=axes,
        baseline=_baseline(found.get("baseline"), axes, family),
        constraints=tuple(
            values.requirement(item) for item in fields.items(found.get("constraints"))
        ),
        include=tuple(_axis_map(item, axes, family) for item in entries[0]),
        exclude=tuple(_axis_map(item, axes, family) for item in entries[1]),
        image_family=family,
        run=run_options(found.get("run"), axes),
        index=values.index_url(found["index"]) if "index" in found else None,
        lines=_lines(found),
    )


def project(field: Field, base: Path) -> Project:
    """The project section; ``path`` is resolved against ``base``."""
    found = fields.mapping(field, PROJECT_KEYS, ("path",))
    path = values.directory(found["path"], base)
    options = {key: _PROJECT_OPTIONS[key](entry) for key, entry in found.items() if key != "path"}
    result = Project(path, **options)
    try:  # the files named must exist and parse now, not in the middle of a run
        testdeps.test_requirements(result)
    except testdeps.ProjectFileError as exc:
        culprit = found.get("requirements") or found.get("dependency_groups") or field
        culprit.fail(str(exc))
    return result


_PROJECT_OPTIONS: dict[str, Callable[[Field], Any]] = {
    "install": values.install,
    "test": fields.string,
    "deps": fields.strings(values.requirement),
    "dependency_groups": fields.strings(
        lambda item: fields.matching(item, values.GROUP_NAME, "a group name")
    ),
    "requirements": fields.strings(fields.string),
    "env": values.env,
    "system_packages": fields.strings(values.debian_package),
}


def _family(field: Field | None) -> str:
    """The image family (``image.family``), which decides the available interpreters."""
    found = fields.mapping(field, IMAGE_KEYS) if field is not None else {}
    return family_name(found["family"]) if "family" in found else DEFAULT_FAMILY


def family_name(field: Field) -> str:
    family = fields.string(field, limit=100)
    if family not in interpreters.FAMILIES:
        hint = fields.suggest(family, interpreters.FAMILIES, "choose from")
        field.fail(f"unknown image family {family!r} ({hint})")
    return family


def run_options(field: Field | None, axes: Collection[str]) -> RunOptions:
    """The run section; ``axes`` are the names ``priority`` may use."""
    found = fields.mapping(field, RUN_KEYS) if field is not None else {}
    options = {k: _RUN_OPTIONS[k](entry) for k, entry in found.items() if k != "priority"}
    if "priority" in found:  # the one option that needs to know the axes
        options["priority"] = _priority(found["priority"], axes)
    return RunOptions(**options)


_RUN_OPTIONS: dict[str, Callable[[Field], Any]] = {
    "jobs": lambda field: fields.count(field, maximum=1024),
    "timeout": lambda field: fields.count(field, maximum=7 * 24 * 3600),  # a week
    "network": fields.boolean,
    "memory": fields.memory,
    "cpus": lambda field: fields.number(field, maximum=1024),
    "retries": lambda field: fields.count(field, minimum=0, maximum=10),
    "max_cells": lambda field: fields.count(field, maximum=MAX_CELLS),
    "allow_vulnerable": fields.boolean,
    "require_supported": fields.boolean,
}


def _priority(field: Field, axes: Collection[str]) -> tuple[str, ...]:
    """``run.priority``: distinct axis names (normalized like the axes), most significant first."""
    names: list[str] = []
    for item in fields.items(field):
        text = fields.string(item, limit=200)
        name = text if text == PYTHON_AXIS else values.distribution(text) or text
        if name not in axes:
            item.fail(f"unknown axis {text!r} ({fields.suggest(text, list(axes), 'axes are')})")
        if name in names:
            item.fail(f"{text!r} is listed twice")
        names.append(name)
    return tuple(names)


def _axes(field: Field, family: str) -> dict[str, tuple[AxisValue, ...]]:
    """The axes: ``python`` first, then one per distribution (normalized) in file order."""
    found = fields.entries(field)
    fields.require(field, found, (PYTHON_AXIS,))
    python = _values(
        found[PYTHON_AXIS],
        lambda item: values.python(item, family),
        str,
        lambda item: values.python_selector(item, family),
    )
    axes = {PYTHON_AXIS: python}
    written = {PYTHON_AXIS: PYTHON_AXIS}  # normalized name -> key as written
    for key, entry in found.items():
        if key == PYTHON_AXIS:
            continue
        if near_python(key):  # before any index is asked about a distribution 'pyhton'
            entry.fail_key(f"unknown key {key!r} (did you mean {PYTHON_AXIS!r}?)")
        name = values.distribution(key)
        if name is None or len(name) > 100:
            entry.fail_key(f"{key!r} is not a distribution name (axes other than python are)")
        if name in written:
            entry.fail_key(f"{key!r} names the same axis as {written[name]!r}")
        written[name] = key
        axes[name] = _values(entry, values.dependency, values.same_dependency, values.selector)
    return axes


def near_python(key: str) -> bool:
    """Whether axis name ``key`` is most likely 'python' mistyped: one letter off, or its
    letters swapped ('pyhton'). Real distributions one letter away (cython, jython) do
    not start with a p."""
    word = key.lower()
    if word == PYTHON_AXIS or not word.startswith("p"):
        return False
    return sorted(word) == sorted(PYTHON_AXIS) or _distance(word, PYTHON_AXIS) <= 1


def _distance(one: str, other: str) -> int:
    """Levenshtein distance, adjacent swaps counting as one edit."""
    previous, before = list(range(len(other) + 1)), [0] * (len(other) + 1)
    for i, a in enumerate(one, start=1):
        current = [i] + [0] * len(other)
        for j, b in enumerate(other, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == other[j - 2] and one[i - 2] == b:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def _values(
    field: Field,
    parse: Callable[[Field], str],
    identity: Callable[[str], str],
    select: Callable[[Field], Selector],
) -> tuple[AxisValue, ...]:
    """One axis: a selector mapping, or a non-empty list of distinct values and selectors."""
    if isinstance(field.value, dict):
        return (select(field),)
    items = fields.items(field)
    if not items:
        field.fail("an axis needs at least one value")
    found: list[AxisValue] = []
    seen: dict[AxisValue, str] = {}  # identity -> key of the item that had it first
    for item in items:
        value = select(item) if isinstance(item.value, dict) else parse(item)
        same = identity(value) if isinstance(value, str) else value
        if same in seen:
            shown = repr(value) if isinstance(value, str) else f"'{value}'"
            item.fail(f"duplicate value {shown} (same as {seen[same]})")
        seen[same] = item.key
        found.append(value)
    return tuple(found)


def _baseline(field: Field | None, axes: Collection[str], family: str) -> dict[str, str]:
    """The baseline as written; the planner completes the axes it leaves out (with each
    axis's lowest value), so it may be partial, empty or absent."""
    if field is None or (isinstance(field.value, dict) and not field.value):
        return {}
    return _axis_map(field, axes, family)


def _axis_map(field: Field, axes: Collection[str], family: str) -> dict[str, str]:
    """A baseline, include or exclude entry: axis -> value, keys normalized, in axis order."""
    found = fields.entries(field)
    if not found:
        field.fail("an entry needs at least one axis: value")
    chosen: dict[str, str] = {}
    written: dict[str, str] = {}  # normalized name -> key as written
    for key, entry in found.items():
        name = values.distribution(key) or key
        if name not in axes:
            entry.fail_key(fields.unknown(key, list(axes), "not an axis; axes are"))
        if name in written:
            entry.fail_key(f"{key!r} names the same axis as {written[name]!r}")
        written[name] = key
        is_python = name == PYTHON_AXIS
        chosen[name] = values.python(entry, family) if is_python else values.dependency(entry)
    return {name: chosen[name] for name in axes if name in chosen}


# --- Where things were written -------------------------------------------------------------


def _lines(top: Mapping[str, Field]) -> dict[str, int]:
    """The line of every section, entry and value, by dotted key; axis names normalized
    as in the Matrix (``axes.click[1]``, ``include[0].click``)."""
    found: dict[str, int] = {}
    for section, field in top.items():
        for key, entry in _located(section, field, section in _ENTRY_SECTIONS):
            line = entry.key_line or entry.line
            if line is not None:
                found[key] = line
    return found


def _located(key: str, field: Field, axis_names: bool) -> Iterator[tuple[str, Field]]:
    yield key, field
    if isinstance(field.value, dict):
        for name, entry in fields.entries(field).items():
            shown = (values.distribution(name) or name) if axis_names else name
            yield from _located(f"{key}.{shown}", entry, axis_names)
    elif isinstance(field.value, list):
        for index, item in enumerate(fields.items(field)):
            yield from _located(f"{key}[{index}]", item, axis_names)


def line_of(lines: Mapping[str, int], key: str) -> int | None:
    """The line of ``key`` or of the nearest enclosing key that has one."""
    while key:
        if key in lines:
            return lines[key]
        cut = max(key.rfind("."), key.rfind("["))
        key = key[:cut] if cut > 0 else ""
    return None


def located_error(matrix: Matrix, key: str, message: str) -> ConfigError:
    """A ConfigError about ``key`` of ``matrix``, citing the line it was written on."""
    return ConfigError(message, path=matrix.source, line=line_of(matrix.lines, key), key=key)
