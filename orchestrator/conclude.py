"""The end of a run (``oxzep7 run``) or of a collation (``oxzep7 collate``): results.json
from the cells on disk, the verdict, what changed since the previous run of the matrix,
every report (each with that diff), and whether the run fails under ``--fail-on``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from orchestrator import console, history, verdict
from orchestrator.assess import exposure
from orchestrator.assess.advisories import Source
from orchestrator.errors import Oxzep7Error
from orchestrator.history import failon
from orchestrator.history.diff import Lookup, RunDiff
from orchestrator.history.render import DiffSection
from orchestrator.report import Section, export, terminal
from orchestrator.results import RunResults
from orchestrator.run import results, rundir
from orchestrator.sanitize import clean


@dataclass(frozen=True)
class Conclusion:
    results: RunResults
    verdict: verdict.Verdict
    diff: RunDiff | None
    failures: tuple[str, ...]  # why the run fails under --fail-on (empty: it does not)


def conclude(
    run: rundir.RunDir,
    *,
    fail_on: str = "any",
    judged: Collection[str] | None = None,
    lookup: Lookup | None = None,
    advisories: tuple[Source | None, bool] = (None, True),
) -> Conclusion:
    """Collate, judge, diff, report (terminal and files); ``judged`` are the cells whose
    states decide the exit code (default: every planned cell); ``advisories`` is where
    known vulnerabilities come from (None: not checked) and ``run.allow_vulnerable``."""
    results.collate(run)
    data = results.load(run.path)  # read back as `oxzep7 report` reads it
    source, allow = advisories
    known = None
    if source is not None:  # the cells' packages against the advisory source
        known = exposure.check_run(data, source, allow=allow)
        exposure.save(run.path, known)
    judgement = verdict.compute(data, exposure=known)
    diff = _diff(run, lookup)
    sections: list[Section] = [DiffSection(diff)] if diff is not None else []
    console.out.print()
    terminal.print_terminal(console.out, data, judgement)
    for section in sections:
        console.out.print()
        console.lines(section.text())
    written = export.write_reports(run.path, data, judgement, sections)
    environments = export.write_environments(run.path, judgement, run.cell)
    console.out.print(f"\nresults: {run.results_file}")
    names = ", ".join(p.name for p in written.values())
    console.out.print(f"reports: {names} (in {run.path})")
    if environments:
        console.out.print(f"environments: {environments}/ (upgrade.diff: baseline -> recommended)")
    cells = judged if judged is not None else [*data.by_id, *(n.id for n in data.not_run)]
    reasons = tuple(failon.failures(fail_on, data, judgement, diff, cells))
    if reasons and fail_on != "any":
        console.lines([f"--fail-on {fail_on}: {len(reasons)} reason(s) to fail:"])
        console.lines([f"  {clean(reason)}" for reason in reasons[:20]])
    return Conclusion(data, judgement, diff, reasons)


def _diff(run: rundir.RunDir, lookup: Lookup | None) -> RunDiff | None:
    """The diff with the previous run of the matrix; a damaged earlier run says so and
    leaves the diff out rather than failing the run."""
    try:
        return history.since_previous(run.path, lookup)
    except Oxzep7Error as exc:
        console.lines([f"no diff with the previous run: {exc}"])
        return None


def section_for(run_path: Path, *, offline: bool = True) -> Section | None:
    """The diff section of an existing run (``oxzep7 report``): upload dates from the
    index cache only, so reports never wait on the network."""
    try:
        diff = history.since_previous(run_path, history.index_lookup(run_path, offline=offline))
    except Oxzep7Error:
        return None  # the run's own report stands without the diff
    return DiffSection(diff) if diff is not None else None
