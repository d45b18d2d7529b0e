"""The ``oxzep7`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from orchestrator import (
    __version__,
    bisecting,
    cli_assess,
    cli_nightly,
    conclude,
    console,
    environment,
    report,
    runner,
    verdict,
)
from orchestrator.build import bases, engine
from orchestrator.cli_args import EPILOG, SubParsers, positive
from orchestrator.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_CELLS_FAILED,
    EXIT_INTERRUPTED,
    ConfigError,
    Oxzep7Error,
)
from orchestrator.history import series
from orchestrator.models import Plan
from orchestrator.plan import resolve
from orchestrator.plan.index import choose_url
from orchestrator.plan.matrix import load_matrix
from orchestrator.report import terminal
from orchestrator.run import basephase, results
from orchestrator.run.rundir import DEFAULT_ROOT, write_text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxzep7",
        description="Find the interpreter and dependency versions a Python project can "
        "safely move to: expand a YAML matrix into cells, build one Docker image per "
        "cell, run the project's tests in each, and collate the results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"oxzep7 {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="show the cells a matrix expands to (no Docker)",
        description="Validate MATRIX and print the cells it expands "
        "to. Touches nothing but the matrix file and the project path.",
    )
    _plan_arguments(plan, frozen=True)
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(func=cmd_plan)

    _run_parser(commands)

    bisecting.add_command(commands, EPILOG, positive)

    base = commands.add_parser(
        "bases",
        help="build the interpreter base images a matrix needs",
        description="Build (or reuse) the interpreter base images of "
        "MATRIX, including Debian root filesystems made with "
        "mmdebstrap where no registry is reachable.",
    )
    _plan_arguments(base)
    base.add_argument(
        "--refresh",
        action="store_true",
        help="rebuild even when an image exists (picks up new Debian packages)",
    )
    base.set_defaults(func=cmd_bases)

    _report_parser(commands)

    cli_assess.assess_commands(commands)

    schema = commands.add_parser(
        "schema",
        help="print the matrix file's JSON Schema",
        description="Print the JSON Schema of matrix files, for "
        "editors (yaml-language-server) and CI checks.",
    )
    schema.set_defaults(func=cmd_schema)
    cli_nightly.add_commands(commands, _plan_arguments)
    return parser


def _run_parser(commands: SubParsers) -> None:
    run = commands.add_parser(
        "run",
        help="build and test every cell, then summarize",
        description="Build what is missing, run the tests of every cell "
        "in its own container (through nox), write everything to a run "
        "directory and print a summary.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _plan_arguments(run, frozen=True)
    run.add_argument(
        "-j", "--jobs", type=positive, help="cells run at once (default: the matrix's run.jobs)"
    )
    run.add_argument(
        "--runs-dir",
        type=Path,
        default=DEFAULT_ROOT,
        help=f"where run directories go (default: {DEFAULT_ROOT})",
    )
    run.add_argument(
        "--cell",
        action="append",
        default=[],
        metavar="ID",
        help="run only this cell (repeatable, or comma-separated); see 'oxzep7 plan'",
    )
    run.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="finish an earlier run (interrupted, or the Docker daemon went away): run "
        "only its cells that did not finish, with its plan.json, into the same directory",
    )
    cli_assess.advisories_argument(run)
    cli_assess.audit_argument(run)
    run.add_argument(
        "--bisect",
        action="store_true",
        help="when a dependency change breaks a cell, run the releases in between and name "
        "the first bad one (see 'oxzep7 bisect')",
    )
    cli_nightly.run_arguments(run)
    run.set_defaults(func=cmd_run)


def _report_parser(commands: SubParsers) -> None:
    report_cmd = commands.add_parser(
        "report",
        help="render a finished run's verdict and results",
        description="Render the verdict of RUN_DIR (a directory holding results.json, e.g. "
        ".oxzep7/runs/latest): the recommended cell, why higher cells are not safe, the "
        "grid of cells and the per-test outcomes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report_cmd.add_argument("run_dir", type=Path, help="run directory (or its results.json)")
    report_cmd.add_argument(
        "-f", "--format", choices=report.FORMATS, default="terminal", help="(default: terminal)"
    )
    report_cmd.add_argument("-o", "--output", type=Path, help="write to this file, not stdout")
    report_cmd.add_argument(
        "--advisories",
        type=Path,
        metavar="DIR",
        help="check the cells' packages against this offline advisory directory (PyPA "
        "advisory-database layout) instead of the run's advisories.json",
    )
    report_cmd.set_defaults(func=cmd_report)


def _plan_arguments(parser: argparse.ArgumentParser, *, frozen: bool = False) -> None:
    """MATRIX and the options that decide how it becomes a plan (shared by commands)."""
    parser.add_argument(
        "matrix", type=Path, nargs="?" if frozen else None, help="matrix file (YAML)"
    )
    index = parser.add_argument_group("package index (for version selectors and pruning)")
    index.add_argument(
        "--index-url",
        metavar="URL",
        help="PEP 691 index (default: the matrix's 'index', $PIP_INDEX_URL, PyPI)",
    )
    index.add_argument(
        "--offline", action="store_true", help="plan from the index cache only; say what is missing"
    )
    index.add_argument(
        "--no-index",
        action="store_true",
        help="never ask the index: exact pins only; only requires-python prunes",
    )
    if frozen:
        index.add_argument(
            "--frozen",
            type=Path,
            metavar="PLAN_JSON",
            help="replay a recorded plan.json (no YAML, no index)",
        )
        index.add_argument(
            "--project-dir",
            type=Path,
            metavar="DIR",
            help="with --frozen: the project is in DIR, not where plan.json says (a CI job "
            "checks it out elsewhere than the job that planned)",
        )


def _plan(args: argparse.Namespace) -> Plan:
    """The plan the command line asks for: replayed, pins only, or resolved on the index."""
    return _plan_and_index(args)[0]


def _plan_and_index(args: argparse.Namespace) -> tuple[Plan, str | None]:
    """The plan, and the index it was resolved on (None: none was asked)."""
    if getattr(args, "project_dir", None) and not getattr(args, "frozen", None):
        raise ConfigError("--project-dir goes with --frozen PLAN_JSON")
    index = None if args.no_index else choose_url(args.index_url)
    if getattr(args, "frozen", None):
        return resolve.load_frozen(args.frozen, args.project_dir), index
    if args.matrix is None:
        raise ConfigError("give a MATRIX file (or --frozen PLAN_JSON)")
    matrix = load_matrix(args.matrix)
    plan = resolve.plan_matrix(
        matrix,
        index_url=args.index_url,
        offline=args.offline,
        use_index=not args.no_index,
    )
    return plan, None if args.no_index else choose_url(args.index_url, matrix.index)


def cmd_plan(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        console.lines(console.resolved_lines(plan))
        console.out.print(console.plan_table(plan))
        console.lines([_baseline_line(plan)])
    return 0


def _baseline_line(plan: Plan) -> str:
    """Which cell is the baseline, and which of its values the planner chose."""
    cell = plan.baseline
    if cell is None:
        return "no baseline cell"
    if not plan.baseline_defaults:
        return f"baseline: {cell.id}"
    chosen = ", ".join(f"{axis} {cell.axes[axis]}" for axis in plan.baseline_defaults)
    return f"baseline: {cell.id} ({chosen}: the lowest that works; set 'baseline:' to choose)"


def cmd_run(args: argparse.Namespace) -> int:
    if args.resume:
        plan, index = _resumed_plan(args), series.meta(args.resume).get("index")
    else:
        plan, index = _plan_and_index(args)
    pruned = {p.cell.id: p.reason for p in plan.pruned}
    args.cell = [c.strip() for given in args.cell for c in given.split(",") if c.strip()]
    for cell_id in args.cell:
        if cell_id in pruned:
            raise ConfigError(f"cell {cell_id!r} is infeasible: {pruned[cell_id]}")
        if cell_id not in {cell.id for cell in plan.cells}:
            raise ConfigError(f"no cell {cell_id!r} in the plan; see 'oxzep7 plan'")
    request = runner.RunRequest(
        plan=plan,
        runs_root=args.runs_dir,
        jobs=args.jobs or plan.run.jobs,
        only=tuple(args.cell),
        resume=args.resume,
        advisories=cli_assess.advisory_source(args),
        engines=tuple(args.engine),
        rerun=args.rerun,
        fail_on=args.fail_on,
        index_url=index,
    )
    code = runner.execute(request)
    if args.bisect and code == EXIT_CELLS_FAILED:
        run_dir = args.resume or (args.runs_dir / "latest")
        bisecting.say(bisecting.bisect_all(run_dir, index_url=args.index_url))
    return code


def _resumed_plan(args: argparse.Namespace) -> Plan:
    """The plan an earlier run recorded: a resumed run does exactly what it set out to."""
    if args.matrix is not None or args.frozen is not None:
        raise ConfigError(
            "--resume RUN_DIR takes its plan from RUN_DIR; give no MATRIX or --frozen"
        )
    return resolve.load_frozen(args.resume / "plan.json")


def _indented(message: str) -> None:
    console.out.print(f"  {message}")


def cmd_bases(args: argparse.Namespace) -> int:
    plan = _plan(args)
    client = engine.connect()
    env = environment.from_host()
    options = bases.BaseOptions(DEFAULT_ROOT.parent / "bases", args.refresh, _indented)

    def one(python: str) -> None:
        started = time.monotonic()
        base = bases.ensure_base(client, plan.image_family, python, env, options)
        took = f" in {time.monotonic() - started:.0f} s" if base.built else ""
        console.out.print(f"py{python}: {'built' if base.built else 'present'} {base.tag}{took}")

    # All at once, as `oxzep7 run` does: a base build mostly waits on the network and disk.
    with ThreadPoolExecutor(max_workers=basephase.AT_ONCE) as pool:
        for done in [pool.submit(one, python) for python in plan.pythons]:
            done.result()  # the first error, as raised
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from orchestrator.assess import advisories, exposure

    run = results.load(args.run_dir)
    known = exposure.load(args.run_dir)
    if args.advisories is not None:
        if not args.advisories.is_dir():
            raise ConfigError(f"--advisories {args.advisories}: not a directory")
        allow = known.allow if known is not None else True
        database = advisories.OfflineDatabase(args.advisories)
        known = exposure.check_run(run, database, allow=allow)
    judgement = verdict.compute(run, exposure=known)
    folder = args.run_dir.parent if args.run_dir.name == "results.json" else args.run_dir
    section = conclude.section_for(folder)
    sections = [section] if section is not None else []
    if args.format == "terminal" and args.output is None:
        terminal.print_terminal(console.out, run, judgement)
        for item in sections:
            console.out.print()
            console.lines(item.text())
        return 0
    text = report.render(args.format, run, judgement, sections)
    if args.output is None:
        sys.stdout.write(text)  # every format leaves no control character raw
        return 0
    _write_output(args.output, text)
    console.lines([f"wrote {args.output}"])
    return 0


def _write_output(path: Path, text: str) -> None:
    """Write the report to ``-o PATH``; a path that cannot take it is a usage error."""
    if path.is_dir():
        raise ConfigError(f"-o {path}: is a directory; name a file to write")
    try:
        write_text(path, text)
    except OSError as exc:
        raise ConfigError(f"-o {path}: cannot write it: {exc.strerror or exc}") from None


def cmd_schema(args: argparse.Namespace) -> int:
    print(resources.files("orchestrator").joinpath("resources/matrix.schema.json").read_text())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # rich handles a closed stdout itself (exit 1); one handling for all output: below.
    console.out.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except Oxzep7Error as exc:
        console.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`oxzep7 plan --json | head -1`): stop quietly, as a
        # program killed by SIGPIPE would. Python flushes stdout once more on exit, so
        # point it at /dev/null first (the recipe of the signal module's documentation).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _broken_pipe() -> None:
    console.out.quiet = True
    raise BrokenPipeError


if __name__ == "__main__":
    sys.exit(main())
