"""reports: every format renders from the same verdict and agrees with it."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from orchestrator import report
from orchestrator.report import html, json_report, junit_report, markdown, terminal
from orchestrator.verdict.judge import Verdict, compute

EXAMPLE = Path(__file__).parents[1] / "data" / "results-example.json"
EVIL = "tests/test_x.py::test_y[<script>alert(1)</script>]"
EVIL_MESSAGE = "boom </script><script>alert(2)</script> \x1b[31mred\x1b[0m \x00 & done"


@pytest.fixture
def results() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture
def verdict(results) -> Verdict:
    return compute(results)


@pytest.fixture
def hard(results) -> dict[str, Any]:
    """The example made difficult: a hostile test id and log tail, a flaky test, an
    errored cell without per-test data, an infeasible cell and a cell not run."""
    data = copy.deepcopy(results)
    cells = {c["id"]: c for c in data["cells"]}
    target = cells["py3.13-click8.1.8"]
    target["tests"][EVIL] = "failed"
    target["failing_tests"].append(EVIL)
    target["message"] = EVIL_MESSAGE
    cells["py3.11-click7.1.2"]["tests"]["tests/test_text.py::test_slugify_ascii"] = "flaky"
    cells["py3.11-click7.1.2"]["flaky_tests"] = ["tests/test_text.py::test_slugify_ascii"]
    cells["py3.9-click8.1.8"].update(
        status="error", junit=False, tests={}, failing_tests=[], exit_code=None,
        message="image build failed: no matching distribution for click==8.1.8\nmore log",
    )  # fmt: skip
    data["cells"].append(
        {
            **copy.deepcopy(cells["py3.9-click7.1.2"]),
            "id": "py3.14-click7.1.2",
            "axes": {"python": "3.14", "click": "7.1.2"},
            "baseline": False,
            "status": "infeasible",
            "junit": False,
            "tests": {},
            "failing_tests": [],
            "message": "click 7.1.2 does not support Python 3.14",
        }
    )
    data["not_run"] = ["py3.14-click8.1.8"]
    data["complete"] = False
    return data


def _ids(results: dict[str, Any]) -> list[str]:
    return [c["id"] for c in results["cells"]] + list(results["not_run"])


# --------------------------------------------------------------------------- dispatch


def test_formats_and_unknown_format(results, verdict):
    assert report.FORMATS == ("terminal", "markdown", "html", "json", "junit")
    for fmt in report.FORMATS:
        assert report.render(fmt, results, verdict)
    with pytest.raises(ValueError, match="unknown report format"):
        report.render("pdf", results, verdict)


def test_render_computes_the_verdict_when_not_given(results, verdict):
    assert report.render("json", results) == report.render("json", results, verdict)


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_every_format_renders_a_hard_run_naming_every_cell(fmt, hard):
    text = report.render(fmt, hard)
    if fmt in ("terminal", "markdown"):
        # The grids show axis values; the verdict names the cells above the recommendation.
        assert "py3.14-click8.1.8" in text and "py3.13-click8.1.8" in text
    else:
        for cell_id in _ids(hard):
            assert cell_id in text


def test_grid_layout_places_every_cell_once(hard):
    v = compute(hard)
    grids, unplaced = report.layout(v)
    placed = [cell_id for g in grids for cell_id in g.positions.values()]
    assert sorted(placed + unplaced) == sorted(_ids(hard))
    (grid,) = grids
    assert grid.rows == ("3.9", "3.11", "3.13", "3.14")
    assert grid.columns == ("7.1.2", "8.1.8")
    assert grid.corner == "python \\ click"


def test_grid_layout_splits_third_axes_into_grids(verdict):
    from tests.unit.verdict.test_verdict import cell, run

    v = compute(
        run(
            cell("3.9", click="7.1.2", pyyaml="5.4.1", baseline=True),
            cell("3.11", click="7.1.2", pyyaml="6.0.2"),
            cell("3.11", click="8.1.8", pyyaml="6.0.2"),
        )
    )
    grids, unplaced = report.layout(v)
    assert [g.title for g in grids] == ["pyyaml 5.4.1", "pyyaml 6.0.2"]
    assert not unplaced
    text = report.render("terminal", {"cells": []}, v)
    assert "pyyaml 5.4.1" in text and "pyyaml 6.0.2" in text


# --------------------------------------------------------------------------- terminal


def test_terminal_shows_grid_recommendation_and_culprits(results, verdict):
    text = terminal.render(results, verdict)
    assert "Recommended: py3.11-click7.1.2 (Python 3.11, click 7.1.2)" in text
    assert "python \\ click" in text
    for value in ("3.9", "3.11", "3.13", "7.1.2", "8.1.8"):
        assert value in text
    # One grid row per python value, each with both click columns.
    rows = [line for line in text.splitlines() if re.match(r"\s+3\.\d+\s+[✓✗]", line)]
    assert len(rows) == 3 and all(len(re.findall("[✓✗]", r)) == 2 for r in rows)
    assert "culprit: click 7.1.2 -> 8.1.8" in text
    assert "culprit: python 3.11 -> 3.13" in text
    assert "more than one axis changes at once: 2 regressions from python 3.11 -> 3.13" in text
    assert "tests/test_cli.py::test_render_table_aligns_names" in text
    assert "\x1b[" not in text  # plain unless asked


def test_print_terminal_follows_the_console(results, verdict):
    console = Console(record=True, width=120, force_terminal=True, color_system="standard")
    terminal.print_terminal(console, results, verdict)
    assert "\x1b[" in console.export_text(styles=True, clear=False)
    assert "Recommended: py3.11-click7.1.2" in console.export_text()
    assert "\x1b[" in terminal.render(results, verdict, color=True)


def test_terminal_does_not_read_data_as_markup(hard):
    text = report.render("terminal", hard)
    assert EVIL in text  # printed as is, not swallowed as a [tag]


# --------------------------------------------------------------------------- markdown


def test_markdown_has_verdict_table_and_regressions(results, verdict):
    text = markdown.render(results, verdict)
    assert text.startswith("## oxzep7: sample-app-upgrade")
    assert "### Recommended: `py3.11-click7.1.2` (Python 3.11, click 7.1.2)" in text
    table = [line for line in text.splitlines() if line.startswith("| `3.")]
    assert len(table) == 3
    assert all(line.count(" | ") == 2 for line in table)  # row label + two click columns
    assert "**✓ 9/9 · ★ recommended**" in text
    for blocker in verdict.blockers:
        assert f"**`{blocker.cell}`**" in text
    assert "`tests/test_cli.py::test_render_table_aligns_names` failed" in text
    assert "culprit: click 7.1.2 -\\> 8.1.8" not in text  # '>' is left readable
    assert "culprit: click 7.1.2 -> 8.1.8" in text


def test_markdown_sections_for_flaky_and_pre_existing():
    from tests.unit.verdict.test_verdict import base, cell, run

    v = compute(
        run(
            base("3.9", fail=("t.py::a",)),
            cell("3.11", click="7.1.2", fail=("t.py::a",), flaky=("t.py::b",)),
        )
    )
    text = markdown.render({}, v)
    assert "### Flaky tests" in text and "- `t.py::b` in `py3.11-click7.1.2`" in text
    assert "### Pre-existing failures" in text and "- `t.py::a` (2 cells)" in text


def test_markdown_code_spans_survive_backticks_and_pipes():
    assert markdown.code("a`b|c") == "``a`b\\|c``"
    assert markdown.code("`x`") == "`` `x` ``"
    assert markdown.text("<b>*x*</b> a->b") == "\\<b>\\*x\\*\\</b> a->b"


def test_markdown_escapes_hostile_data(hard):
    text = report.render("markdown", hard)
    assert "<script>" not in text.replace(f"`{EVIL}`", "")


# --------------------------------------------------------------------------- html


def test_html_is_self_contained(results, verdict):
    text = html.render(results, verdict)
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""\b(src|href)\s*=""", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    assert text.startswith("<!DOCTYPE html>")


