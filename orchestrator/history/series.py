"""Runs of one matrix form a series: the run directories under one runs root whose
results name the same plan, oldest first (in the order the directories were made, which
their plan.json records: it is written once, when the run starts).

Everything here is read as input: results through :func:`orchestrator.results.load`
(checked, bounded), what the plan resolved through the plan.json reader's JSON parser
with its own checks. A run whose files are damaged is left out of the series, never
fatal to it; naming such a run directly is an error (exit 7).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ConfigError, DamagedResultsError, Oxzep7Error
from orchestrator.history.diff import Side
from orchestrator.plan import planfile, yamlfile
from orchestrator.plan.fields import Invalid
from orchestrator.results import RunResults, load

META_FILE = "run.json"  # what the run recorded about itself (e.g. the index it asked)
MAX_META = 1 << 20


@dataclass(frozen=True)
class Run:
    """One run directory of a series, its results read."""

    path: Path
    results: RunResults

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def started(self) -> str:
        """When the run directory was made (its plan.json), local time."""
        stamp = (self.path / "plan.json").stat().st_mtime
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))

    def side(self) -> Side:
        return Side(self.results, resolved(self.path))


def run_dirs(root: Path) -> list[Path]:
    """Run directories under ``root``, oldest first (not ``latest``, nor hidden folders)."""
    try:
        found = [
            path
            for path in root.iterdir()
            if not path.name.startswith(".")
            and not path.is_symlink()
            and (path / "plan.json").is_file()
        ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found, key=lambda p: ((p / "plan.json").stat().st_mtime_ns, p.name))


def load_run(path: Path) -> Run:
    """The run in ``path`` (a run directory); ConfigError or DamagedResultsError if not one."""
    path = Path(path)
    if path.name == "results.json":
        path = path.parent
    return Run(path.resolve(), load(path))


def _readable(paths: list[Path]) -> Iterator[Run]:
    for path in paths:
        try:
            yield load_run(path)
        except Oxzep7Error:
            continue  # damaged or unfinished: not part of the series


def series(root: Path, name: str) -> list[Run]:
    """Every readable run of the plan ``name`` under ``root``, oldest first."""
    return [run for run in _readable(run_dirs(root)) if run.results.name == name]


def previous(run: Run) -> Run | None:
    """The newest run of ``run``'s series made before it, in the same runs root."""
    paths = run_dirs(run.path.parent)
    here = next((i for i, p in enumerate(paths) if p.resolve() == run.path), len(paths))
    earlier = reversed(paths[:here])
    return next((r for r in _readable(list(earlier)) if r.results.name == run.results.name), None)


def latest(root: Path) -> Run:
    """The newest run under ``root`` (``latest``, else the last one made)."""
    link = root / "latest"
    if link.exists():
        return load_run(link)
    paths = run_dirs(root)
    if not paths:
        raise ConfigError(f"no runs in {root}; 'oxzep7 run MATRIX' makes one")
    return load_run(paths[-1])


def resolved(path: Path) -> dict[str, tuple[str, ...]]:
    """What each axis of the run's plan resolved to (``resolved`` in its plan.json)."""
    file = path / "plan.json"
    try:
        data = planfile.parse_json(yamlfile.read_bytes(file, "plan file", planfile.MAX_BYTES))
    except Invalid as problem:
        raise DamagedResultsError(f"{file}: {problem.message}") from None
    found = data.get("resolved", {}) if isinstance(data, dict) else None
    if not isinstance(found, dict) or not all(
        isinstance(axis, str) and isinstance(values, list) and all(_short(v) for v in values)
        for axis, values in found.items()
    ):
        raise DamagedResultsError(f"{file}: resolved: expected axis -> list of versions")
    return {str(axis): tuple(values) for axis, values in found.items()}


def _short(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable()


def meta(path: Path) -> Mapping[str, str]:
    """What the run recorded about itself in run.json (text values only; {} if none)."""
    try:
        raw = yamlfile.read_bytes(path / META_FILE, "run file", MAX_META)
        data = json.loads(raw)
    except (Invalid, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
