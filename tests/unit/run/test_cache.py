"""The result cache: one key over every input of a cell, and each input, changed alone,
invalidates it (image content: the pins, the project tree, the build environment; the
image id the engine holds; the test command; the project's environment; each run option
that can change an outcome). A reused result is copied, marked cached, and found again."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from types import SimpleNamespace

import docker.errors
import pytest

from orchestrator.build import bases, cellimage
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, CellResult, Plan, Project, RunOptions, TestCounts
from orchestrator.run import cache, rundir
from tests.conftest import EXAMPLE

CELL = Cell("py3.11-click7.1.2", "3.11", {"click": "7.1.2"}, baseline=True)


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(EXAMPLE, copy)
    cellimage.project_source.cache_clear()  # one tree per process in a run; fresh per test
    yield copy
    cellimage.project_source.cache_clear()


def make_plan(path, **changes) -> Plan:
    plan = Plan(
        name="demo",
        matrix_path=path / "m.yaml",
        project=Project(path, install=".[test]"),
        image_family="debian",
        constraints=("pytest==8.3.5",),
        run=RunOptions(),
        cells=(CELL,),
    )
    return replace(plan, **changes)


class Engine:
    """Just enough of a Docker client: images by tag."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags
        self.images = self

    def get(self, tag: str):
        if tag not in self.tags:
            raise docker.errors.ImageNotFound(tag)
        return SimpleNamespace(id=self.tags[tag])


def engine_with_base(plan: Plan, env: BuildEnvironment) -> Engine:
    client = Engine({"oxzep7/debian:bookworm": "sha256:rootfs"})
    client.tags[bases.base_tag(client, "debian", "3.11", env)] = "sha256:base"  # type: ignore[arg-type,index]
    return client


def test_the_image_tag_changes_with_the_project_tree_the_pins_and_the_build_environment(project):
    env = BuildEnvironment()
    plan = make_plan(project)
    base = "oxzep7/base:py3.11-x"
    tag = cellimage.cell_tag(plan, CELL, base_tag=base, env=env)
    assert tag == cellimage.cell_tag(plan, CELL, base_tag=base, env=env)
    other_pin = Cell("py3.11-click7.1.1", "3.11", {"click": "7.1.1"}, baseline=True)
    assert cellimage.cell_tag(plan, other_pin, base_tag=base, env=env) != tag
    assert cellimage.cell_tag(plan, CELL, base_tag="oxzep7/base:py3.11-y", env=env) != tag
    index = BuildEnvironment(index={"PIP_INDEX_URL": "https://mirror.example/simple/"})
    assert cellimage.cell_tag(plan, CELL, base_tag=base, env=index) != tag
    changed = make_plan(project, constraints=("pytest==8.3.4",))
    assert cellimage.cell_tag(changed, CELL, base_tag=base, env=env) != tag
    (project / "src" / "sample_app" / "__init__.py").write_text("# edited\n", "utf-8")
    cellimage.project_source.cache_clear()
    assert cellimage.cell_tag(plan, CELL, base_tag=base, env=env) != tag


def test_the_expected_image_needs_the_base_and_the_cell_image_on_the_engine(project):
    env = BuildEnvironment()
    plan = make_plan(project)
    assert cache.expected_image(Engine({}), plan, CELL, env) is None  # type: ignore[arg-type]
    client = engine_with_base(plan, env)
    assert cache.expected_image(client, plan, CELL, env) is None  # type: ignore[arg-type]
    base = bases.base_tag(client, "debian", "3.11", env)  # type: ignore[arg-type]
    tag = cellimage.cell_tag(plan, CELL, base_tag=base or "", env=env)
    client.tags[tag] = "sha256:cell"
    assert cache.expected_image(client, plan, CELL, env) == (tag, "sha256:cell")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"image_tag": "oxzep7/cell:other"},
        {"image_id": "sha256:rebuilt"},  # same tag, rebuilt: it may have resolved others
        {"project": Project(EXAMPLE, install=".[test]", test="python -m pytest -x")},
        {"project": Project(EXAMPLE, install=".[test]", env={"MODE": "strict"})},
        {"run": RunOptions(timeout=60)},
        {"run": RunOptions(network=True)},
        {"run": RunOptions(memory="1g")},
        {"run": RunOptions(cpus=2.0)},
        {"run": RunOptions(retries=0)},
    ],
    ids=lambda c: next(iter(c)) + ":" + str(next(iter(c.values())))[:30],
)
def test_every_input_changes_the_key(change):
    plan = make_plan(EXAMPLE)
    tag, image_id = change.pop("image_tag", "oxzep7/cell:t"), change.pop("image_id", "sha256:1")
    before = cache.key(plan, "oxzep7/cell:t", "sha256:1")
    assert cache.key(replace(plan, **change), tag, image_id) != before


