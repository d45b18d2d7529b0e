"""A run's results as data: :class:`RunResults`, read back from results.json by
:func:`load`, the one way in. It reads the file bounded in size (regular files only),
checks every value, and returns what the verdict and every report use. Whatever is
wrong with the file becomes one :class:`~orchestrator.errors.DamagedResultsError`
naming the file, the cell and the key.

The writing side (each cell's result.json, the collation into results.json) belongs
to the run, in :mod:`orchestrator.run.results`.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.errors import ConfigError, DamagedResultsError
from orchestrator.jsonread import Reader, ShapeError, kind
from orchestrator.models import (
    INFEASIBLE,
    NOT_RUN,
    PYTHON_AXIS,
    STATUSES,
    CellResult,
    CellState,
)

RESULTS_SCHEMA = "oxzep7.results/1"
MAX_BYTES = 256 * 1024 * 1024  # larger is not a results.json oxzep7 wrote: refuse to read it


@dataclass(frozen=True)
class NotRun:
    """A planned cell without a result. ``axes`` is {} when only the id is known
    (results.json lists ids; the verdict reads the axes back from them)."""

    id: str
    axes: Mapping[str, str] = field(default_factory=dict)


BISECT_FILE = "bisect.json"  # in the run directory: what ``oxzep7 bisect`` found
BISECT_SCHEMA = "oxzep7.bisect/1"


@dataclass(frozen=True)
class FirstBad:
    """The first release of a culprit axis in which one failure cluster of a cell
    appears, found by running the releases in between (``oxzep7 bisect``)."""

    cell: str  # the failing cell that was bisected
    axis: str
    good: str  # the last release without the cluster (the good end, if none was)
    bad: str  # the first release with it; "" when no release tried shows it
    uploaded: str  # the first bad release's upload date (YYYY-MM-DD), "" if unknown
    signature: str  # the cluster
    tests: tuple[str, ...]  # its tests in the cell
    tried: tuple[str, ...]  # releases run, in the order they ran
    run_dir: str = ""  # where their results are

    @property
    def text(self) -> str:
        """``click 8.1.0 (uploaded 2022-03-28) is the first release with <signature>``."""
        if not self.bad:
            return f"{self.axis}: no release tried shows {self.signature}"
        date = f" (uploaded {self.uploaded})" if self.uploaded else ""
        return (
            f"{self.axis} {self.bad}{date} is the first release with {self.signature} "
            f"({len(self.tests)} test{'s' if len(self.tests) != 1 else ''}; last good: {self.good})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "axis": self.axis,
            "good": self.good,
            "bad": self.bad,
            "uploaded": self.uploaded,
            "signature": self.signature,
            "tests": list(self.tests),
            "tried": list(self.tried),
            "run_dir": self.run_dir,
            "text": self.text,
        }

    @classmethod
    def read(cls, fields: Reader) -> FirstBad:
        names = ("cell", "axis", "good", "bad", "uploaded", "signature")
        cell, axis, good, bad, uploaded, signature = (fields.text(n, "") for n in names)
        return cls(
            cell,
            axis,
            good,
            bad,
            uploaded,
            signature,
            fields.texts("tests"),
            fields.texts("tried"),
            fields.text("run_dir", ""),
        )


@dataclass(frozen=True)
class RunResults:
    """A run's results.json, read into types: every cell's result, the cells not run,
    and what the plan said (name, baseline, priority)."""

    run_id: str = ""
    name: str = ""
    matrix: str = ""
    updated: str = ""
    baseline: str | None = None
    priority: tuple[str, ...] = ()  # axes by significance; () = python first
    cells: tuple[CellResult, ...] = ()  # plan order; pruned cells as "infeasible"
    not_run: tuple[NotRun, ...] = ()
    require_supported: bool = False  # run.require_supported: past end-of-life is not picked
    first_bad: tuple[FirstBad, ...] = ()  # from bisect.json beside results.json

    @property
    def complete(self) -> bool:
        return not self.not_run

    @cached_property
    def by_id(self) -> Mapping[str, CellResult]:
        return MappingProxyType({result.cell.id: result for result in self.cells})

    def cell(self, cell_id: str) -> CellResult | None:
        return self.by_id.get(cell_id)

    def state(self, cell_id: str) -> CellState:
        """The cell's status, or ``not_run`` when it has no result."""
        result = self.cell(cell_id)
        return NOT_RUN if result is None else result.status

    @property
    def pruned(self) -> tuple[CellResult, ...]:
        return tuple(result for result in self.cells if result.status == INFEASIBLE)

    @property
    def axes(self) -> tuple[str, ...]:
        """Axis names in display order: python first, then first-seen order."""
        names: dict[str, None] = {}
        for axes in [*(r.cell.axes for r in self.cells), *(n.axes for n in self.not_run)]:
            names.update(dict.fromkeys(axes))
        first = (PYTHON_AXIS,) if PYTHON_AXIS in names else ()
        return first + tuple(name for name in names if name != PYTHON_AXIS)

    @property
    def summary(self) -> dict[str, int]:
        """How many cells have each status, and how many have none."""
        counts = Counter(result.status for result in self.cells)
        return {**{s: counts.get(s, 0) for s in STATUSES}, NOT_RUN: len(self.not_run)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RESULTS_SCHEMA,
            "run_id": self.run_id,
            "name": self.name,
            "matrix": self.matrix,
            "updated": self.updated,
            "complete": self.complete,
            "summary": self.summary,
            "baseline": self.baseline,
            "priority": list(self.priority),
            "cells": [result.to_dict() for result in self.cells],
            "not_run": [entry.id for entry in self.not_run],
            "require_supported": self.require_supported,
        }

    @classmethod
    def from_dict(cls, data: object) -> RunResults:
        """Read results as ``to_dict`` writes them (``schema`` may be left out, and so
        may anything but the cells' own keys). Raises ShapeError naming what is wrong."""
        top = Reader(data)
        if top.has("schema") and top.data["schema"] != RESULTS_SCHEMA:
            raise ShapeError("schema", f"expected {RESULTS_SCHEMA}, got {kind(top.data['schema'])}")
        return cls(
            run_id=top.text("run_id", ""),
            name=top.text("name", ""),
            matrix=top.text("matrix", ""),
            updated=top.text("updated", ""),
            baseline=top.maybe_text("baseline"),
            priority=top.texts("priority"),
            cells=_cells(top),
            not_run=_not_run(top),
            require_supported=top.flag("require_supported"),
        )


