"""``oxzep7 export gitlab MATRIX``: GitLab CI that plans once, runs the cells in a child
pipeline it generates, and collates them.

Parent (.gitlab-ci.yml):
    oxzep7-plan     oxzep7 plan MATRIX --json > plan.json; oxzep7 export gitlab-cells
                    plan.json > oxzep7-cells.yml (the child pipeline), both as artifacts
    oxzep7-cells    trigger: include: artifact: oxzep7-cells.yml, strategy: depend
Child (oxzep7-cells.yml, made from the plan, so new releases picked by selectors are in it):
    oxzep7-cell     parallel: matrix: one entry per cell (chunks past GitLab's 200),
                    Docker-in-Docker, oxzep7 run --frozen plan.json --cell IDS
    oxzep7-collate  when: always, in a later stage: it gets every cell job's artifacts;
                    oxzep7 collate, the run directory exposed as "oxzep7 report"

Nightly: add a pipeline schedule (CI/CD > Schedules); GitLab has no schedule in YAML.
"""

from __future__ import annotations

from typing import Any

from orchestrator.export import cells, yamltext
from orchestrator.export.github import Options
from orchestrator.models import Plan

IMAGE = "python:3.12"
DIND = "docker:24-dind"
RUNS = ".oxzep7/runs"


def parent(options: Options) -> str:
    """The .gitlab-ci.yml text."""
    document: dict[str, Any] = {
        "stages": ["plan", "cells"],
        "variables": {"OXZEP7_MATRIX": options.layout.matrix},
        "oxzep7-plan": {
            "stage": "plan",
            "image": IMAGE,
            "script": [
                _install(options),
                'oxzep7 plan "$OXZEP7_MATRIX" --json > plan.json',
                "oxzep7 export gitlab-cells plan.json "
                f"--project {yamltext.shell(options.layout.project)} "
                f"--install {yamltext.shell(options.install)} --fail-on {options.fail_on} "
                f"--max-jobs {options.max_jobs} > oxzep7-cells.yml",
            ],
            "artifacts": {"paths": ["plan.json", "oxzep7-cells.yml"]},
        },
        "oxzep7-cells": {
            "stage": "cells",
            "needs": ["oxzep7-plan"],
            "variables": {"PARENT_PIPELINE_ID": "$CI_PIPELINE_ID"},
            "trigger": {
                "include": [{"artifact": "oxzep7-cells.yml", "job": "oxzep7-plan"}],
                "strategy": "depend",
            },
        },
    }
    header = "# Written by `oxzep7 export gitlab`; schedule it in CI/CD > Schedules\n"
    return header + yamltext.dump(document)


def child(plan: Plan, options: Options) -> str:
    """The child pipeline that runs the plan's cells and collates them."""
    project = f'"$CI_PROJECT_DIR"/{yamltext.shell(options.layout.project)}'
    jobs = cells.jobs(plan, options.max_jobs)
    run = (
        f"oxzep7 run --frozen plan.json --project-dir {project} --runs-dir runs "
        '--cell "$CELLS" || [ "$?" -eq 1 ]'
    )
    document: dict[str, Any] = {
        "stages": ["cells", "collate"],
        "oxzep7-cell": {
            "stage": "cells",
            "image": IMAGE,
            "services": [DIND],
            "variables": {"DOCKER_HOST": "tcp://docker:2375", "DOCKER_TLS_CERTDIR": ""},
            "needs": [{"pipeline": "$PARENT_PIPELINE_ID", "job": "oxzep7-plan"}],
            "parallel": {"matrix": [{"CELLS": [",".join(job.cells) for job in jobs]}]},
            "script": [
                _install(options),
                *_rootfs_tool(options),
                run,
                'mkdir -p "out/$CI_JOB_ID" && cp -R runs/latest/cells/. "out/$CI_JOB_ID/"',
                "cp plan.json out/plan.json",
            ],
            "artifacts": {"when": "always", "paths": ["out/"]},
        },
        "oxzep7-collate": {
            "stage": "collate",
            "image": IMAGE,
            "when": "always",
            "script": [
                _install(options),
                f"oxzep7 collate out --plan out/plan.json --project-dir {project} "
                f"--fail-on {options.fail_on}",
            ],
            "after_script": [f"cp -RL {RUNS}/latest oxzep7-report || true"],
            "cache": {"key": "oxzep7-runs", "paths": [RUNS]},
            "artifacts": {
                "when": "always",
                "expose_as": "oxzep7 report",
                "paths": ["oxzep7-report/"],
            },
        },
    }
    header = "# Written by `oxzep7 export gitlab-cells` from plan.json\n"
    return header + yamltext.dump(document)


def _install(options: Options) -> str:
    return f"python -m pip install {yamltext.shell(options.install)}"


def _rootfs_tool(options: Options) -> list[str]:
    """mmdebstrap, which builds the debian family's root filesystems (as root)."""
    if options.family != "debian":
        return []
    return ["apt-get update -q && apt-get install -y -q mmdebstrap"]
