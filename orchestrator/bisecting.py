"""``oxzep7 bisect RUN_DIR CELL`` (and ``oxzep7 run --bisect``): run the releases
between a culprit's two values, on the failing cell's other axes, and name the first
release in which each regressing cluster appears, with its upload date.

Not a second scheduler: the releases become cells of a Plan (the run's own, with
those cells), run one at a time by :func:`orchestrator.runner.execute` into a run
directory of its own (``RUN_DIR/bisect/<id>/``), through the same images and nox
sessions. What it finds goes to ``RUN_DIR/bisect.json``, which the verdict and every
report of RUN_DIR then show. The search itself is :mod:`orchestrator.verdict.bisect`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from orchestrator import console, runner, verdict
from orchestrator.cli_args import SubParsers
from orchestrator.errors import ConfigError
from orchestrator.models import RAN, Plan
from orchestrator.plan import expand, feasibility, resolve
from orchestrator.plan.index import IndexClient, choose_url
from orchestrator.report import export
from orchestrator.results import BISECT_FILE, BISECT_SCHEMA, FirstBad, load, load_first_bad
from orchestrator.run import rundir
from orchestrator.run.results import load_cell_result
from orchestrator.storage import write_text
from orchestrator.verdict.bisect import Search, Target, targets
from orchestrator.verdict.clusters import signature
from orchestrator.verdict.order import value_key


def bisect(
    run_dir: Path, cell_id: str, *, index_url: str | None = None, jobs: int = 1
) -> tuple[FirstBad, ...]:
    """Bisect the culprit releases of ``cell_id`` in the run at ``run_dir``."""
    run_dir = run_dir.resolve()
    judged = verdict.compute(load(run_dir))
    wanted = targets(judged, cell_id)
    if not wanted:
        if cell_id not in judged.order:
            raise ConfigError(f"no cell {cell_id!r} in {run_dir}")
        raise ConfigError(
            f"{cell_id}: no regression of it is explained by a dependency axis, so there is "
            "no release range to bisect"
        )
    return _run_targets(run_dir, wanted, index_url, jobs)


def bisect_all(
    run_dir: Path, *, index_url: str | None = None, jobs: int = 1
) -> tuple[FirstBad, ...]:
    """``run --bisect``: every distinct dependency change that breaks a cell above the
    recommendation, bisected once (on the highest cell it breaks)."""
    run_dir = run_dir.resolve()
    judged = verdict.compute(load(run_dir))
    chosen: dict[tuple[str, str, str], Target] = {}
    for blocker in judged.blockers:
        for target in targets(judged, blocker.cell):
            chosen.setdefault((target.axis, target.good, target.bad), target)
    return _run_targets(run_dir, list(chosen.values()), index_url, jobs) if chosen else ()


def _run_targets(
    run_dir: Path, wanted: Sequence[Target], index_url: str | None, jobs: int
) -> tuple[FirstBad, ...]:
    plan = resolve.load_frozen(run_dir / "plan.json")
    client = IndexClient(choose_url(index_url))
    found: list[FirstBad] = []
    for target in wanted:
        found += _bisect_one(run_dir, plan, target, client, jobs)
    _record(run_dir, found)
    data = load(run_dir)
    export.write_reports(run_dir, data, verdict.compute(data))
    return tuple(found)


def _bisect_one(
    run_dir: Path, plan: Plan, target: Target, client: IndexClient, jobs: int
) -> tuple[FirstBad, ...]:
    def say(text: str) -> None:
        console.lines([text])

    releases, uploaded = between(client, plan, target)
    search = Search(target, [r for r in releases], uploaded)
    say(
        f"bisect {target.cell}: {target.axis} {target.good} -> {target.bad}, "
        f"{len(releases)} releases in between, {len(target.clusters)} cluster(s)"
    )
    if not releases:
        return search.findings()
    good = expand.make_cell({**target.axes, target.axis: target.good}, baseline=True)
    cells = {r: expand.make_cell({**target.axes, target.axis: r}) for r in releases}
    sub = replace(
        plan,
        name=f"{plan.name}-bisect",
        cells=(good, *cells.values()),
        pruned=(),
        resolved={},
        baseline_defaults=(),
    )
    where = rundir.create(run_dir / "bisect", sub, point_latest=False)
    while (release := search.next_release()) is not None:
        cell = cells[release]
        request = runner.RunRequest(
            sub, where.path.parent, jobs, only=(cell.id,), resume=where.path, report=False
        )
        runner.execute(request)
        result = load_cell_result(where, cell.id)
        if result is None or result.status not in RAN:
            search.observe(release, None)
            say(f"  {target.axis} {release}: could not run, left out")
            continue
        failing = {t: signature(result.failures.get(t)) for t in result.failing_tests}
        search.observe(release, failing)
        shown = sorted(search.shown[release])
        say(
            f"  {target.axis} {release}: " + ("; ".join(shown) if shown else "none of the clusters")
        )
    return search.findings(str(where.path))


def between(client: IndexClient, plan: Plan, target: Target) -> tuple[list[str], dict[str, str]]:
    """The releases strictly between the good and the bad value, oldest first, that the
    cell's interpreter can install (no pre-releases, nothing yanked), and each one's
    upload date."""
    project = client.project(target.axis)
    low, high = _version(target.good), _version(target.bad)
    python = target.axes.get("python", "")
    where = feasibility.target(plan.image_family, python)
    found, uploaded = [], {}
    for release in project.releases:
        version = Version(release.version)
        uploaded[release.version] = release.uploaded
        if not low < version < high or version.is_prerelease or release.yanked:
            continue
        if feasibility.release_problem(target.axis, release, where) is None:
            found.append(release.version)
    return found, uploaded


def _version(value: str) -> Version:
    try:
        return Version(value)
    except InvalidVersion:
        return value_key(value)


def _record(run_dir: Path, found: Sequence[FirstBad]) -> None:
    """bisect.json: what this bisection found, and what earlier ones found for others."""
    done = {(f.cell, f.axis) for f in found}
    kept = [f for f in load_first_bad(run_dir / BISECT_FILE) if (f.cell, f.axis) not in done]
    data = {"schema": BISECT_SCHEMA, "first_bad": [f.to_dict() for f in [*kept, *found]]}
    write_text(run_dir / BISECT_FILE, json.dumps(data, indent=2) + "\n")


# --------------------------------------------------------------------------- the command


def add_command(commands: SubParsers, epilog: str, positive: Callable[[str], int]) -> None:
    """``oxzep7 bisect RUN_DIR CELL`` on the CLI's subcommands."""
    bisect = commands.add_parser(
        "bisect",
        help="name the first release of a culprit axis that breaks a cell",
        description="For CELL of the run in RUN_DIR, whose regressions a dependency change "
        "explains (say click 7.1.2 -> 8.1.8): run the releases in between (from the package "
        "index, oldest first, bisected) on CELL's other axes and name the first release in "
        "which each failure cluster appears, with its upload date. The runs go to "
        "RUN_DIR/bisect/, the findings to RUN_DIR/bisect.json and every report of RUN_DIR.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bisect.add_argument("run_dir", type=Path, help="run directory (e.g. .oxzep7/runs/latest)")
    bisect.add_argument("cell", help="the failing cell's id")
    bisect.add_argument("--index-url", metavar="URL", help="PEP 691 index (default: PyPI)")
    bisect.add_argument("-j", "--jobs", type=positive, default=1, help=argparse.SUPPRESS)
    bisect.set_defaults(func=cmd_bisect)


def cmd_bisect(args: argparse.Namespace) -> int:
    say(bisect(args.run_dir, args.cell, index_url=args.index_url, jobs=args.jobs))
    return 0


def say(found: Sequence[FirstBad]) -> None:
    """One line per first bad release found."""
    lines = [f"first bad release: {f.cell}: {f.text}" for f in found]
    console.lines(lines or ["bisect: nothing to bisect"])