def coerce(results: RunResults | Mapping[str, Any]) -> RunResults:
    """``results`` as RunResults (a dict, e.g. parsed results.json, is read and checked)."""
    return results if isinstance(results, RunResults) else RunResults.from_dict(results)


def _items(top: Reader, name: str) -> list[object]:
    value = top.data.get(name, [])
    if not isinstance(value, list):
        raise ShapeError(name, f"expected a list, got {kind(value)}")
    return value


def _cells(top: Reader) -> tuple[CellResult, ...]:
    found: dict[str, int] = {}
    cells = []
    for i, item in enumerate(_items(top, "cells")):
        cell_id = item.get("id") if isinstance(item, Mapping) else None
        where = f"cells[{i}]" + (f" ({cell_id})" if isinstance(cell_id, str) else "")
        try:
            result = CellResult.from_dict(item)
        except ShapeError as exc:
            raise ShapeError(where, str(exc)) from None
        if result.cell.id in found:
            raise ShapeError(where, f"the same id as cells[{found[result.cell.id]}]")
        found[result.cell.id] = i
        cells.append(result)
    return tuple(cells)


def _not_run(top: Reader) -> tuple[NotRun, ...]:
    """Entries are ids, or objects with an ``id`` and ``axes``."""
    found = []
    for i, item in enumerate(_items(top, "not_run")):
        if isinstance(item, str):
            found.append(NotRun(Reader({"id": item}, f"not_run[{i}]").text("id")))
            continue
        if not isinstance(item, Mapping):
            raise ShapeError(f"not_run[{i}]", f"expected a cell id, got {kind(item)}")
        entry = Reader(item, f"not_run[{i}]")
        found.append(NotRun(entry.text("id"), entry.text_map("axes")))
    return tuple(found)


# --------------------------------------------------------------------------- reading


def load(path: Path) -> RunResults:
    """The results in ``path``: a run directory, or a results.json. A path that does
    not exist (or a directory without results.json) is a ConfigError; a file that
    cannot be read as results is a DamagedResultsError naming it."""
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    text = _read_text(file, path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f"{file}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(file)
        problem = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise DamagedResultsError(f"{where}: not valid JSON: {problem}") from None
    except RecursionError:
        raise DamagedResultsError(f"{file}: not valid JSON: nested too deeply") from None
    if not isinstance(data, dict) or data.get("schema") != RESULTS_SCHEMA:
        raise DamagedResultsError(f"{file} is not an oxzep7 results file ({RESULTS_SCHEMA})")
    try:
        found = RunResults.from_dict(data)
    except ShapeError as exc:
        raise DamagedResultsError(f"{file}: {exc}") from None
    first_bad = load_first_bad(file.parent / BISECT_FILE)
    return replace(found, first_bad=first_bad) if first_bad else found


def load_first_bad(file: Path) -> tuple[FirstBad, ...]:
    """What ``oxzep7 bisect`` recorded in a run directory (none: no file)."""
    if not file.is_file():
        return ()
    text = _read_text(file, file)
    try:
        data = json.loads(text)
        top = Reader(data)
        if top.data.get("schema") != BISECT_SCHEMA:
            raise ShapeError("schema", f"expected {BISECT_SCHEMA}")
        return tuple(
            FirstBad.read(Reader(item, f"first_bad[{i}]"))
            for i, item in enumerate(_items(top, "first_bad"))
        )
    except (ValueError, RecursionError) as exc:  # ShapeError is a ValueError
        raise DamagedResultsError(f"{file}: {exc}") from None


def _read_text(file: Path, named: Path) -> str:
    """The file's text, if it is a regular file of at most MAX_BYTES of UTF-8."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"no results.json in {named}: is it a run directory?") from None
    except OSError as exc:
        raise DamagedResultsError(f"{file}: cannot read it: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise DamagedResultsError(f"{file} is a directory, not a results file")
        if not stat.S_ISREG(info.st_mode):
            raise DamagedResultsError(f"{file} is not a regular file (a device, pipe or socket)")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DamagedResultsError(f"{file}: cannot read it: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise DamagedResultsError(f"{file} is larger than {MAX_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DamagedResultsError(f"{file}: not UTF-8 text (byte {exc.start})") from None
