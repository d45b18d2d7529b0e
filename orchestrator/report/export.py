"""Write a finished run's reports and the recommended environment into its directory.

    report.md, report.html, verdict.json, junit.xml    the reports (``oxzep7 report``)
    environments/recommended/requirements.lock, Dockerfile
    environments/baseline/requirements.lock, Dockerfile
    environments/upgrade.diff                          baseline -> recommended

The two environments side by side make the rollout (and the rollback) a diff.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path

from orchestrator import report
from orchestrator.results import RunResults
from orchestrator.storage import write_text
from orchestrator.verdict import Verdict

REPORT_FILES = {
    "markdown": "report.md",
    "html": "report.html",
    "json": "verdict.json",
    "junit": "junit.xml",
}


def write_reports(run_path: Path, results: RunResults, verdict: Verdict) -> dict[str, Path]:
    """Every file report of the run, written atomically into its directory; returns
    format -> path."""
    written = {}
    for fmt, name in REPORT_FILES.items():
        write_text(run_path / name, report.render(fmt, results, verdict))
        written[fmt] = run_path / name
    return written


def write_environments(
    run_path: Path, verdict: Verdict, cell_folder: Callable[[str], Path]
) -> Path | None:
    """The recommended and baseline cells' pinned sets and Dockerfiles, and their diff;
    ``cell_folder`` says where a cell's files are (the run directory's layout)."""
    if verdict.recommended is None:
        return None
    folder = run_path / "environments"
    pairs = {"baseline": verdict.baseline, "recommended": verdict.recommended}
    texts: dict[str, dict[str, str]] = {}
    for role, cell_id in pairs.items():
        if cell_id is None:
            continue
        source = cell_folder(cell_id)
        texts[role] = {
            "requirements.lock": _read(source / "requirements.txt"),
            "Dockerfile": _read(source / "build.Dockerfile"),
        }
        for name, text in texts[role].items():
            write_text(folder / role / name, text)
    if len(texts) == 2:
        write_text(folder / "upgrade.diff", _diff(texts["baseline"], texts["recommended"]))
    return folder


def _diff(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    chunks: list[str] = []
    for name in before:
        chunks.extend(
            difflib.unified_diff(
                before[name].splitlines(keepends=True),
                after[name].splitlines(keepends=True),
                fromfile=f"baseline/{name}",
                tofile=f"recommended/{name}",
            )
        )
    return "".join(chunks) or "# baseline and recommended environments are identical\n"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
