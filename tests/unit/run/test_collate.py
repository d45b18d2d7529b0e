"""Collating cell folders made by separate processes: each cell is checked against the
plan (its origin.json), copied into one run directory, and nothing from another plan,
outside the plan or twice gets in. ``--project-dir`` rebases a replayed plan.json."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from orchestrator.errors import ConfigError, DamagedResultsError
from orchestrator.models import Cell, CellResult, Plan, Project, RunOptions
from orchestrator.plan import planfile
from orchestrator.run import collate, engines, rundir
from tests.conftest import EXAMPLE

CELLS = (
    Cell("py3.11-click7.1.2", "3.11", {"click": "7.1.2"}, baseline=True),
    Cell("py3.11-click8.1.8", "3.11", {"click": "8.1.8"}),
)
PLAN = Plan("demo", EXAMPLE / "m.yaml", Project(EXAMPLE), "debian", (), RunOptions(), CELLS)


def job(tmp_path, name: str, cell: Cell, plan: Plan = PLAN):
    """What one CI job leaves: its own run directory with one finished cell."""
    run = rundir.create(tmp_path / name / "runs", plan)
    folder = run.cell(cell.id)
    folder.mkdir(parents=True)
    (folder / "test.log").write_text("ok\n")
    result = CellResult(cell, "passed", 1.0, logs={"test": str(folder / "test.log")})
    rundir.write_json(run.cell_result(cell.id), result.to_dict())
    collate.mark_origin(run, plan, [cell.id])
    artifact = tmp_path / "artifacts"
    shutil.copytree(run.path / "cells", artifact, dirs_exist_ok=True)  # merge-multiple
    return artifact


def test_cells_of_one_plan_merge_into_one_run(tmp_path):
    for n, cell in enumerate(CELLS):
        artifact = job(tmp_path, f"job{n}", cell)
    run = rundir.create(tmp_path / "collated", PLAN)
    assert sorted(collate.merge(PLAN, [artifact], run)) == sorted(c.id for c in CELLS)
    data = json.loads(run.cell_result(CELLS[1].id).read_text())
    assert data["logs"] == {"test": str(run.cell(CELLS[1].id) / "test.log")}


def test_a_cell_from_another_plan_is_a_clear_error(tmp_path):
    other = replace(PLAN, constraints=("pytest==8.3.5",))
    artifact = job(tmp_path, "job0", CELLS[0], other)
    run = rundir.create(tmp_path / "collated", PLAN)
    with pytest.raises(ConfigError, match="comes from another plan"):
        collate.merge(PLAN, [artifact], run)


def test_the_project_path_does_not_make_another_plan():
    moved = replace(PLAN, project=Project(EXAMPLE.parent), matrix_path=EXAMPLE)
    assert collate.plan_digest(moved) == collate.plan_digest(PLAN)


def test_twice_the_same_cell_or_one_outside_the_plan_or_no_origin(tmp_path):
    first = job(tmp_path / "a", "job0", CELLS[0])
    second = job(tmp_path / "b", "job1", CELLS[0])
    run = rundir.create(tmp_path / "collated", PLAN)
    with pytest.raises(ConfigError, match="is in both"):
        collate.merge(PLAN, [first, second], run)
    small = replace(PLAN, cells=CELLS[:1])
    artifact = job(tmp_path / "c", "job2", CELLS[1])
    with pytest.raises(ConfigError, match="another plan"):
        collate.merge(small, [artifact], run)
    (artifact / CELLS[1].id / "origin.json").unlink()
    with pytest.raises(ConfigError, match=r"no origin\.json"):
        collate.merge(PLAN, [artifact], run)
    (artifact / CELLS[1].id / "result.json").write_text("{")
    with pytest.raises(DamagedResultsError):
        collate.merge(PLAN, [artifact], run)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no cell folders"):
        collate.merge(PLAN, [tmp_path / "empty"], run)


def test_a_replayed_plan_finds_the_project_where_it_is_told(tmp_path):
    run = rundir.create(tmp_path, PLAN)
    data = json.loads(run.plan_file.read_text())
    data["project"]["path"] = "/checkout/elsewhere/sample-app"  # planned on another machine
    moved = tmp_path / "plan.json"
    moved.write_text(json.dumps(data))
    with pytest.raises(DamagedResultsError, match=r"project\.path"):
        planfile.load(moved)
    assert planfile.load(moved, project_dir=EXAMPLE).project.path == EXAMPLE.resolve()
    with pytest.raises(DamagedResultsError, match=r"project\.path"):
        planfile.load(moved, project_dir=tmp_path / "missing")


def test_cells_spread_over_engines():
    many = [
        Cell(f"py{p}-c{n}", p, {"c": str(n)}) for p in ("3.9", "3.11", "3.13") for n in range(3)
    ]
    shares = engines.assign(many, 2)
    assert sorted(c.id for s in shares for c in s) == sorted(c.id for c in many)
    assert sorted(len(s) for s in shares) == [3, 6]  # whole interpreters: bases built once
    pythons = [{c.python for c in s} for s in shares]
    assert not pythons[0] & pythons[1]
    two = engines.assign(many[:2], 2)  # one interpreter, two engines: split
    assert [[c.id for c in s] for s in two] == [["py3.9-c0"], ["py3.9-c1"]]
    assert engines.assign(many[:1], 3) == [[many[0]]]


@pytest.mark.parametrize(
    "url", ["unix:///var/run/docker.sock", "tcp://10.0.0.2:2376", "ssh://me@host"]
)
def test_engine_urls_as_docker_host_takes_them(url):
    assert engines.check_url(url) == url


@pytest.mark.parametrize("url", ["docker.sock", "ftp://x", "tcp://", "unix:///a\nb"])
def test_other_engine_urls_are_refused(url):
    with pytest.raises(ConfigError, match="--engine"):
        engines.check_url(url)
