"""The command line of ``assess`` and ``try`` (orchestrator/assess): a project's own
files, no matrix file; and the advisory options ``run`` shares with them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator import console, runner
from orchestrator.cli_args import EPILOG, SubParsers, positive
from orchestrator.errors import ConfigError
from orchestrator.plan import interpreters, resolve
from orchestrator.report import terminal
from orchestrator.run.rundir import DEFAULT_ROOT


def assess_commands(commands: SubParsers) -> None:
    """``assess`` and ``try`` (orchestrator/assess): a project's own files, no matrix file."""
    assess = commands.add_parser(
        "assess",
        help="what a project uses, what is newer, end of life, advisories; --write-matrix",
        description="Read what the project at PATH declares and pins (pyproject.toml, "
        "setup.cfg, Pipfile, uv.lock, poetry.lock, Pipfile.lock, requirements files, "
        ".python-version, tox.ini, noxfile.py, CI workflows), compare every direct "
        "dependency with the package index, the interpreter with its end of life, and "
        "the versions in use with an advisory source. Builds nothing.",
    )
    assess.add_argument("path", type=Path, help="the project's directory")
    _assess_arguments(assess)
    assess.add_argument("--json", action="store_true", help="print the assessment as JSON")
    assess.add_argument(
        "--write-matrix",
        type=Path,
        metavar="FILE",
        help="write a ready matrix: baseline = what is in use, the supported interpreters, "
        "one axis per outdated dependency (oxzep7 plan|run FILE takes it as it is)",
    )
    assess.set_defaults(func=cmd_assess)

    trial = commands.add_parser(
        "try",
        help="try a proposed combination against the assessed baseline (no matrix file)",
        description="Run the project's tests on the baseline (what PATH uses today) and on "
        "the proposed combination, plus, when the proposal changes several axes, each "
        "cell that changes one axis less, so the verdict names the culprit. A normal run: "
        "run directory, verdict, reports, exit code as 'run'.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    trial.add_argument("path", type=Path, help="the project's directory")
    trial.add_argument("--python", metavar="X.Y", help="the interpreter to try")
    trial.add_argument(
        "--with",
        dest="pins",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="a dependency version to try (repeatable)",
    )
    trial.add_argument(
        "--only-proposed",
        action="store_true",
        help="run just the baseline and the proposal (no culprit when several axes change)",
    )
    _assess_arguments(trial)
    audit_argument(trial)
    trial.add_argument(
        "-j", "--jobs", type=positive, default=2, help="cells run at once (default: 2)"
    )
    trial.add_argument(
        "--runs-dir",
        type=Path,
        default=DEFAULT_ROOT,
        help=f"where run directories go (default: {DEFAULT_ROOT})",
    )
    trial.set_defaults(func=cmd_try)


def _assess_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--family",
        choices=interpreters.FAMILIES,
        default="debian",
        help="image family whose interpreters count (default: debian)",
    )
    advisories_argument(parser)
    index = parser.add_argument_group("package index")
    index.add_argument(
        "--index-url", metavar="URL", help="PEP 691 index (default: $PIP_INDEX_URL, PyPI)"
    )
    index.add_argument("--offline", action="store_true", help="use the index cache only")
    index.add_argument("--no-index", action="store_true", help="never ask the index")


def advisories_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--advisories",
        type=Path,
        metavar="DIR",
        help="an offline advisory directory in the PyPA advisory-database layout "
        "(vulns/<package>/*.yaml, OSV); default: PyPI's JSON API (latest releases only)",
    )


def audit_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audit",
        action="store_true",
        help="check every cell's packages against PyPI's JSON API (latest releases only; "
        "--advisories DIR checks against an offline directory instead)",
    )


def advisory_source(args: argparse.Namespace) -> Any:
    """--advisories DIR, else PyPI's JSON API next to the index (unless offline). A run
    (which has --audit) asks no source unless told to: a warm run must not wait on
    dozens of HTTP requests, and an offline one must not try them."""
    from orchestrator.assess import advisories
    from orchestrator.plan.index import choose_url

    if args.advisories is None and getattr(args, "audit", True) is False:
        return None

    if args.advisories is not None and not args.advisories.is_dir():
        raise ConfigError(f"--advisories {args.advisories}: not a directory")
    online = not (getattr(args, "offline", False) or getattr(args, "no_index", False))
    return advisories.source_for(args.advisories, choose_url(args.index_url), online=online)


def _assessment(args: argparse.Namespace) -> Any:
    from orchestrator.assess import assessment
    from orchestrator.plan.index import IndexClient, choose_url

    url = choose_url(args.index_url)
    client = None if args.no_index else IndexClient(url, offline=args.offline)
    source = advisory_source(args)
    return assessment.assess(args.path, client=client, advisories=source, family=args.family)


def cmd_assess(args: argparse.Namespace) -> int:
    from orchestrator.assess import show, writematrix

    found = _assessment(args)
    if args.json:
        print(show.to_json(found))
    else:
        show.print_assessment(console.out, found)
    if args.write_matrix is not None:
        setup = writematrix.write_matrix(found, args.write_matrix)
        stream = console.err if args.json else console.out
        stream.print(terminal.line(f"wrote {args.write_matrix} (oxzep7 plan {args.write_matrix})"))
        for note in setup.notes:
            stream.print(terminal.line(f"  note: {note}"))
    return 0


def cmd_try(args: argparse.Namespace) -> int:
    from orchestrator.assess import trial

    found = _assessment(args)
    proposal = trial.parse_proposal(args.python, args.pins, args.family)
    matrix, _ = trial.trial_matrix(found, proposal, only_proposed=args.only_proposed)
    console.lines([trial.describe(matrix)])
    plan = resolve.plan_matrix(
        matrix, index_url=args.index_url, offline=args.offline, use_index=not args.no_index
    )
    console.out.print(console.plan_table(plan))
    request = runner.RunRequest(
        plan=plan, runs_root=args.runs_dir, jobs=args.jobs, advisories=advisory_source(args)
    )
    return runner.execute(request)
