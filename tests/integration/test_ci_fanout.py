"""The exported CI fan-out, played job by job on this machine as CI would run it: a plan
job resolves plan.json once (on "another machine": its project path does not exist
here), each matrix job is a separate process with its own runs directory running its
chunk of cells with ``--frozen plan.json --project-dir``, every job's cell folders are
merged as artifacts are, and ``oxzep7 collate`` gives the verdict a single-machine run
gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT, oxzep7

pytestmark = pytest.mark.docker

MATRIX = ROOT / "matrices" / "example.yaml"


def verdict_of(run: Path) -> dict[str, object]:
    """What a verdict says, without what names the run."""
    data = json.loads((run / "verdict.json").read_text())
    return {
        "recommended": data["recommended"],
        "safe": data["safe"],
        "order": data["order"],
        "cells": {c["id"]: (c["status"], c["safe"], c["regressions"]) for c in data["cells"]},
        "blockers": [(b["cell"], b["culprits"]) for b in data["blockers"]],
    }


def test_jobs_played_one_by_one_then_collated_give_the_single_machine_verdict(tmp_path):
    # The plan job resolves the plan once and lists the cells for the matrix job.
    planned = oxzep7("plan", str(MATRIX), "--json")
    assert planned.returncode == 0, planned.stderr
    (tmp_path / "planned.json").write_text(planned.stdout)
    listed = oxzep7("export", "cells", str(tmp_path / "planned.json"), "--max-jobs", "4")
    jobs = json.loads(listed.stdout)
    assert len(jobs) == 3 and sum(len(j["cells"].split(",")) for j in jobs) == 6
    # It ran on another machine: there the project was checked out elsewhere.
    data = json.loads(planned.stdout)
    data["project"]["path"] = "/home/runner/work/app/app/examples/sample-app"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    stuck = oxzep7("run", "--frozen", str(plan), "--cell", jobs[0]["cells"])
    assert stuck.returncode == 7 and "project.path" in stuck.stderr

    artifacts = tmp_path / "artifacts"
    for job in jobs:  # each a fresh machine: its own runs directory, no shared results
        runs = tmp_path / f"job-{job['name']}" / "runs"
        done = oxzep7(
            *("run", "--frozen", str(plan), "--project-dir", str(EXAMPLE)),
            *("--runs-dir", str(runs), "--cell", job["cells"]),
        )
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert "cached" not in done.stdout.split("\n")[0]
        shutil.copytree(runs / "latest" / "cells", artifacts, dirs_exist_ok=True)

    collated_runs = tmp_path / "collated"
    collated = oxzep7(
        *("collate", str(artifacts), "--plan", str(plan), "--project-dir", str(EXAMPLE)),
        *("--runs-dir", str(collated_runs), "--no-index"),
    )
    assert collated.returncode == 1, collated.stdout + collated.stderr  # cells fail: "any"
    assert "collated 6 of 6 cells" in collated.stdout
    single_runs = tmp_path / "single"
    single = oxzep7("run", str(MATRIX), "--runs-dir", str(single_runs), "--rerun")
    assert single.returncode == 1, single.stdout + single.stderr
    assert verdict_of(collated_runs / "latest") == verdict_of(single_runs / "latest")
    assert verdict_of(collated_runs / "latest")["recommended"] == "py3.11-click7.1.2"
    for name in ("report.md", "report.html", "junit.xml", "results.json"):
        assert (collated_runs / "latest" / name).is_file()

    # A cell of another plan is refused, naming its folder.
    other = dict(data, constraints=["pytest==8.3.4"])
    other_plan = tmp_path / "other.json"
    other_plan.write_text(json.dumps(other))
    refused = oxzep7(
        *("collate", str(artifacts), "--plan", str(other_plan), "--project-dir", str(EXAMPLE)),
        *("--runs-dir", str(tmp_path / "refused"), "--no-index"),
    )
    assert refused.returncode == 2
    assert "comes from another plan" in refused.stderr
    assert not (tmp_path / "refused").exists()  # nothing made before the check
