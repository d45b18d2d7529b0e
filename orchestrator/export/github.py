"""``oxzep7 export github-actions MATRIX``: a GitHub Actions workflow that plans once,
runs one cell per job and collates the cells into one run with every report.

    plan     oxzep7 plan MATRIX --json > plan.json; the cell list as a job output
    cell     matrix: include: ${{ fromJSON(needs.plan.outputs.cells) }}, fail-fast: false;
             oxzep7 run --frozen plan.json --project-dir ... --cell IDS; the cell folder
             uploaded as artifact oxzep7-cell-NNN
    collate  if: always(); downloads oxzep7-cell-* (merge-multiple), restores the earlier
             runs (actions/cache) so the diff has a previous run, oxzep7 collate, and
             report.md into the job summary

A cell job fails only when its run could not happen (exit 2 and up); whether failing
cells fail the workflow is the collate job's ``--fail-on`` (``new`` by default: a nightly
run goes red on news, not on known breakage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.export import cells, yamltext

PYTHON = "3.12"
RUNS = ".oxzep7/runs"


@dataclass(frozen=True)
class Options:
    layout: cells.Layout
    name: str
    install: str = "oxzep7"  # what `pip install` gets oxzep7 from
    cron: str = "17 3 * * *"
    fail_on: str = "new"
    max_jobs: int = cells.GITHUB_MAX_JOBS
    family: str = "debian"  # debian needs mmdebstrap, as root


def workflow(options: Options) -> str:
    """The workflow file's text."""
    document: dict[str, Any] = {
        "name": f"oxzep7 {options.name}",
        "on": {"schedule": [{"cron": options.cron}], "workflow_dispatch": {}},
        "permissions": {"contents": "read"},
        "env": {
            "OXZEP7_MATRIX": options.layout.matrix,
            "OXZEP7_PROJECT": options.layout.project,
            "PYTHONUNBUFFERED": "1",
        },
        "jobs": {"plan": _plan(options), "cell": _cell(options), "collate": _collate(options)},
    }
    header = "# Written by `oxzep7 export github-actions`; cells, caps and reports: README.md\n"
    return header + yamltext.dump(document)


def _setup(options: Options) -> list[dict[str, Any]]:
    return [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON}},
        {
            "name": "Install oxzep7",
            "run": f"python -m pip install {yamltext.shell(options.install)}",
        },
    ]


def _plan(options: Options) -> dict[str, Any]:
    return {
        "runs-on": "ubuntu-latest",
        "outputs": {"cells": "${{ steps.cells.outputs.cells }}"},
        "steps": [
            *_setup(options),
            {
                "name": "Resolve the plan once",
                "run": 'oxzep7 plan "$OXZEP7_MATRIX" --json > plan.json',
            },
            {
                "name": "The cell list",
                "id": "cells",
                "run": 'echo "cells=$(oxzep7 export cells plan.json --max-jobs '
                f'{options.max_jobs})" >> "$GITHUB_OUTPUT"',
            },
            {
                "uses": "actions/upload-artifact@v4",
                "with": {"name": "oxzep7-plan", "path": "plan.json"},
            },
        ],
    }


def _cell(options: Options) -> dict[str, Any]:
    # mmdebstrap needs root: the debian family's runs (and their files) are root's.
    sudo = 'sudo --preserve-env env "PATH=$PATH" ' if options.family == "debian" else ""
    root = "sudo " if sudo else ""
    steps = _setup(options)
    if options.family == "debian":
        steps.append(
            {
                "name": "mmdebstrap (Debian root filesystems for the interpreter bases)",
                # The runner is Ubuntu: mmdebstrap checks a Debian mirror with Debian's keys.
                "run": "sudo apt-get update -q && sudo apt-get install -y -q mmdebstrap "
                "debian-archive-keyring",
            }
        )
    run = (
        f'{sudo}oxzep7 run --frozen plan.json --project-dir "$GITHUB_WORKSPACE/$OXZEP7_PROJECT" '
        '--runs-dir runs --cell "$CELLS" || [ "$?" -eq 1 ]'
    )
    steps += [
        {"uses": "actions/download-artifact@v4", "with": {"name": "oxzep7-plan"}},
        {"name": "Run the cells", "env": {"CELLS": "${{ matrix.cells }}"}, "run": run},
        {
            "name": "Keep the cell folders",
            "if": "always()",
            "run": f"mkdir -p out && {root}cp -R runs/latest/cells/. out/ "
            f"&& {root}chmod -R a+rX out",
        },
        {
            "uses": "actions/upload-artifact@v4",
            "if": "always()",
            "with": {
                "name": "oxzep7-cell-${{ matrix.name }}",
                "path": "out/",
                "if-no-files-found": "error",
            },
        },
    ]
    return {
        "name": "cell ${{ matrix.label }}",
        "needs": "plan",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 120,
        "strategy": {
            "fail-fast": False,
            "matrix": {"include": "${{ fromJSON(needs.plan.outputs.cells) }}"},
        },
        "steps": steps,
    }


def _collate(options: Options) -> dict[str, Any]:
    collate = (
        'oxzep7 collate cells --plan plan.json --project-dir "$GITHUB_WORKSPACE/$OXZEP7_PROJECT" '
        f"--fail-on {options.fail_on}"
    )
    return {
        "needs": ["plan", "cell"],
        "if": "always() && needs.plan.result == 'success'",
        "runs-on": "ubuntu-latest",
        "steps": [
            *_setup(options),
            {"uses": "actions/download-artifact@v4", "with": {"name": "oxzep7-plan"}},
            {
                "uses": "actions/download-artifact@v4",
                "with": {"pattern": "oxzep7-cell-*", "merge-multiple": True, "path": "cells"},
            },
            {
                "name": "Earlier runs (for the diff with the previous run)",
                "uses": "actions/cache/restore@v4",
                "with": {
                    "path": RUNS,
                    "key": "oxzep7-runs-${{ github.run_id }}",
                    "restore-keys": "oxzep7-runs-",
                },
            },
            {"name": "Collate the cells", "id": "collate", "run": collate},
            {
                "name": "Report in the job summary",
                "if": "always()",
                "run": f'cat {RUNS}/latest/report.md >> "$GITHUB_STEP_SUMMARY" || true',
            },
            {
                "uses": "actions/cache/save@v4",
                "if": "always()",
                "with": {"path": RUNS, "key": "oxzep7-runs-${{ github.run_id }}"},
            },
            {
                "name": "The run directory",
                "if": "always()",
                "run": f"cp -RL {RUNS}/latest oxzep7-run || true",
            },
            {
                "uses": "actions/upload-artifact@v4",
                "if": "always()",
                "with": {"name": "oxzep7-run", "path": "oxzep7-run/", "if-no-files-found": "warn"},
            },
        ],
    }
