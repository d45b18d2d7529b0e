"""The interpreters each image family can provide (data in resources/interpreters.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

FAMILIES = ("debian", "official")


@dataclass(frozen=True)
class Interpreter:
    """Where one interpreter version comes from in one image family."""

    family: str
    version: str
    suite: str | None = None  # debian: the suite whose python3.X package we install
    package: str | None = None  # debian: that package's name
    image: str | None = None  # official: the registry image to start FROM
    glibc: str | None = None  # the C library's version: bounds installable manylinux wheels


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
    return Interpreter(family=family, version=version, **entry) if entry else None
