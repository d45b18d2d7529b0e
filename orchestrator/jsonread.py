"""Typed reads of parsed JSON, for data oxzep7 did not necessarily write itself.

A :class:`Reader` wraps one JSON object; each read names the type it wants and
raises :class:`ShapeError` (with the dotted key) when the value is missing or of
another type, so a damaged file gives one precise line instead of a traceback
deep inside whatever used the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import NoReturn

_SURROGATE = re.compile(r"[\ud800-\udfff]")


class ShapeError(ValueError):
    """A JSON value that is missing or of the wrong type; ``key`` is its dotted path."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


def kind(value: object) -> str:
    """What a JSON value is, for messages: ``the string 'many'``, ``the number 42``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"[:60]
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    return type(value).__name__


def checked_text(value: str, key: str) -> str:
    """``value`` if it can be encoded (JSON's ``\\ud800`` escapes give lone surrogates,
    which no file or terminal takes)."""
    if not value.isascii() and _SURROGATE.search(value):
        raise ShapeError(key, "holds text that is not valid Unicode (a lone surrogate)")
    return value


class Reader:
    """Typed access to one JSON object; ``where`` is its dotted path, for messages."""

    def __init__(self, data: object, where: str = "") -> None:
        if not isinstance(data, Mapping):
            _wrong(where, "an object", data)
        self.data: Mapping[str, object] = data
        self.where = where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def missing(self, name: str) -> ShapeError:
        return ShapeError(self.key(name), "missing")

    def has(self, name: str) -> bool:
        return name in self.data

    def _value(self, name: str, required: bool) -> object:
        if name not in self.data and required:
            raise ShapeError(self.key(name), "missing")
        return self.data.get(name)

    def text(self, name: str, default: str | None = None) -> str:
        """A string; ``default`` when absent (absent without a default is an error)."""
        value = self._value(name, default is None)
        if value is None and name not in self.data and default is not None:
            return default
        if not isinstance(value, str):
            _wrong(self.key(name), "a string", value)
        return checked_text(value, self.key(name))

    def maybe_text(self, name: str) -> str | None:
        """A string, or None when absent or null."""
        if self.data.get(name) is None:
            return None
        return self.text(name)

    def choice(self, name: str, options: Collection[str], default: str | None = None) -> str:
        """One of ``options``."""
        value = self.data.get(name, default) if default is not None else self._value(name, True)
        if not isinstance(value, str) or value not in options:
            _wrong(self.key(name), f"one of {', '.join(options)}", value)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            _wrong(self.key(name), "true or false", value)
        return value

    def whole(self, name: str, default: int = 0) -> int:
        """A whole number of at least 0 (a count)."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            _wrong(self.key(name), "a whole number of at least 0", value)
        return value

    def maybe_int(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            _wrong(self.key(name), "a whole number or null", value)
        return value

    def seconds(self, name: str, default: float = 0.0) -> float:
        """A finite number of at least 0."""
        value = self.data.get(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            _wrong(self.key(name), "a number of seconds", value)
        return float(value)

    def texts(self, name: str) -> tuple[str, ...]:
        """A list of strings (absent: empty)."""
        value = self.data.get(name, [])
        if not isinstance(value, list):
            _wrong(self.key(name), "a list of strings", value)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                _wrong(f"{self.key(name)}[{i}]", "a string", item)
            checked_text(item, f"{self.key(name)}[{i}]")
        return tuple(value)

    def text_map(self, name: str, values: Collection[str] | None = None) -> dict[str, str]:
        """An object of strings (absent: empty); with ``values``, each must be one of them."""
        child = self.child(name)
        found = {}
        for key in child.data:
            checked_text(key, child.key(key))
            found[key] = child.choice(key, values) if values is not None else child.text(key)
        return found

    def child(self, name: str) -> Reader:
        """The object under ``name`` (absent: an empty one)."""
        return Reader(self.data.get(name, {}), self.key(name))


def _wrong(key: str, wanted: str, value: object) -> NoReturn:
    raise ShapeError(key, f"expected {wanted}, got {kind(value)}")
