"""Known vulnerabilities of every cell's resolved package set (results.json ``packages``),
from the same advisory sources as ``oxzep7 assess``; written to the run directory as
``advisories.json`` and read back (as input, checked) by ``oxzep7 report``.

The verdict takes the result as plain data (:class:`orchestrator.verdict.Exposure`):
it never talks to an advisory source itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.assess.advisories import AFFECTED, UNKNOWN, Check, Source
from orchestrator.errors import DamagedResultsError
from orchestrator.models import RAN
from orchestrator.results import RunResults
from orchestrator.storage import write_text
from orchestrator.verdict import Exposure

FILE = "advisories.json"
SCHEMA = "oxzep7.advisories/1"
MAX_BYTES = 32 << 20


def check_run(data: RunResults, source: Source, *, allow: bool) -> Exposure:
    """Check each package of every cell that ran (each name and version once)."""
    checks: dict[tuple[str, str], Check] = {}
    vulnerable: dict[str, tuple[str, ...]] = {}
    for result in data.cells:
        if result.status not in RAN:
            continue
        found: list[str] = []
        for name, version in sorted(result.packages.items()):
            if not version:  # the project itself ("name @ file:///project")
                continue
            key = (name, version)
            if key not in checks:
                checks[key] = source.check(name, version)
            check = checks[key]
            if check.status == AFFECTED:
                found += [_line(check, a.id, a.fixed_in) for a in check.advisories]
        if found:
            vulnerable[result.cell.id] = tuple(found)
    unknown: dict[str, tuple[str, ...]] = {}
    for result in data.cells:
        missing = tuple(
            f"{name} {version}"
            for name, version in sorted(result.packages.items())
            if (name, version) in checks and checks[(name, version)].status == UNKNOWN
        )
        if missing:
            unknown[result.cell.id] = missing
    return Exposure(source.description, vulnerable, unknown, allow)


def _line(check: Check, advisory: str, fixed_in: tuple[str, ...]) -> str:
    fixed = f"fixed in {', '.join(fixed_in)}" if fixed_in else "no fixed release"
    return f"{check.name} {check.version}: {advisory} ({fixed})"


def save(run_dir: Path, exposure: Exposure) -> Path:
    path = run_dir / FILE
    document = {
        "schema": SCHEMA,
        "source": exposure.source,
        "allow_vulnerable": exposure.allow,
        "vulnerable": {cell: list(lines) for cell, lines in exposure.vulnerable.items()},
        "unknown": {cell: list(names) for cell, names in exposure.unknown.items()},
    }
    write_text(path, json.dumps(document, indent=2) + "\n")
    return path


def load(run_dir: Path) -> Exposure | None:
    """The run's advisories.json, or None when it has none; a damaged one is refused."""
    path = run_dir / FILE if run_dir.is_dir() else run_dir.parent / FILE
    if not path.exists():
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            raise ValueError("not a regular file of a sensible size")
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"not {SCHEMA}")
        source, allow = data["source"], data["allow_vulnerable"]
        vulnerable, unknown = data["vulnerable"], data["unknown"]
        ok = (
            isinstance(source, str)
            and isinstance(allow, bool)
            and isinstance(vulnerable, dict)
            and all(_texts(v) for v in vulnerable.values())
            and isinstance(unknown, dict)
            and all(_texts(v) for v in unknown.values())
        )
        if not ok:
            raise ValueError("a value of the wrong type")
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise DamagedResultsError(f"{path}: damaged: {exc}") from None
    return Exposure(
        source,
        {str(cell): tuple(lines) for cell, lines in vulnerable.items()},
        {str(cell): tuple(names) for cell, names in unknown.items()},
        allow,
    )


def _texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
