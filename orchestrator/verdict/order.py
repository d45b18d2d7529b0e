"""Which cell is "higher": axis values read as versions, the most significant axis
first (python, unless the run's ``priority`` says otherwise)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from orchestrator.models import PYTHON_AXIS
from orchestrator.plan import versions

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_NO_VERSION = Version("0")

Key = tuple[tuple[int, Version], ...]


def axis_names(all_axes: Iterable[Mapping[str, str]]) -> list[str]:
    """Axis names in display order: ``python`` first, then first-seen order."""
    names: dict[str, None] = {}
    for axes in all_axes:
        names.update(dict.fromkeys(axes))
    first = [PYTHON_AXIS] if PYTHON_AXIS in names else []
    return first + [n for n in names if n != PYTHON_AXIS]


def priority_order(axes: Sequence[str], priority: Sequence[str] | None) -> list[str]:
    """Axes by significance: the ``priority`` names that exist, then the rest in order."""
    wanted = [axis_name(name) for name in priority or ()]
    first = [name for name in dict.fromkeys(wanted) if name in axes]
    return first + [name for name in axes if name not in first]


def axis_name(name: str) -> str:
    """An axis as the results spell it: python, or a normalized distribution name."""
    return name if name == PYTHON_AXIS else canonicalize_name(name)


def value_key(value: str, resolved: str | None = None) -> Version:
    """A matrix value as a comparable version: the resolved version when known, else the
    value itself, else (a specifier set such as ``>=6,<7`` or ``8.1.*``) the highest
    version number it mentions."""
    for text in (resolved, value):
        if text:
            try:
                return Version(text)
            except InvalidVersion:
                pass
    mentioned = [Version(n) for n in _NUMBER.findall(value or "")]
    return max(mentioned, default=_NO_VERSION)


def cell_key(axes: Mapping[str, str], packages: Mapping[str, str], order: Sequence[str]) -> Key:
    """What cells sort by, most significant axis first; a missing axis sorts lowest.
    Values that read as the same version (``8.1.8`` and ``8.1.*`` resolved to 8.1.8)
    tie on purpose: the caller breaks ties and says so."""
    resolved = _resolved(packages)
    return tuple(
        (0, _NO_VERSION)
        if axes.get(axis) is None
        else (1, value_key(axes[axis], resolved.get(axis)))
        for axis in order
    )


def sorted_values(values: Iterable[str]) -> list[str]:
    """Distinct axis values, lowest first (for grids and value distances)."""
    return sorted(dict.fromkeys(values), key=lambda v: (value_key(v), v))


def _resolved(packages: Mapping[str, str]) -> dict[str, str]:
    """Installed versions by normalized name (``pip freeze`` spells names its own way,
    and direct references look like ``name @ file:///...``)."""
    found: dict[str, str] = {}
    for name, version in packages.items():
        base = name.split(" @ ", 1)[0].strip()
        if base and version:
            found[canonicalize_name(base)] = version
    return found


def infer_axes(
    cell_id: str, axes: Sequence[str], known: Iterable[Mapping[str, str]]
) -> dict[str, str]:
    """Best effort: the axis values in an id like ``py3.13-click8.1.8`` (the planner's
    format), mapped back to the matrix values in ``known`` (other cells' axes) through
    their slugs; {} when it does not fit."""
    if not axes:
        return {}
    parts = [
        rf"py(?P<a{i}>[^-]+)" if axis == PYTHON_AXIS else rf"{re.escape(axis)}(?P<a{i}>.+?)"
        for i, axis in enumerate(axes)
    ]
    match = re.fullmatch("-".join(parts), cell_id)
    if not match:
        return {}
    slugs: dict[str, dict[str, str]] = {axis: {} for axis in axes}
    for cell_axes in known:
        for axis, value in cell_axes.items():
            slugs.setdefault(axis, {})[_slug(axis, value)] = value
    return {axis: slugs[axis].get(match[f"a{i}"], match[f"a{i}"]) for i, axis in enumerate(axes)}


def _slug(axis: str, value: str) -> str:
    if axis == PYTHON_AXIS:
        return value
    try:
        return versions.slug(value)
    except versions.BadValue:
        return value
