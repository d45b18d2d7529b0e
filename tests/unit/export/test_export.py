"""Exported CI files: the GitHub workflow (plan job with the cell list as JSON, a
fromJSON matrix with fail-fast off, a collate job that always runs and writes the job
summary, a schedule) and the GitLab parent and child pipelines pass their published
schemas (check-jsonschema's vendored ones); cells are chunked under each CI's cap."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestrator.export import cells, github, gitlab
from orchestrator.models import Cell, Plan, Project, RunOptions
from tests.conftest import EXAMPLE, ROOT, oxzep7


def plan_of(count: int) -> Plan:
    made = tuple(
        Cell(f"py3.11-pkg1.{n}", "3.11", {"pkg": f"1.{n}"}, baseline=n == 0) for n in range(count)
    )
    return Plan("big", Path("m.yaml"), Project(EXAMPLE), "debian", (), RunOptions(), made)


@pytest.mark.parametrize(
    ("count", "cap", "jobs"),
    [(6, 256, 6), (256, 256, 256), (600, 256, 200), (401, 200, 134), (1000, 200, 200)],
)
def test_cells_are_chunked_under_the_cap(count, cap, jobs):
    plan = plan_of(count)
    found = cells.jobs(plan, cap)
    assert len(found) == jobs <= cap
    assert [c for job in found for c in job.cells] == [c.id for c in plan.cells]
    assert len({job.name for job in found}) == len(found)
    listed = json.loads(cells.matrix_json(plan, cap))
    assert listed[0]["cells"] == ",".join(found[0].cells)


def check_schema(schema: str, *files: Path) -> None:
    tool = shutil.which("check-jsonschema")
    command = [tool] if tool else [sys.executable, "-m", "check_jsonschema"]
    if (
        not tool
        and subprocess.run([*command, "--version"], capture_output=True, check=False).returncode
    ):
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [*command, "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_github_workflow_passes_the_schema_and_fans_out_as_ci_does(tmp_path):
    out = tmp_path / "oxzep7.yml"
    done = oxzep7(
        "export", "github-actions", str(ROOT / "matrices" / "example.yaml"), "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    check_schema("vendor.github-workflows", out)
    flow = yaml.safe_load(out.read_text())
    assert flow["on"]["schedule"] == [{"cron": "17 3 * * *"}]  # quoted 'on': a string key
    assert flow["env"] == {
        "OXZEP7_MATRIX": "matrices/example.yaml",
        "OXZEP7_PROJECT": "examples/sample-app",
        "PYTHONUNBUFFERED": "1",
    }
    jobs = flow["jobs"]
    assert jobs["plan"]["outputs"]["cells"] == "${{ steps.cells.outputs.cells }}"
    assert any(
        "export cells plan.json --max-jobs 256" in s.get("run", "") for s in jobs["plan"]["steps"]
    )
    strategy = jobs["cell"]["strategy"]
    assert strategy == {
        "fail-fast": False,
        "matrix": {"include": "${{ fromJSON(needs.plan.outputs.cells) }}"},
    }
    runs = [s["run"] for s in jobs["cell"]["steps"] if "run" in s]
    assert any(
        "oxzep7 run --frozen plan.json --project-dir" in r and '--cell "$CELLS"' in r for r in runs
    )
    uploads = [
        s for s in jobs["cell"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert uploads[0]["with"]["name"] == "oxzep7-cell-${{ matrix.name }}"
    collate = jobs["collate"]
    assert collate["if"].startswith("always()") and collate["needs"] == ["plan", "cell"]
    steps = collate["steps"]
    download = [s for s in steps if s.get("with", {}).get("pattern") == "oxzep7-cell-*"]
    assert download and download[0]["with"]["merge-multiple"] is True
    assert any("oxzep7 collate cells --plan plan.json" in s.get("run", "") for s in steps)
    assert any("$GITHUB_STEP_SUMMARY" in s.get("run", "") for s in steps)


def test_the_gitlab_pipelines_pass_the_schema(tmp_path):
    parent = tmp_path / ".gitlab-ci.yml"
    done = oxzep7("export", "gitlab", str(ROOT / "matrices" / "example.yaml"), "-o", str(parent))
    assert done.returncode == 0, done.stderr
    plan = tmp_path / "plan.json"
    plan.write_text(
        oxzep7("plan", str(ROOT / "matrices" / "example.yaml"), "--json", "--no-index").stdout
    )
    child = tmp_path / "oxzep7-cells.yml"
    made = oxzep7(
        "export", "gitlab-cells", str(plan), "--project", "examples/sample-app", "--max-jobs", "4"
    )
    assert made.returncode == 0, made.stderr
    child.write_text(made.stdout)
    check_schema("vendor.gitlab-ci", parent, child)
    top = yaml.safe_load(parent.read_text())
    assert top["oxzep7-cells"]["trigger"]["include"] == [
        {"artifact": "oxzep7-cells.yml", "job": "oxzep7-plan"}
    ]
    jobs = yaml.safe_load(child.read_text())
    entries = jobs["oxzep7-cell"]["parallel"]["matrix"][0]["CELLS"]
    assert len(entries) == 3 and all(e.count(",") == 1 for e in entries)
    assert jobs["oxzep7-collate"]["when"] == "always"


def test_a_value_that_would_break_the_yaml_or_the_shell_is_quoted():
    options = github.Options(
        layout=cells.Layout("m.yaml", "dir with 'quote'"),
        name="x: {y}",
        install="oxzep7 @ git+https://example.org/o.git; rm -rf /",
    )
    text = github.workflow(options)
    flow = yaml.safe_load(text)
    assert flow["name"] == "oxzep7 x: {y}"
    assert flow["env"]["OXZEP7_PROJECT"] == "dir with 'quote'"
    install = flow["jobs"]["plan"]["steps"][2]["run"]
    assert install == "python -m pip install 'oxzep7 @ git+https://example.org/o.git; rm -rf /'"
    child = yaml.safe_load(gitlab.child(plan_of(3), options))
    assert "\"$CI_PROJECT_DIR\"/'dir with '\"'\"'quote'\"'\"''" in child["oxzep7-cell"]["script"][2]
