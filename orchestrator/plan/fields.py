"""Validating data read from a file, one field at a time, with the place each came from.

Matrix files (YAML) and recorded plans (plan.json) go through the same functions here:
a ``Field`` is one value with its dotted key (``axes.click[1]``, ``cells[3].python``) and,
when the file has lines (YAML), the line it was written on. A problem raises ``Invalid``,
which the reader turns into a one-line ``ConfigError``: ``file:line: key: message``, or
``file: key: message`` for JSON, whose values carry no line.

Mappings and sequences may be ``LocatedMap``/``LocatedSeq`` (they remember where each
key and item was written, and duplicate keys) or plain ``dict``/``list``.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

# Longest text a value may hold. It keeps values within what a Dockerfile line, an image
# tag or int() (4,300 digits at most) can take; versions have a tighter limit of their own.
MAX_TEXT = 4096
# Docker's --memory syntax: a number of bytes with an optional k/m/g unit.
_MEMORY = re.compile(r"(\d{1,15})[kmg]?", re.IGNORECASE)
_SCALAR_KINDS: dict[type, str] = {
    bool: "boolean",
    int: "number",
    float: "number",
    datetime.date: "date",
    datetime.datetime: "timestamp",
    bytes: "binary value",
}


class Invalid(Exception):
    """One problem in a file; the reader adds the file name and raises ConfigError."""

    def __init__(self, message: str, line: int | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.key = key or None


@dataclass(frozen=True)
class Spot:
    """Where a key or value was written (None: a file without lines), and its source
    text when it is a YAML scalar (YAML reads an unquoted 3.10 as 3.1)."""

    line: int | None
    text: str | None = None


class LocatedMap(dict[Any, Any]):
    """A mapping that remembers where each key and value was written."""

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.key_spots: dict[Any, Spot] = {}
        self.value_spots: dict[Any, Spot] = {}
        # (key, line, line of its first use): reported by validation, which knows the
        # dotted key path; the reader does not.
        self.duplicates: list[tuple[Any, int | None, int | None]] = []


class LocatedSeq(list[Any]):
    """A sequence that remembers where each item was written."""

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.spots: list[Spot] = []


@dataclass(frozen=True)
class Field:
    """One value from a file, with the dotted key and the lines that errors cite."""

    value: Any
    key: str  # dotted path, "" for the whole document
    line: int | None  # where the value starts (None in JSON)
    text: str | None = None  # a scalar as written
    key_line: int | None = None  # where its key is, when it has one

    def fail(self, message: str) -> NoReturn:
        raise Invalid(message, self.line, self.key)

    def fail_key(self, message: str) -> NoReturn:
        raise Invalid(message, self.key_line or self.line, self.key)

    def with_value(self, value: Any) -> Field:
        return Field(value, self.key, self.line, self.text, self.key_line)


def document(value: Any, line: int | None) -> Field:
    """The whole document as a field."""
    return Field(value, "", line, key_line=line)


def child(parent: str, key: object) -> str:
    """The dotted path of ``key`` under ``parent``; odd keys are quoted to keep it one line."""
    if isinstance(key, str) and key.isprintable() and len(key) <= 100:
        part = key
    else:
        part = repr(key) if len(repr(key)) <= 100 else repr(key)[:97] + "..."
    return f"{parent}.{part}" if parent else part


def wrong_type(field: Field, expected: str) -> NoReturn:
    """Fail naming what was expected and what the file made of the value."""
    value = field.value
    if value is None:
        got = "nothing (null)"
    elif isinstance(value, dict):
        got = "a mapping"
    elif isinstance(value, list):
        got = "a list"
    elif isinstance(value, str):
        got = f"the string {_short(value)!r}"
    else:
        text = field.text if field.text is not None else _short(str(value))
        got = f"the {_SCALAR_KINDS.get(type(value), type(value).__name__)} {text}"
        shown = str(value).lower() if isinstance(value, bool) else _short(str(value))
        if field.text is not None and shown != text:
            got += f" (YAML reads it as {shown})"
        if expected.startswith("a string") and field.text is not None:
            got += f'; quote it: "{text}"'
    field.fail(f"expected {expected}, got {got}")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- Shapes --------------------------------------------------------------------------------


def entries(field: Field) -> dict[str, Field]:
    """A mapping's entries as fields, once its keys are known to be unique strings."""
    data = field.value
    if not isinstance(data, dict):
        wrong_type(field, "a mapping")
    key_spots: dict[Any, Spot] = getattr(data, "key_spots", {})
    value_spots: dict[Any, Spot] = getattr(data, "value_spots", {})
    for key, line, first in getattr(data, "duplicates", ()):
        where = f" (first given on line {first})" if first is not None else ""
        raise Invalid(f"duplicate key {_short(str(key))!r}{where}", line, child(field.key, key))
    found: dict[str, Field] = {}
    nowhere = Spot(None)
    for key, value in data.items():
        at, spot = key_spots.get(key, nowhere), value_spots.get(key, nowhere)
        if not isinstance(key, str):  # e.g. an unquoted 3.13 as include key
            where = child(field.key, at.text) if at.text else field.key  # null: no text
            wrong_type(Field(key, where, at.line, at.text), "a string key")
        found[key] = Field(value, child(field.key, key), spot.line, spot.text, at.line)
    return found


