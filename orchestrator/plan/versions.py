"""Turning matrix values into pip requirements and cell-id fragments.

A dependency value in a matrix is either an exact version (``"6.0.2"``, pinned
as ``==6.0.2``), a wildcard (``"6.0.*"``, i.e. ``==6.0.*``) or a PEP 440
specifier set (``">=6,<7"``). Everything goes through ``packaging`` so a value
that is not a version cannot reach a Dockerfile.
"""

from __future__ import annotations

import functools
import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# Longest version, specifier set or distribution name accepted. Longer values are no
# versions anyone publishes, would make cell ids and image tags too long, and past 4,300
# digits int() (inside packaging) refuses them with a ValueError.
MAX_LENGTH = 100
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_PYTHON = re.compile(r"^3\.\d{1,2}$")
_EXTRA = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
# What a matrix may install from the project: "." or ".[extra,...]". It ends up in
# a Dockerfile's RUN line, so the matrix loader and the templates both hold to it.
INSTALL_TARGET = re.compile(rf"\.(?:\[{_EXTRA}(?:,{_EXTRA})*\])?")
# Characters that can appear in a PEP 440 version or specifier set. '===' takes
# arbitrary text, so packaging alone would let shell syntax through.
_SPEC_CHARS = re.compile(r"[A-Za-z0-9.*+!,<>=~ -]+")
_SLUG = (
    ("===", "eq"),
    ("==", ""),
    ("~=", "compat"),
    ("!=", "ne"),
    (">=", "ge"),
    ("<=", "le"),
    (">", "gt"),
    ("<", "lt"),
    (",", "-"),
    ("*", "x"),
    (" ", ""),
    ("+", "_"),  # local versions (2.1.0+cpu): '+' is not allowed in image tags
    ("!", "_"),  # epochs (1!2.0)
)


class BadValue(ValueError):
    """A value that is not a version, specifier or distribution name."""


def normalize_name(name: str) -> str:
    """A distribution name in PEP 503 normal form; rejects anything else."""
    if len(name) > MAX_LENGTH:
        raise BadValue(f"a distribution name of more than {MAX_LENGTH} characters")
    if not _NAME.fullmatch(name):
        raise BadValue(f"{name!r} is not a valid distribution name")
    return canonicalize_name(name)


def specifier(value: str) -> SpecifierSet:
    """The specifier set a matrix value stands for (exact version -> ``==``)."""
    text = value.strip()
    if len(text) > MAX_LENGTH:
        raise BadValue(f"a version or specifier set of more than {MAX_LENGTH} characters")
    if not _SPEC_CHARS.fullmatch(text):
        raise BadValue(
            f"{value!r} is neither a version nor a specifier set (e.g. '6.0.2', '6.0.*', '>=6,<7')"
        )
    try:
        Version(text)
        return SpecifierSet(f"=={text}")
    except InvalidVersion:
        pass
    if re.match(r"^[0-9][0-9a-zA-Z.]*\.\*$", text):
        text = f"=={text}"
    try:
        spec = SpecifierSet(text)
    except InvalidSpecifier:
        raise BadValue(
            f"{value!r} is neither a version nor a specifier set (e.g. '6.0.2', '6.0.*', '>=6,<7')"
        ) from None
    if not str(spec):
        raise BadValue("an empty string is not a version")
    return spec


def requirement(name: str, value: str) -> str:
    """A pip requirement line, e.g. ``pyyaml==6.0.2`` or ``pyyaml<7,>=6``."""
    return f"{normalize_name(name)}{specifier(value)}"


@functools.lru_cache(maxsize=4096)  # a big matrix asks for the same few values 100,000s of times
def slug(value: str) -> str:
    """A value as it appears in a cell id: ``6.0.2``, ``6.0.x``, ``lt7-ge6`` (specifier
    sets are normalized by ``packaging``, so the order they were written in does not matter)."""
    text = str(specifier(value)) if not _is_version(value) else value.strip()
    for old, new in _SLUG:
        text = text.replace(old, new)
    return text


def python_version(value: str) -> str:
    """An interpreter value (``"3.13"``) checked for shape; availability is checked elsewhere."""
    text = str(value).strip()
    if not _PYTHON.fullmatch(text):
        raise BadValue(f"{value!r} is not an interpreter version like '3.13'")
    return text


def _is_version(value: str) -> bool:
    try:
        Version(value.strip())
    except ValueError:  # InvalidVersion, or digits beyond what int() takes
        return False
    return True


_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def sort_key(value: str) -> Version:
    """An axis value as a comparable version: itself when it is one, else (a specifier
    set such as ``>=6,<7`` or ``8.1.*``) the lowest version number it mentions."""
    try:
        return Version(value)
    except ValueError:  # InvalidVersion, or digits beyond what int() takes
        numbers = [n for n in _NUMBER.findall(value) if len(n) <= MAX_LENGTH]
        return min((Version(n) for n in numbers), default=Version("0"))
