"""Which bases a run builds first, all at once: exactly those its engine lacks (a base
whose root filesystem is missing too), once per interpreter, in the cells' order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from orchestrator import environment
from orchestrator.build import bases
from orchestrator.models import Cell
from orchestrator.run import basephase
from tests.unit.run.test_cache import Engine, make_plan

CELLS = (
    Cell("py3.11-click7.1.2", "3.11", {"click": "7.1.2"}, baseline=True),
    Cell("py3.11-click8.1.8", "3.11", {"click": "8.1.8"}),
    Cell("py3.13-click7.1.2", "3.13", {"click": "7.1.2"}),
    Cell("py3.9-click7.1.2", "3.9", {"click": "7.1.2"}),
)


@pytest.fixture
def plan(tmp_path):
    return replace(make_plan(tmp_path), cells=CELLS)


def with_base(client: Engine, python: str) -> None:
    tag = bases.base_tag(client, "debian", python, environment.from_host())  # type: ignore[arg-type]
    assert tag is not None
    client.tags[tag] = f"sha256:base{python}"


def test_an_empty_engine_needs_every_base_once_in_the_cells_order(plan):
    client = Engine({})
    assert basephase.missing(client, plan, CELLS, environment.from_host()) == [
        "base(py3.11)",
        "base(py3.13)",
        "base(py3.9)",
    ]  # type: ignore[arg-type]


def test_a_present_base_is_not_built_first_and_a_missing_one_is(plan):
    client = Engine({"oxzep7/debian:bookworm": "sha256:a", "oxzep7/debian:trixie": "sha256:b"})
    with_base(client, "3.11")
    # 3.13's root filesystem is there but not its base; 3.9 has neither.
    assert basephase.missing(client, plan, CELLS, environment.from_host()) == [
        "base(py3.13)",
        "base(py3.9)",
    ]  # type: ignore[arg-type]


def test_only_the_given_cells_count(plan):
    client = Engine({})
    assert basephase.missing(client, plan, CELLS[:2], environment.from_host()) == ["base(py3.11)"]  # type: ignore[arg-type]
    assert basephase.missing(client, plan, (), environment.from_host()) == []  # type: ignore[arg-type]
