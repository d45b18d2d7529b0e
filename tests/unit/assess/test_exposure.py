"""Vulnerabilities in the verdict: each cell's resolved packages (results.json
``packages``) against an advisory source; reports name the advisory and its fix;
``run.allow_vulnerable: false`` makes an affected cell unsafe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator import report, verdict
from orchestrator.assess import exposure
from orchestrator.assess.advisories import NoSource, OfflineDatabase
from orchestrator.errors import DamagedResultsError
from orchestrator.results import RunResults, load
from orchestrator.verdict import Exposure
from tests.conftest import ROOT, oxzep7
from tests.unit.assess.conftest import ADVISORIES

EXAMPLE_RESULTS = ROOT / "tests" / "unit" / "data" / "results-example.json"
SETUPTOOLS = "setuptools 44.1.1: PYSEC-2022-43012 (fixed in 65.5.1)"


@pytest.fixture
def run() -> RunResults:
    return load(EXAMPLE_RESULTS)


def test_each_cells_packages_are_checked(run: RunResults):
    found = exposure.check_run(run, OfflineDatabase(ADVISORIES), allow=True)
    # The Python 3.9 cells carry bullseye's setuptools 44.1.1; 3.11's 66.1.1 is fixed.
    assert found.vulnerable == {
        "py3.9-click7.1.2": (SETUPTOOLS,),
        "py3.9-click8.1.8": (SETUPTOOLS,),
    }
    assert found.unknown == {}


def test_affected_cells_are_marked_and_the_recommendation_says_it_is_not(run: RunResults):
    found = exposure.check_run(run, OfflineDatabase(ADVISORIES), allow=True)
    judged = verdict.compute(run, exposure=found)
    assert judged.recommended == "py3.11-click7.1.2"
    baseline = judged.cell("py3.9-click7.1.2")
    assert baseline.safe and f"known vulnerabilities: {SETUPTOOLS}" in baseline.notes
    assert any(
        w.startswith("The recommendation py3.11-click7.1.2 has no known vulnerability")
        for w in judged.warnings
    )
    text = report.render("markdown", run, judged)
    assert "PYSEC-2022-43012" in text and "65.5.1" in text


def test_not_allowed_makes_an_affected_cell_unsafe():
    run = load(EXAMPLE_RESULTS)
    line = "click 7.1.2: PYSEC-TEST (fixed in 7.1.3)"
    affected = Exposure("test source", {"py3.11-click7.1.2": (line,)}, allow=False)
    judged = verdict.compute(run, exposure=affected)
    cell = judged.cell("py3.11-click7.1.2")
    assert not cell.safe
    assert cell.reason == f"known vulnerabilities: {line} (run.allow_vulnerable is false)"
    assert judged.recommended == "py3.9-click7.1.2"
    blocker = next(b for b in judged.blockers if b.cell == "py3.11-click7.1.2")
    assert "PYSEC-TEST" in blocker.problem
    allowed = verdict.compute(run, exposure=Exposure("test source", {"py3.11-click7.1.2": (line,)}))
    assert allowed.recommended == "py3.11-click7.1.2"
    assert f"The recommendation py3.11-click7.1.2 has known vulnerabilities: {line}." in (
        allowed.warnings
    )


def test_no_source_is_unknown_never_clean(run: RunResults):
    found = exposure.check_run(run, NoSource(), allow=True)
    assert found.vulnerable == {}
    assert "click 7.1.2" in found.unknown["py3.9-click7.1.2"]
    judged = verdict.compute(run, exposure=found)
    assert any(w.startswith("Vulnerabilities unknown for") for w in judged.warnings)
    assert not any("no known vulnerability" in w for w in judged.warnings)
    assert "The recommendation py3.11-click7.1.2: vulnerabilities unknown" in judged.warnings[-2]


def test_advisories_json_round_trip_and_damage(tmp_path: Path, run: RunResults):
    found = exposure.check_run(run, OfflineDatabase(ADVISORIES), allow=False)
    exposure.save(tmp_path, found)
    assert exposure.load(tmp_path) == found
    (tmp_path / exposure.FILE).write_text('{"schema": "oxzep7.advisories/1", "source": 3}')
    with pytest.raises(DamagedResultsError, match=r"advisories\.json"):
        exposure.load(tmp_path)
    (tmp_path / "empty").mkdir()
    assert exposure.load(tmp_path / "empty") is None  # a run from before: no advisories


def test_report_with_advisories(tmp_path: Path):
    shutil.copy(EXAMPLE_RESULTS, tmp_path / "results.json")
    done = oxzep7("report", str(tmp_path), "--advisories", str(ADVISORIES))
    assert done.returncode == 0, done.stderr
    assert "PYSEC-2022-43012" in done.stdout
    assert "The recommendation py3.11-click7.1.2 has no known vulnerability" in done.stdout
