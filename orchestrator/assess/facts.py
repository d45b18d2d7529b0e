"""The facts of a project as read from its own files: the direct dependencies it
declares, the versions it pins, the interpreters its files name, how it runs its tests.
Plain data; ``projectfiles.read_project`` fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
