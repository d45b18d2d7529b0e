"""The assessment against a package index (a local one, answering like PyPI's JSON
simple API with upload times), the matrix it writes, and what the planner makes of it."""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.assess.advisories import AFFECTED, UNKNOWN, NoSource, OfflineDatabase
from orchestrator.assess.assessment import assess
from orchestrator.assess.writematrix import write_matrix
from orchestrator.models import PYTHON_AXIS
from orchestrator.plan import resolve
from orchestrator.plan.index import IndexClient
from orchestrator.plan.matrix import load_matrix
from tests.conftest import EXAMPLE, oxzep7
from tests.indexserver import IndexServer, release
from tests.unit.assess.conftest import ADVISORIES, POETRY

TODAY = datetime.date(2026, 11, 26)


def uploaded(files: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
    return [{**f, "upload-time": f"{day}T12:00:00Z"} for f in files]


OLD_PY = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"
INDEX = {
    "click": [
        *uploaded(release("click", "7.1.2", OLD_PY), "2020-04-27"),
        *uploaded(release("click", "8.0.4", ">=3.6"), "2022-02-18"),
        *uploaded(release("click", "8.1.7", ">=3.7"), "2023-08-17"),
        *uploaded(release("click", "8.1.8", ">=3.7"), "2024-12-21"),
        *uploaded(release("click", "8.2.0", ">=3.10"), "2025-05-10"),
        *uploaded(release("click", "8.2.1", ">=3.10"), "2025-05-20"),
        *uploaded(release("click", "8.3.0a1", ">=3.10"), "2025-09-01"),
    ],
    "pytest": [
        *uploaded(release("pytest", "8.3.5", ">=3.8"), "2025-03-02"),
        *uploaded(release("pytest", "8.4.2", ">=3.9"), "2025-09-04"),
        *uploaded(release("pytest", "9.0.0", ">=3.10"), "2025-11-10"),
    ],
    "requests": [
        *uploaded(release("requests", "2.25.1", OLD_PY), "2020-12-16"),
        *uploaded(release("requests", "2.31.0", ">=3.7"), "2023-05-22"),
        *uploaded(release("requests", "2.32.3", ">=3.8", yanked="broke"), "2024-05-29"),
        *uploaded(release("requests", "2.32.5", ">=3.9"), "2025-08-18"),
        *uploaded(release("requests", "3.0.0", ">=3.10"), "2026-10-01"),
    ],
    "polling2": uploaded(release("polling2", "0.4.6"), "2020-06-10"),
}


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with IndexServer(INDEX) as running:
        yield running


@pytest.fixture
def client(server: IndexServer, tmp_path: Path) -> IndexClient:
    return IndexClient(server.url, cache_dir=tmp_path / "cache", env={})


def test_sample_app_click_in_use_against_the_index(client: IndexClient):
    found = assess(EXAMPLE, client=client, advisories=NoSource(), today=TODAY)
    click = next(d for d in found.dependencies if d.name == "click")
    assert (click.in_use, click.in_use_source) == ("7.1.2", "requirements.txt")
    assert click.latest == click.latest_allowed == "8.2.1"  # 8.3.0a1 is a pre-release
    assert (click.majors_behind, click.minors_behind, click.releases_behind) == (1, 3, 5)
    assert click.baseline_released == "2020-04-27"
    assert click.days_behind == (datetime.date(2025, 5, 20) - datetime.date(2020, 4, 27)).days
    assert click.age_days == (TODAY - datetime.date(2020, 4, 27)).days
    assert [(d.python, d.release, d.requires_python) for d in click.python_drops] == [
        ("3.9", "8.2.0", ">=3.10")
    ]
    assert not click.yanked
    assert click.selector is not None
    assert (click.selector.pick, click.selector.range) == ("latest-per-minor", ">7.1.2")
    assert click.picks == ("8.0.4", "8.1.8", "8.2.1")
    assert click.vulnerabilities is not None and click.vulnerabilities.status == UNKNOWN
    pytest_ = next(d for d in found.dependencies if d.name == "pytest")
    assert pytest_.in_use is None and pytest_.fresh == "8.4.2"  # 9.0.0 needs 3.10
    assert pytest_.selector is None  # a test tool, never an axis
    python = found.python
    assert (python.in_use, python.source) == ("3.9", ".python-version")
    assert python.end_of_life == "2025-10"
    assert python.supported is False
    assert python.axis == ("3.9", "3.11", "3.13", "3.14", "3.15")


def test_poetry_project_yanked_vulnerable_and_held_back(tmp_path: Path, client: IndexClient):
    project = tmp_path / "requests-demo"
    shutil.copytree(POETRY, project)
    lock = project / "poetry.lock"
    lock.write_text(lock.read_text().replace('version = "2.25.1"', 'version = "2.32.3"'))
    found = assess(project, client=client, advisories=OfflineDatabase(ADVISORIES), today=TODAY)
    requests = next(d for d in found.dependencies if d.name == "requests")
    assert requests.in_use == "2.32.3" and requests.yanked
    assert requests.latest == "3.0.0"
    assert requests.latest_allowed == "2.32.5"  # ^2.25.1 stops below 3
    polling = next(d for d in found.dependencies if d.name == "polling2")
    assert not polling.outdated and polling.selector is None
    unknown = next(d for d in found.dependencies if d.name == "black")
    assert unknown.problem.startswith("no such package")  # the index does not list it


def test_offline_advisories_flag_the_pinned_version(client: IndexClient):
    found = assess(POETRY, client=client, advisories=OfflineDatabase(ADVISORIES), today=TODAY)
    requests = next(d for d in found.dependencies if d.name == "requests")
    assert requests.in_use == "2.25.1"
    assert requests.vulnerabilities is not None
    assert requests.vulnerabilities.status == AFFECTED
    assert [(a.id, a.fixed_in) for a in requests.vulnerabilities.advisories] == [
        ("PYSEC-2023-74", ("2.31.0",))
    ]


def test_written_matrix_plans_unchanged(tmp_path: Path, client: IndexClient, server: IndexServer):
    found = assess(EXAMPLE, client=client, advisories=NoSource(), today=TODAY)
    target = tmp_path / "m.yaml"
    setup = write_matrix(found, target)
    document = yaml.safe_load(target.read_text())
    assert document["baseline"] == {"python": "3.9", "click": "7.1.2"}
    assert document["axes"]["click"] == ["7.1.2", {"range": ">7.1.2", "pick": "latest-per-minor"}]
    assert document["project"]["install"] == ".[test]"
    assert document["project"]["test"] == "python -m pytest -q"
    assert Path(target.parent, document["project"]["path"]).resolve() == EXAMPLE
    assert document["index"] == server.url
    assert setup.notes == ()
    matrix = load_matrix(target)
    plan = resolve.resolve(matrix, IndexClient(server.url, cache_dir=tmp_path / "c", env={}))
    assert plan.baseline is not None and plan.baseline.id == "py3.9-click7.1.2"
    assert plan.resolved["click"] == ("7.1.2", "8.0.4", "8.1.8", "8.2.1")
    pruned = {p.cell.id for p in plan.pruned}
    assert pruned == {"py3.9-click8.2.1"}  # 8.2 needs Python 3.10
    assert len(plan.cells) == 5 * 4 - 1
    assert all(cell.python in matrix.axes[PYTHON_AXIS] for cell in plan.cells)


def test_cli_assess_then_plan(tmp_path: Path, server: IndexServer):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    target = tmp_path / "m.yaml"
    done = oxzep7(
        "assess",
        str(EXAMPLE),
        "--index-url",
        server.url,
        "--advisories",
        str(ADVISORIES),
        "--write-matrix",
        str(target),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Python in use: 3.9 (.python-version), end of life since 2025-10" in done.stdout
    assert f"wrote {target}" in done.stdout
    planned = oxzep7("plan", str(target), env=env)
    assert planned.returncode == 0, planned.stderr
    assert "baseline: py3.9-click7.1.2" in planned.stdout
    as_json = oxzep7("assess", str(POETRY), "--index-url", server.url, "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    data = yaml.safe_load(as_json.stdout)  # JSON is YAML
    requests = next(d for d in data["dependencies"] if d["name"] == "requests")
    # The index's JSON API next to it does not answer: unknown, said plainly.
    assert requests["vulnerabilities"]["status"] == "unknown"


def test_no_source_reachable_says_unknown(tmp_path: Path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = oxzep7("assess", str(POETRY), "--index-url", "http://127.0.0.1:9/simple/", env=env)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("│ requests"))
    assert "unknown" in row
    assert "no vulnerabilit" not in done.stdout.lower()
    assert "cannot reach" in done.stdout
