"""Reports of a real-sized run (tests/unit/bigrun.py: 5,000 tests, 500 failing somewhere
in three signatures, 40 cells): clusters, per-test attribution and bounded output."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from orchestrator import report, verdict
from orchestrator.report import markdown, terminal
from tests.unit import bigrun

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def run():
    return bigrun.run()


@pytest.fixture(scope="module")
def judged(run):
    return verdict.compute(run, today=TODAY)


def test_the_generated_run_has_the_advertised_size(run):
    assert len(run.cells) == 40
    assert all(len(c.tests) == 5000 for c in run.cells)
    failing = {t for c in run.cells for t in c.failing_tests}
    assert len(failing) == 500


def test_three_causes_each_shown_once_with_its_cells(judged):
    causes = {c.signature: c for c in judged.causes}
    assert list(causes) == [
        "TypeError: Retry.__init__() got an unexpected keyword argument 'method_whitelist' "
        "(session <…>)",
        "ModuleNotFoundError: No module named 'cgi'",
        "AssertionError: assert N == N",
    ]
    kwarg, cgi, assertion = causes.values()
    assert len(kwarg.tests) == 400 and len(kwarg.cells) == 5 * 5  # urllib3 >= 2 on 5 pythons
    assert kwarg.where == "src/app/http.py:42" and not kwarg.in_baseline
    assert len(cgi.tests) == 55 and set(cgi.cells) == {
        bigrun.cell_id("3.13", u) for u in bigrun.URLLIB3
    }
    assert len(assertion.tests) == 45


def test_each_regression_of_a_two_axis_cell_has_its_change(judged):
    blocker = next(b for b in judged.blockers if b.cell == "py3.13-urllib32.2.3")
    assert blocker.culprits == ()
    found = [(a.cause, len(a.tests)) for a in blocker.attributions]
    assert found == [
        ("urllib3 1.26.20 -> 2.2.3", 400),
        ("python 3.12 -> 3.13", 55 + 5),
        ("the combination of python 3.11 -> 3.13 and urllib3 2.1.0 -> 2.2.3", 40),
    ]
    assert blocker.attributions[0].signatures[0].startswith("TypeError: Retry.__init__()")
    assert blocker.explanation.startswith(
        "more than one axis changes at once: 400 regressions from urllib3 1.26.20 -> 2.2.3 "
        "(TypeError: Retry.__init__() got an unexpected keyword argument"
    )
    assert ", 60 from python 3.12 -> 3.13 (" in blocker.explanation


def test_tests_nothing_explains_are_named(judged):
    blocker = next(b for b in judged.blockers if b.cell == "py3.13-urllib32.0.7")
    unexplained = [a for a in blocker.attributions if not a.changes]
    assert [a.tests for a in unexplained] == [tuple(bigrun.ENV)]
    assert "5 that nothing explains (AssertionError: assert N == N)" in blocker.explanation
    terminal = report.render("terminal", bigrun.run(), judged)
    assert "5 tests nothing explains: tests/test_env.py::test_env_0" in terminal


def test_terminal_verdict_fits_a_screen(run, judged):
    text = terminal.render(run, judged, width=160)
    verdict_part = text[text.index("Recommended:") :].rstrip("\n").splitlines()
    assert len(verdict_part) <= 60
    assert verdict_part[2].startswith("Failure causes (3):")  # clusters first
    assert any("more cells not safe" in line and "see report.html" in line for line in verdict_part)
    assert "(+397 more)" in text  # a few tests per cluster, then how many more


def test_markdown_stays_under_githubs_comment_limit(run, judged, monkeypatch):
    text = report.render("markdown", run, judged)
    assert len(text) < 60_000
    assert "### Failure causes" in text and "see report.html" in text
    # A tighter limit describes fewer cells until the text fits.
    monkeypatch.setattr(markdown, "LIMIT", 12_000)
    tight = report.render("markdown", run, judged)
    assert len(tight) < 12_000 and "more cells not safe: see report.html" in tight


def test_every_report_marks_cells_past_end_of_life(run, judged):
    past = {c.id for c in judged.cells if c.unsupported}
    assert past == {bigrun.cell_id(p, u) for p in ("3.9", "3.10") for u in bigrun.URLLIB3}
    assert "Past end-of-life, no security fixes: Python 3.10 (since 2026-10), 3.9" in (
        report.render("terminal", run, judged)
    )
    assert "Past end-of-life" in report.render("markdown", run, judged)
    assert '"unsupported": true' in report.render("json", run, judged)
    assert 'name="python.supported" value="false"' in report.render("junit", run, judged)
    assert "past EOL" in report.render("html", run, judged)


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH")
def test_html_of_the_big_run_opens_in_chromium_without_errors(run, judged, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(report.render("html", run, judged), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-big.png"
    shot.unlink(missing_ok=True)
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    done = subprocess.run(
        [
            *base,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1280,1600",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    # The filter box, preset from the address: only the matching tests stay shown.
    dom = subprocess.run(
        [
            *base,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--dump-dom",
            page.as_uri() + "#filter=test_pool_size_1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert 'data-js-errors="0"' in dom and 'data-ready="1"' in dom
    assert "11 tests match" in dom  # test_pool_size_1 and _10 to _19
    assert "<details" in dom  # long lists are collapsed
