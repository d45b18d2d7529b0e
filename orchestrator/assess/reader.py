"""The reader that collects a project's facts while its files are read: bounded,
safe file access (a file that cannot be read becomes a ``problem``, never an
exception), the recording of what a file declares, pins or names, and the small
parsing helpers the readers of each kind of file share.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from orchestrator.assess.facts import TEST_REQUIREMENTS, Declared, Facts, Pinned, PythonMention

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_FILE_BYTES = 4 << 20  # lock files of large applications run to a few MiB
_PY = re.compile(r"^\s*(?:python-?|py|cpython-?)?(3)\.?(\d{1,2})(?:[.\-]\S*)?\s*$", re.I)


class Reader:
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


def strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def tables(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def lines(value: str) -> list[str]:
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