def mapping(field: Field, allowed: Sequence[str], required: Sequence[str] = ()) -> dict[str, Field]:
    """A mapping's entries, rejecting unknown keys (with a suggestion) and missing ones."""
    found = entries(field)
    for key, entry in found.items():
        if key not in allowed:
            entry.fail_key(unknown(key, allowed, "valid keys"))
    require(field, found, required)
    return found


def unknown(key: str, allowed: Sequence[str], listing: str) -> str:
    return f"unknown key {_short(key)!r} ({suggest(key, allowed, listing)})"


def suggest(word: str, choices: Sequence[str], listing: str) -> str:
    """'did you mean ...?' for a near miss, else the list of choices."""
    close = difflib.get_close_matches(word.lower()[:100], choices, n=1)
    return f"did you mean {close[0]!r}?" if close else f"{listing}: {', '.join(choices)}"


def require(field: Field, present: Collection[str], required: Sequence[str]) -> None:
    for key in required:
        if key not in present:
            # A close key that was accepted (a dependency axis 'pyhton') is likely the typo.
            close = difflib.get_close_matches(key, [p[:100] for p in present], n=1)
            hint = f" (did you misspell it as {close[0]!r}?)" if close else ""
            line = field.key_line or field.line
            raise Invalid(f"required key missing{hint}", line, child(field.key, key))


def items(field: Field | None) -> list[Field]:
    """A list's items as fields (an absent optional list is empty)."""
    if field is None:
        return []
    data = field.value
    if not isinstance(data, list):
        wrong_type(field, "a list")
    spots: list[Spot] = getattr(data, "spots", [Spot(None)] * len(data))
    return [
        Field(value, f"{field.key}[{index}]", spot.line, spot.text, spot.line)
        for index, (value, spot) in enumerate(zip(data, spots, strict=True))
    ]


# --- Scalars -------------------------------------------------------------------------------


def string(field: Field, limit: int = MAX_TEXT) -> str:
    """A non-empty, single-line, printable string, stripped: values reach Dockerfiles."""
    if not isinstance(field.value, str):
        wrong_type(field, "a string")
    text = field.value.strip()
    if not text:
        field.fail("must not be empty")
    if len(text) > limit:
        field.fail(f"longer than {limit} characters")
    bad = next((char for char in text if not char.isprintable()), None)
    if bad is not None:
        field.fail(f"must be one line of printable text (found {bad!r})")
    return text


def count(field: Field, minimum: int = 1, maximum: int = 1_000_000) -> int:
    """A whole number within [minimum, maximum]."""
    value = field.value
    if isinstance(value, bool) or not isinstance(value, int):
        wrong_type(field, "a whole number")
    if value < minimum:
        field.fail(f"must be at least {minimum}, got {value}")
    if value > maximum:
        field.fail(f"must be at most {maximum}, got {_short(str(value), 20)}")
    return value


def boolean(field: Field) -> bool:
    if not isinstance(field.value, bool):
        wrong_type(field, "true or false")
    return field.value


def number(field: Field, maximum: float) -> float:
    """A number above 0 and at most ``maximum``."""
    value = field.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        wrong_type(field, "a number")
    if not (math.isfinite(value) and 0 < value <= maximum):
        shown = field.text or _short(str(value), 20)
        field.fail(f"must be a number above 0 and at most {maximum:g}, got {shown}")
    return float(value)


def memory(field: Field) -> str:
    text = string(field)
    match = _MEMORY.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        field.fail(f"expected a memory size like '512m' or '2g', got {_short(text)!r}")
    return text


def matching(field: Field, pattern: re.Pattern[str], what: str) -> str:
    text = string(field)
    if not pattern.fullmatch(text):
        field.fail(f"{_short(text)!r} is not {what}")
    return text


def strings(parse: Callable[[Field], str]) -> Callable[[Field], tuple[str, ...]]:
    """A list option whose items ``parse`` checks, duplicates dropped."""
    return lambda field: tuple(dict.fromkeys(parse(item) for item in items(field)))
