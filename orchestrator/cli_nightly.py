"""The command line of nightly runs and of runs beyond one machine: ``run``'s options for
them, and ``history``, ``diff``, ``collate`` and ``export``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from orchestrator import console, history
from orchestrator.cli_args import EPILOG, SubParsers
from orchestrator.conclude import conclude
from orchestrator.errors import ConfigError
from orchestrator.export import cells, github, gitlab
from orchestrator.history import failon, series
from orchestrator.history.render import DiffSection
from orchestrator.plan import resolve
from orchestrator.plan.index import choose_url
from orchestrator.plan.matrix import load_matrix
from orchestrator.run import collate, engines, rundir
from orchestrator.run.rundir import DEFAULT_ROOT, write_text
from orchestrator.sanitize import clean
from orchestrator.verdict import compute


def run_arguments(run: argparse.ArgumentParser) -> None:
    """``oxzep7 run``'s options for schedules and several engines."""
    run.add_argument(
        "--rerun",
        action="store_true",
        help="run every cell afresh; by default a cell whose inputs (image content, test "
        "command, environment, run options) are all unchanged reuses its last result",
    )
    _fail_on(run)
    run.add_argument(
        "--engine",
        action="append",
        default=[],
        metavar="URL",
        type=_engine_url,
        help="a Docker engine to spread the cells over (repeatable; as DOCKER_HOST: "
        "unix:///path.sock, tcp://host:2376, ssh://user@host); each engine builds what its "
        "cells need and runs -j cells at once",
    )


def _fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-on", choices=failon.MODES, default="any", help=failon.HELP)


def _engine_url(text: str) -> str:
    try:
        return engines.check_url(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_commands(commands: SubParsers, plan_arguments: Callable[..., None]) -> None:
    history_cmd = commands.add_parser(
        "history",
        help="list the runs of a matrix (date, passed/failed cells, recommendation)",
        description="List the runs of MATRIX (default: the matrix of the latest run) in "
        "the runs directory, oldest first.",
    )
    history_cmd.add_argument("matrix", type=Path, nargs="?", help="matrix file (YAML)")
    _runs_dir(history_cmd)
    history_cmd.set_defaults(func=cmd_history)

    diff = commands.add_parser(
        "diff",
        help="what changed between two runs of a matrix",
        description="Cells whose status changed, tests that newly fail or pass, resolved "
        "versions that changed in each cell (with upload dates) and new upstream releases "
        "that entered through selectors. RUN_B defaults to the latest run, RUN_A to the "
        "run of the same matrix before RUN_B.",
    )
    diff.add_argument("runs", type=Path, nargs="*", metavar="RUN", help="[RUN_A] [RUN_B]")
    _runs_dir(diff)
    diff.add_argument("--offline", action="store_true", help="upload dates from the cache only")
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")
    diff.set_defaults(func=cmd_diff)

    _collate_parser(commands)
    _export_parsers(commands)


def _runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=DEFAULT_ROOT,
        help=f"where run directories are (default: {DEFAULT_ROOT})",
    )


