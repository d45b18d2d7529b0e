"""The interpreters each image family can provide (data in resources/interpreters.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

FAMILIES = ("debian", "official")


@dataclass(frozen=True)
class DebianInterpreter:
    """Debian's own CPython, from the suite that ships it (needs only a Debian mirror)."""

    version: str
    suite: str  # the suite whose python3.X package is installed
    package: str  # that package's name
    glibc: str  # the C library's version: bounds installable manylinux wheels
    family: Literal["debian"] = "debian"


@dataclass(frozen=True)
class OfficialInterpreter:
    """The registry's ``python:X.Y-slim`` image."""

    version: str
    image: str  # the registry image to start FROM
    glibc: str
    family: Literal["official"] = "official"


Interpreter = DebianInterpreter | OfficialInterpreter


@cache
def _table() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("orchestrator").joinpath("resources/interpreters.json").read_text()
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def available(family: str) -> tuple[str, ...]:
    """The interpreter versions ``family`` can provide, oldest first."""
    versions = _table().get(family, {})
    return tuple(sorted(versions, key=lambda v: tuple(int(p) for p in v.split("."))))


def lookup(family: str, version: str) -> Interpreter | None:
    """The interpreter ``version`` in ``family``, or None when the family cannot provide it."""
    entry = _table().get(family, {}).get(version)
    if not entry:
        return None
    if family == "debian":
        return DebianInterpreter(version, entry["suite"], entry["package"], entry["glibc"])
    return OfficialInterpreter(version, entry["image"], entry["glibc"])
