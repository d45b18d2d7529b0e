"""The bundled example, run for real, gives the results the README documents."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, oxzep7

pytestmark = pytest.mark.docker

CLI = "tests/test_cli.py::test_render_table_aligns_names"
HEADERS = [
    "tests/test_headers.py::test_parse_content_type_with_charset",
    "tests/test_headers.py::test_charset_defaults_to_utf8",
]
EXPECTED = {
    "py3.9-click7.1.2": ("passed", []),
    "py3.9-click8.1.8": ("failed", [CLI]),
    "py3.11-click7.1.2": ("passed", []),
    "py3.11-click8.1.8": ("failed", [CLI]),
    "py3.13-click7.1.2": ("failed", HEADERS),
    "py3.13-click8.1.8": ("failed", [CLI, *HEADERS]),
}


def test_the_example_passes_and_fails_where_the_readme_says(tmp_path):
    runs = tmp_path / "runs"
    done = oxzep7("run", str(ROOT / "matrices" / "example.yaml"), "--runs-dir", str(runs))
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((runs / "latest" / "results.json").read_text())
    got = {c["id"]: (c["status"], sorted(c["failing_tests"])) for c in results["cells"]}
    assert got == {cell: (status, sorted(tests)) for cell, (status, tests) in EXPECTED.items()}
    assert results["baseline"] == "py3.9-click7.1.2"
    assert results["complete"] is True
    # Each cell's resolved set really has the click it asked for.
    for cell in results["cells"]:
        assert cell["packages"]["click"] == cell["axes"]["click"]
    # The summary table printed at the end agrees with results.json.
    for cell_id, (status, _) in EXPECTED.items():
        rows = [line for line in done.stdout.splitlines() if "│" in line and f" {cell_id} " in line]
        assert rows and status in rows[0], f"{cell_id}: {rows}"
    _check_verdict_and_reports(runs / "latest", done.stdout)


def _check_verdict_and_reports(run, stdout: str) -> None:
    """The verdict names py3.11-click7.1.2 and every report agrees."""
    verdict = json.loads((run / "verdict.json").read_text())
    assert verdict["recommended"] == "py3.11-click7.1.2"
    blockers = {b["cell"]: b for b in verdict["blockers"]}
    assert [c["text"] for c in blockers["py3.11-click8.1.8"]["culprits"]] == [
        "click 7.1.2 -> 8.1.8"
    ]
    assert [c["text"] for c in blockers["py3.13-click7.1.2"]["culprits"]] == ["python 3.11 -> 3.13"]
    assert "Recommended: py3.11-click7.1.2" in stdout
    assert "Recommended: `py3.11-click7.1.2`" in (run / "report.md").read_text()
    html = (run / "report.html").read_text()
    for cell_id in EXPECTED:
        assert f'data-id="{cell_id}" data-status=' in html
    diff = (run / "environments" / "upgrade.diff").read_text()
    assert "+FROM oxzep7/base:py3.11-" in diff
