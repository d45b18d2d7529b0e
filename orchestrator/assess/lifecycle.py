"""Interpreters' end of life (data in resources/python-eol.json) and what the image
family offers instead."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from orchestrator.plan import interpreters


@dataclass(frozen=True)
class Lifecycle:
    """One interpreter version: when CPython stops supporting it, as of ``today``."""

    version: str
    end_of_life: str | None  # "YYYY-MM", None when the table does not know the version
    supported: bool | None  # None when unknown
    provided: bool  # whether the image family can provide it

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "end_of_life": self.end_of_life,
            "supported": self.supported,
            "provided": self.provided,
        }


@cache
def _table() -> dict[str, str]:
    text = resources.files("orchestrator").joinpath("resources/python-eol.json").read_text()
    data = json.loads(text)["cpython"]
    return {str(k): str(v) for k, v in data.items()}


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def end_of_life(version: str) -> str | None:
    """``"2025-10"`` for ``"3.9"``; None for a version the table does not list."""
    return _table().get(version)


def is_supported(version: str, today: datetime.date) -> bool | None:
    """Whether CPython ``version`` still gets security fixes on ``today`` (support ends
    at the end of its end-of-life month); None when the table does not know it."""
    eol = end_of_life(version)
    if eol is None:
        return None
    year, month = (int(part) for part in eol.split("-"))
    first_after = datetime.date(year + month // 12, month % 12 + 1, 1)
    return today < first_after


def lifecycle(version: str, family: str, today: datetime.date) -> Lifecycle:
    return Lifecycle(
        version=version,
        end_of_life=end_of_life(version),
        supported=is_supported(version, today),
        provided=interpreters.lookup(family, version) is not None,
    )


def newer_provided(version: str, family: str, today: datetime.date) -> tuple[Lifecycle, ...]:
    """The interpreters ``family`` provides that are newer than ``version``, oldest first."""
    return tuple(
        lifecycle(v, family, today)
        for v in interpreters.available(family)
        if _key(v) > _key(version)
    )


def supported_provided(family: str, today: datetime.date) -> tuple[str, ...]:
    """The interpreters ``family`` provides that CPython still supports on ``today``."""
    return tuple(v for v in interpreters.available(family) if is_supported(v, today))


def nearest_provided(version: str, family: str) -> str | None:
    """``version`` when ``family`` provides it, else the lowest newer one it provides
    (a project on 3.12 is assessed on 3.13 in the debian family), else the newest."""
    available = interpreters.available(family)
    if version in available:
        return version
    newer = [v for v in available if _key(v) > _key(version)]
    if newer:
        return newer[0]
    return available[-1] if available else None