def test_html_has_one_cell_element_per_cell_with_status(results, verdict):
    text = html.render(results, verdict)
    found = re.findall(r'class="cell k-[\w-]+" data-id="([^"]+)" data-status="(\w+)"', text)
    assert sorted(found) == sorted((c["id"], c["status"]) for c in results["cells"])
    assert 'data-id="py3.11-click7.1.2" data-status="passed" data-kind="recommended"' in text
    assert "Recommended:" in text and "culprit: click 7.1.2 -&gt; 8.1.8" in text


def test_html_per_test_table_lists_tests_failing_anywhere(results, verdict):
    context = html.context(results, verdict)
    tests = [row["test"] for row in context["table"]["rows"]]
    assert tests == [
        "tests/test_cli.py::test_render_table_aligns_names",
        "tests/test_headers.py::test_parse_content_type_with_charset",
        "tests/test_headers.py::test_charset_defaults_to_utf8",
    ]
    assert context["table"]["cells"][0] == {"id": "py3.9-click7.1.2", "baseline": True}
    assert html.render(results, verdict).count('class="o-failed regression"') == 7


def test_html_escapes_hostile_data(hard):
    text = report.render("html", hard)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # in the per-test table
    # The embedded JSON cannot close its script element early.
    data = text.split('<script type="application/json" id="oxzep7-data">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data
    parsed = json.loads(data)
    # The log tail arrives intact, but for the colour codes a browser cannot show.
    assert parsed["cells"]["py3.13-click8.1.8"]["message"] == EVIL_MESSAGE.replace(
        "\x1b[31m", ""
    ).replace("\x1b[0m", "")
    assert "http://" not in text and "https://" not in text


def test_html_cells_without_axes_still_get_a_cell_element(results):
    data = copy.deepcopy(results)
    data["not_run"] = ["odd-cell-id"]
    text = report.render("html", data)
    assert text.count('<button type="button" class="cell ') == len(data["cells"]) + 1
    assert 'data-id="odd-cell-id" data-status="not_run"' in text


# --------------------------------------------------------------------------- json


def test_json_report_is_the_verdict_and_follows_its_schema(results, verdict):
    data = json.loads(json_report.render(results, verdict))
    assert data == json.loads(json.dumps(verdict.to_dict()))
    assert data["recommended"] == "py3.11-click7.1.2"
    assert data["order"][0] == "py3.13-click8.1.8"
    assert set(data["tests"]["cells"]) == {c["id"] for c in results["cells"]}
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_report.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)


