"""Small rules about versions the assessment shares: a specifier set read leniently,
whether a Requires-Python admits an interpreter line, pre-releases, which of two
versions is newer, the sort key of an ``X.Y`` interpreter.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


def specifier_set(text: str | None) -> SpecifierSet | None:
    if text is None:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def allows_python(spec: SpecifierSet | None, version: str) -> bool:
    if spec is None:
        return True
    return spec.contains(f"{version}.0", prereleases=True) or spec.contains(
        f"{version}.99", prereleases=True
    )


def is_pre(version: str) -> bool:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return True
    return parsed.is_prerelease or parsed.is_devrelease


def is_newer(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return False


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
