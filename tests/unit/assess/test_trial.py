"""`oxzep7 try`: the in-memory matrix of a proposal against the assessed baseline."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from orchestrator.assess.advisories import NoSource
from orchestrator.assess.assessment import assess
from orchestrator.assess.trial import parse_proposal, trial_matrix
from orchestrator.errors import ConfigError
from orchestrator.plan import expand
from orchestrator.plan.index import IndexClient
from tests.conftest import EXAMPLE
from tests.indexserver import IndexServer
from tests.unit.assess.test_assessment import INDEX

TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(scope="module")
def assessment(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("cache")
    with IndexServer(INDEX) as server:
        client = IndexClient(server.url, cache_dir=cache, env={})
        return assess(EXAMPLE, client=client, advisories=NoSource(), today=TODAY)


def cell_ids(assessment, python, pins, **options) -> list[str]:
    matrix, _ = trial_matrix(assessment, parse_proposal(python, pins, "debian"), **options)
    return sorted(cell.id for cell in expand.plan(matrix).cells)


def test_two_axes_change_so_the_steps_between_are_cells_too(assessment):
    ids = cell_ids(assessment, "3.11", ["click==8.1.8"])
    assert ids == ["py3.11-click7.1.2", "py3.11-click8.1.8", "py3.9-click7.1.2", "py3.9-click8.1.8"]


def test_only_proposed(assessment):
    ids = cell_ids(assessment, "3.11", ["click==8.1.8"], only_proposed=True)
    assert ids == ["py3.11-click8.1.8", "py3.9-click7.1.2"]


def test_one_axis_is_two_cells_and_the_rest_is_held_as_in_use(assessment):
    assert cell_ids(assessment, "3.13", []) == ["py3.13", "py3.9"]
    matrix, _ = trial_matrix(assessment, parse_proposal("3.13", [], "debian"))
    assert matrix.constraints == ("click==7.1.2",)


def test_the_baseline_and_the_project_come_from_the_assessment(assessment):
    matrix, _ = trial_matrix(assessment, parse_proposal("3.11", ["Click==8.1.8"], "debian"))
    assert matrix.baseline == {"python": "3.9", "click": "7.1.2"}
    assert matrix.project.path == EXAMPLE
    assert (matrix.project.install, matrix.project.test) == (".[test]", "python -m pytest -q")
    assert Path(matrix.source) == EXAMPLE


@pytest.mark.parametrize(
    ("python", "pins", "message"),
    [
        ("3.12", [], "Python 3.12 is not available in image family 'debian'"),
        ("three", [], "is not an interpreter version"),
        (None, ["click>=8"], "expected NAME==VERSION"),
        (None, ["click==8.1.8", "click==8.2.1"], "names click twice"),
        (None, [], "nothing to try"),
    ],
)
def test_bad_proposals(python, pins, message):
    with pytest.raises(ConfigError, match=message):
        parse_proposal(python, pins, "debian")


def test_unknown_dependency_and_no_change(assessment):
    with pytest.raises(ConfigError, match="the version of rich in use is unknown"):
        trial_matrix(assessment, parse_proposal(None, ["rich==13.0.0"], "debian"))
    with pytest.raises(ConfigError, match="nothing changes"):
        trial_matrix(assessment, parse_proposal("3.9", ["click==7.1.2"], "debian"))