def _collate_parser(commands: SubParsers) -> None:
    cmd = commands.add_parser(
        "collate",
        help="merge cell folders made on separate machines into one run",
        description="Merge the cell folders under DIR... (each written by 'oxzep7 run "
        "--frozen plan.json --cell ID', e.g. in a CI job) into one run directory with "
        "results.json, the verdict and every report. A cell from another plan is an error.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("dirs", type=Path, nargs="+", metavar="DIR")
    cmd.add_argument("--plan", type=Path, required=True, metavar="PLAN_JSON")
    cmd.add_argument("--project-dir", type=Path, metavar="DIR", help="where the project is")
    _runs_dir(cmd)
    cmd.add_argument("--index-url", metavar="URL", help="index for upload dates in the diff")
    cmd.add_argument("--no-index", action="store_true", help="no upload dates")
    _fail_on(cmd)
    cmd.set_defaults(func=cmd_collate)


def _export_parsers(commands: SubParsers) -> None:
    export = commands.add_parser(
        "export",
        help="write a CI workflow running one cell per job (GitHub Actions, GitLab CI)",
        description="Write CI configuration that plans once, runs one cell per job (in "
        "chunks past the CI's cap: GitHub 256 jobs per matrix, GitLab 200) and collates "
        "the cells into one run with every report.",
    )
    kinds = export.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, what in (("github-actions", "a GitHub Actions workflow"), ("gitlab", "GitLab CI")):
        cmd = kinds.add_parser(name, help=f"{what} for MATRIX")
        cmd.add_argument("matrix", type=Path, help="matrix file (YAML)")
        cmd.add_argument("-o", "--output", type=Path, help="write to this file, not stdout")
        cmd.add_argument("--cron", default="17 3 * * *", help="schedule (GitHub; default nightly)")
        _export_options(cmd, cells.GITHUB_MAX_JOBS if name == "github-actions" else 200)
        cmd.set_defaults(func=cmd_export)
    for name, cap, what in (
        ("cells", cells.GITHUB_MAX_JOBS, "the cell list of PLAN_JSON as a GitHub matrix"),
        ("gitlab-cells", cells.GITLAB_MAX_JOBS, "the GitLab child pipeline of PLAN_JSON"),
    ):
        cmd = kinds.add_parser(name, help=what)
        cmd.add_argument("plan", type=Path, metavar="PLAN_JSON")
        cmd.add_argument("--project", default=".", help="the project, relative to the checkout")
        _export_options(cmd, cap)
        cmd.set_defaults(func=cmd_export_cells)


def _export_options(cmd: argparse.ArgumentParser, cap: int) -> None:
    cmd.add_argument("--max-jobs", type=int, default=cap, help=f"jobs per matrix (default {cap})")
    cmd.add_argument("--install", default="oxzep7", help="what pip installs oxzep7 from")
    cmd.add_argument(
        "--fail-on", choices=failon.MODES, default="new", help="the collate job's (default new)"
    )


# --------------------------------------------------------------------------- commands


def cmd_history(args: argparse.Namespace) -> int:
    root: Path = args.runs_dir
    name = load_matrix(args.matrix).name if args.matrix else series.latest(root).results.name
    runs = series.series(root, name)
    if not runs:
        raise ConfigError(f"no runs of {name!r} in {root}")
    console.lines([f"{name}: {len(runs)} runs in {root}"])
    for run in runs:
        summary = run.results.summary
        judged = compute(run.results)
        recommended = judged.recommended or "none"
        console.lines(
            [
                f"  {run.started}  {run.run_id}  passed {summary['passed']}, failed "
                f"{summary['failed'] + summary['error'] + summary['timeout']}, not run "
                f"{summary['not_run']}; recommended: {recommended}"
            ]
        )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    if len(args.runs) > 2:
        raise ConfigError("give at most two runs: [RUN_A] [RUN_B]")
    after = series.load_run(args.runs[-1]) if args.runs else series.latest(args.runs_dir)
    before = series.load_run(args.runs[0]) if len(args.runs) == 2 else series.previous(after)
    if before is None:
        raise ConfigError(f"no earlier run of {after.results.name!r} before {after.path}")
    lookup = history.index_lookup(after.path, offline=args.offline)
    diff = history.between(before, after, lookup)
    section = DiffSection(diff)
    if args.json:
        print(json.dumps(section.data(), indent=2, ensure_ascii=True))
    else:
        console.lines(section.text())
    return 0


def cmd_collate(args: argparse.Namespace) -> int:
    plan = resolve.load_frozen(args.plan, args.project_dir)
    collate.find(plan, args.dirs)  # every problem before a run directory is made
    run = rundir.create(args.runs_dir.resolve(), plan)
    merged = collate.merge(plan, args.dirs, run)
    collate.mark_origin(run, plan, merged)
    index = None if args.no_index else choose_url(args.index_url)
    if index:
        rundir.write_json(run.path / series.META_FILE, {"index": index, "collated": "yes"})
    console.lines([f"collated {len(merged)} of {len(plan.cells)} cells into {run.path}"])
    lookup = history.index_lookup(run.path)
    end = conclude(run, fail_on=args.fail_on, lookup=lookup)
    return failon.exit_code(end.failures)


def cmd_export(args: argparse.Namespace) -> int:
    matrix = load_matrix(args.matrix)
    options = github.Options(
        layout=cells.layout(args.matrix, matrix.project.path),
        name=matrix.name,
        install=args.install,
        cron=args.cron,
        fail_on=args.fail_on,
        max_jobs=args.max_jobs,
        family=matrix.image_family,
    )
    text = github.workflow(options) if args.kind == "github-actions" else gitlab.parent(options)
    _emit(text, args.output)
    return 0


def cmd_export_cells(args: argparse.Namespace) -> int:
    plan = resolve.load_frozen(args.plan)
    if args.kind == "cells":
        print(cells.matrix_json(plan, args.max_jobs))
        return 0
    options = github.Options(
        layout=cells.Layout(matrix="", project=args.project),
        name=plan.name,
        install=args.install,
        fail_on=args.fail_on,
        max_jobs=args.max_jobs,
        family=plan.image_family,
    )
    _emit(gitlab.child(plan, options), None)
    return 0


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        print(text, end="")
        return
    write_text(output, text)
    console.lines([f"wrote {clean(str(output))}"])