def test_json_schema_accepts_hard_runs_and_rejects_nonsense(hard):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_report.schema())
    data = json.loads(report.render("json", hard))
    validator.validate(data)
    data["cells"][0]["status"] = "weird"
    assert not validator.is_valid(data)


# --------------------------------------------------------------------------- junit


def test_junit_has_one_suite_per_cell_and_verdict_messages(results, verdict):
    root = ET.fromstring(junit_report.render(results, verdict))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [c["id"] for c in results["cells"]]
    assert root.get("tests") == "54" and root.get("failures") == "7"
    by_name = {s.get("name"): s for s in suites}
    regressed = by_name["py3.11-click8.1.8"]
    assert regressed.get("failures") == "1"
    case = regressed.find("testcase[@name='test_render_table_aligns_names']")
    assert case.get("classname") == "tests.test_cli"
    assert case.find("failure").get("message").startswith("regression against the baseline")
    props = {p.get("name"): p.get("value") for p in regressed.iter("property")}
    assert props["axis.click"] == "8.1.8" and props["safe"] == "false"


def test_junit_flaky_and_cells_without_per_test_data(hard):
    root = ET.fromstring(report.render("junit", hard))
    by_name = {s.get("name"): s for s in root.findall("testsuite")}
    assert len(by_name) == len(_ids(hard))
    flaky = by_name["py3.11-click7.1.2"].find("testcase[@name='test_slugify_ascii']")
    assert flaky.find("failure") is None and flaky.find("skipped") is None
    assert "flaky" in flaky.find("system-out").text
    errored = by_name["py3.9-click8.1.8"].findall("testcase")
    assert len(errored) == 1 and errored[0].find("error") is not None
    assert "image build failed" in errored[0].find("error").get("message")
    (infeasible,) = by_name["py3.14-click7.1.2"].findall("testcase")
    assert infeasible.find("skipped") is not None
    (not_run,) = by_name["py3.14-click8.1.8"].findall("testcase")
    assert not_run.find("skipped").get("message") == "not run: no result yet"
    hostile = by_name["py3.13-click8.1.8"]
    assert hostile.find("testcase[@name='test_y[<script>alert(1)</script>]']") is not None


def test_junit_split_test_id():
    assert junit_report.split_test_id("tests/test_a.py::TestB::test_c[x::y]") == (
        "tests.test_a.TestB",
        "test_c[x::y]",
    )
    assert junit_report.split_test_id("plain") == ("", "plain")