def test_options_that_cannot_change_an_outcome_keep_the_key():
    plan = make_plan(EXAMPLE)
    key = cache.key(plan, "t", "i")
    assert cache.key(replace(plan, run=RunOptions(jobs=8, max_cells=1000)), "t", "i") == key


def finished(status="passed", **changes) -> CellResult:
    return CellResult(
        cell=CELL,
        status=status,  # type: ignore[arg-type]
        duration=3.5,
        counts=TestCounts(passed=9),
        junit=True,
        image="oxzep7/cell:t",
        image_id="sha256:1",
        **changes,
    )


def test_a_result_is_reused_copied_and_marked_cached(tmp_path):
    plan = make_plan(EXAMPLE)
    first = rundir.create(tmp_path, plan, run_id="r1")
    folder = first.cell(CELL.id)
    folder.mkdir(parents=True)
    (folder / "test.log").write_text("9 passed\n")
    result = finished(logs={"test": str(folder / "test.log")})
    rundir.write_json(first.cell_result(CELL.id), result.to_dict())
    cache.remember(first, plan, result)
    second = rundir.create(tmp_path, plan, run_id="r2")
    reused = cache.reuse(second, plan, CELL, ("oxzep7/cell:t", "sha256:1"))
    assert reused is not None and reused.cached and reused.duration == 3.5
    assert reused.logs["test"] == str(second.cell(CELL.id) / "test.log")
    assert (second.cell(CELL.id) / "test.log").read_text() == "9 passed\n"
    on_disk = json.loads(second.cell_result(CELL.id).read_text())
    assert on_disk["cached"] is True
    # Not for another image id, and the cache now points at the newer copy.
    assert (
        cache.reuse(
            rundir.create(tmp_path, plan, run_id="r3"), plan, CELL, ("oxzep7/cell:t", "sha256:2")
        )
        is None
    )
    shutil.rmtree(first.path)
    assert cache.reuse(
        rundir.create(tmp_path, plan, run_id="r4"), plan, CELL, ("oxzep7/cell:t", "sha256:1")
    )


@pytest.mark.parametrize("status", ["error", "timeout"])
def test_errors_and_timeouts_are_never_reused(tmp_path, status):
    plan = make_plan(EXAMPLE)
    run = rundir.create(tmp_path, plan, run_id="r1")
    cache.remember(run, plan, finished(status))
    assert not (tmp_path / cache.CACHE_DIR).exists()


def test_a_pointer_outside_the_runs_root_is_not_followed(tmp_path):
    plan = make_plan(EXAMPLE)
    outside = tmp_path / "elsewhere" / "cells" / CELL.id
    outside.mkdir(parents=True)
    (outside / "result.json").write_text(json.dumps(finished().to_dict()))
    root = tmp_path / "runs"
    run = rundir.create(root, plan, run_id="r1")
    pointer = root / cache.CACHE_DIR / cache.key(plan, "oxzep7/cell:t", "sha256:1")
    pointer.parent.mkdir(parents=True)
    pointer.write_text("../elsewhere/cells/" + CELL.id)
    assert cache.reuse(run, plan, CELL, ("oxzep7/cell:t", "sha256:1")) is None
