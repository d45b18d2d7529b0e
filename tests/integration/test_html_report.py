"""The HTML report in a real browser: headless Chromium loads the file, runs its
script, and we read back the DOM it ended with and a screenshot.

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``); skipped otherwise.
The screenshots land in ``test-artifacts/`` at the repository root (gitignored), for
people to look at.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from orchestrator import report

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "unit" / "data" / "results-example.json"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium")
EVIL = "tests/test_x.py::test_y[<script>alert(1)</script>]"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH (Debian: apt-get install chromium)"
)


class _Dom(HTMLParser):
    """What the tests read from a dumped DOM: elements by class, the body's attributes
    and the text of the detail panel."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.body: dict[str, str | None] = {}
        self.scripts = 0
        self.detail_text: list[str] = []
        self._detail_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "cell" in (found.get("class") or "").split():
            self.cells.append(found)
        if tag == "body":
            self.body = found
        if tag == "script":
            self.scripts += 1
        if self._detail_depth or found.get("id") == "detail":
            self._detail_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._detail_depth:
            self._detail_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._detail_depth:
            self.detail_text.append(data)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> _Dom:
    done = _chromium("--dump-dom", page.as_uri() + fragment, profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    return dom


def _write(results: dict[str, Any], path: Path) -> Path:
    path.write_text(report.render("html", results), encoding="utf-8")
    return path


@pytest.fixture
def results() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def test_report_script_runs_without_errors(results, tmp_path):
    dom = _dump_dom(_write(results, tmp_path / "report.html"), tmp_path)
    assert dom.body.get("data-js-errors") == "0"
    assert dom.body.get("data-ready") == "1"  # the script ran to its end
    assert len(dom.cells) == len(results["cells"])
    assert {c["data-id"]: c["data-status"] for c in dom.cells} == {
        c["id"]: c["status"] for c in results["cells"]
    }
    # The script selected the recommended cell and filled the detail panel.
    selected = [c["data-id"] for c in dom.cells if "selected" in (c.get("class") or "").split()]
    assert selected == ["py3.11-click7.1.2"]
    detail = " ".join(dom.detail_text)
    assert "py3.11-click7.1.2" in detail and "Resolved packages" in detail


def test_hostile_data_stays_text_in_the_browser(results, tmp_path):
    data = copy.deepcopy(results)
    target = next(c for c in data["cells"] if c["id"] == "py3.13-click8.1.8")
    target["tests"][EVIL] = "failed"
    target["message"] = "log </script><script>alert(2)</script> tail"
    page = _write(data, tmp_path / "hostile.html")
    dom = _dump_dom(page, tmp_path, "#cell=py3.13-click8.1.8")
    assert dom.body.get("data-js-errors") == "0" and dom.body.get("data-ready") == "1"
    assert dom.scripts == 3  # the error hook, the JSON data and the report script: no more
    detail = "".join(dom.detail_text)
    assert EVIL in detail  # shown as text in the detail panel of the selected cell
    assert "log </script><script>alert(2)</script> tail" in detail


def test_screenshot(results, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = _write(results, tmp_path / "report.html")
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    done = _chromium(
        f"--screenshot={shot}",
        "--window-size=1280,900",
        "--hide-scrollbars",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank 1280x900 page is a few kB
