"""The values of a matrix (and of a recorded plan): interpreters, versions, selectors,
requirements, install targets, project paths, environment variables, package names.

Each function takes a ``fields.Field`` and returns the checked value or raises
``fields.Invalid``; matrix files and plan.json share them, so a value a matrix could not
hold cannot come in through a plan.json either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from orchestrator.plan import index, interpreters, selectors, versions
from orchestrator.plan.fields import Field, boolean, entries, mapping, string, suggest
from orchestrator.plan.selectors import Selector

SELECTOR_KEYS = ("range", "pick", "prereleases")
SELECTOR_REQUIRED = ("pick",)
# A requirement is one line of a constraints file: a name, extras, a specifier, a marker.
MAX_REQUIREMENT = 500

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?")
GROUP_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def checked(field: Field, check: Callable[[str], object]) -> str:
    """A string that ``check`` (a versions.* parser) accepts, as written."""
    text = string(field)
    try:
        check(text)
    except versions.BadValue as exc:
        field.fail(str(exc))
    return text


def python(field: Field, family: str) -> str:
    """An interpreter version that the image family can provide."""
    version = checked(field, versions.python_version)
    if interpreters.lookup(family, version) is None:
        available = ", ".join(interpreters.available(family))
        field.fail(
            f"Python {version} is not available in image family {family!r} (available: {available})"
        )
    return version


def dependency(field: Field) -> str:
    """A dependency axis value: a version or a specifier set."""
    return checked(field, versions.specifier)


def selector(field: Field) -> Selector:
    """``{range: ">=4.2,<6", pick: latest-per-minor, prereleases: false}``."""
    found = mapping(field, SELECTOR_KEYS, SELECTOR_REQUIRED)
    pick = string(found["pick"], limit=40)
    try:
        selectors.check_pick(pick)
    except selectors.UnknownPick as exc:
        hint = suggest(pick, [*selectors.PICKS, selectors.NEWEST], "valid picks")
        found["pick"].fail(f"{exc} ({hint})")
    except selectors.BadPick as exc:  # newest-0
        found["pick"].fail(str(exc))
    scope = checked(found["range"], versions.specifier) if "range" in found else ""
    pre = boolean(found["prereleases"]) if "prereleases" in found else False
    return Selector(pick=pick, range=scope, prereleases=pre)


def python_selector(field: Field, family: str) -> Selector:
    """A selector over the interpreters the image family provides; it must choose one."""
    chosen = selector(field)
    available = interpreters.available(family)
    if not selectors.select(chosen, available):
        field.fail(
            f"{chosen} selects no interpreter of image family {family!r} "
            f"(available: {', '.join(available)})"
        )
    return chosen


def same_dependency(value: str) -> str:
    """What makes two dependency values one: "8.1.8" and "==8.1.8" get the same cell id."""
    return str(versions.specifier(value))


def requirement(field: Field) -> str:
    """A constraint or test dependency: a PEP 508 requirement (markers allowed, URLs and
    pip options not: a constraints file would pass ``--index-url`` on to pip)."""
    text = string(field, limit=MAX_REQUIREMENT)
    if text.startswith("-"):
        field.fail(
            f"{text[:60]!r} is a pip option, not a requirement (pip options are not accepted)"
        )
    try:
        parsed = Requirement(text)
    except InvalidRequirement as exc:
        field.fail(f"not a valid requirement: {str(exc).splitlines()[0]}")
    if parsed.url:
        field.fail(f"{text!r} is a URL requirement; constraints must name versions")
    return text


def install(field: Field) -> str:
    """The pip target inside the project: '.' or '.[extra,...]'."""
    text = string(field, limit=500)
    if not versions.INSTALL_TARGET.fullmatch(text):
        field.fail(f"expected '.' or '.[extra,...]' (the project and its extras), got {text!r}")
    return text


def distribution(text: str) -> str | None:
    """The PEP 503 form of a distribution name, or None when ``text`` is not one."""
    try:
        return versions.normalize_name(text)
    except versions.BadValue:
        return None


def directory(field: Field, base: Path) -> Path:
    """The project directory, resolved against ``base`` (the file's directory). The
    filesystem root is refused: it would become the build context of every image."""
    text = string(field)
    try:
        path = (base / text).resolve()
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:  # permissions, symlink loops, NUL bytes
        field.fail(f"cannot use project path {text!r}: {exc}")
    if not exists:
        field.fail(f"project directory not found: {path}")
    if not is_dir:
        field.fail(f"project path is not a directory: {path}")
    if path.parent == path:
        field.fail(f"project path {text!r} is the filesystem root; name the project's directory")
    return path


def env(field: Field) -> dict[str, str]:
    """Environment variables: names as a shell knows them, values one printable line
    (numbers and booleans as YAML wrote them, since environments hold text)."""
    found: dict[str, str] = {}
    for name, entry in entries(field).items():
        if not _ENV_NAME.fullmatch(name) or len(name) > 200:
            entry.fail_key(f"{name[:100]!r} is not an environment variable name")
        if isinstance(entry.value, (bool, int, float)) and entry.text:
            entry = entry.with_value(entry.text)
        found[name] = string(entry)
    return found


def debian_package(field: Field) -> str:
    text = string(field, limit=200)
    if not _DEBIAN_PACKAGE.fullmatch(text):
        field.fail(f"{text!r} is not a Debian package name")
    return text


def index_url(field: Field) -> str:
    """The package index to resolve selectors against: an http(s) URL (PEP 691 JSON API)."""
    text = string(field)
    problem = index.url_problem(text)
    if problem is not None:
        field.fail(problem)
    return text
