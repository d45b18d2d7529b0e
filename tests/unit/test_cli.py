"""The command line as a user meets it: help, plan output, one-line errors, exit codes."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import ROOT, oxzep7
from tests.indexserver import IndexServer

EXAMPLE_MATRIX = str(ROOT / "matrices" / "example.yaml")


def test_plan_prints_every_cell_of_the_example():
    done = oxzep7("plan", EXAMPLE_MATRIX)
    assert done.returncode == 0, done.stderr
    for cell in ("py3.9-click7.1.2", "py3.11-click8.1.8", "py3.13-click8.1.8"):
        assert cell in done.stdout
    assert "baseline" in done.stdout


def test_plan_json_is_the_plan():
    done = oxzep7("plan", EXAMPLE_MATRIX, "--json")
    plan = json.loads(done.stdout)
    assert [c["id"] for c in plan["cells"]][:2] == ["py3.9-click7.1.2", "py3.9-click8.1.8"]
    assert len(plan["cells"]) == 6
    assert [c["id"] for c in plan["cells"] if c["baseline"]] == ["py3.9-click7.1.2"]


@pytest.mark.parametrize("command", [[], ["plan"], ["run"], ["bases"], ["schema"]])
def test_help_says_what_each_command_does(command):
    done = oxzep7(*command, "--help")
    assert done.returncode == 0
    assert "usage: oxzep7" in done.stdout
    assert len(done.stdout.splitlines()) > 5


@pytest.mark.parametrize(
    ("body", "where", "text"),
    [
        (
            "name: x\nproject: {path: .}\nbaseline: {python: '3.9'}\naxes:\n  pyhton: ['3.9']\n",
            ":4:",
            "did you misspell it as 'pyhton'",
        ),
        (
            "name: x\nproject: {path: .}\nbaseline: {python: '3.9'}\naxes:\n  python: ['3.10']\n",
            ":5:",
            "Python 3.10 is not available",
        ),
        (
            "name: x\nproject: {path: gone}\nbaseline: {python: '3.9'}\naxes: {python: ['3.9']}\n",
            ":2:",
            "gone",
        ),
        ("name: x\nproject: {path: .\n", ":3:", "invalid YAML"),
    ],
    ids=["unknown-key", "interpreter", "project-path", "malformed"],
)
@pytest.mark.parametrize("command", ["plan", "run"])
def test_bad_matrix_is_one_line_with_file_line_and_exit_2(tmp_path, command, body, where, text):
    matrix = tmp_path / "m.yaml"
    matrix.write_text(body)
    done = oxzep7(command, str(matrix))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("oxzep7: error: ") and f"m.yaml{where}" in lines[0]
    assert text in lines[0]


def test_missing_matrix_file_exits_2(tmp_path):
    done = oxzep7("plan", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert "not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_cell_is_a_usage_error():
    done = oxzep7("run", EXAMPLE_MATRIX, "--cell", "py3.99-nothing")
    assert done.returncode == 2
    assert "no cell 'py3.99-nothing'" in done.stderr


def test_schema_is_json_schema():
    schema = json.loads(oxzep7("schema").stdout)
    assert schema["type"] == "object"
    assert "axes" in schema["properties"]


CLICK_TRIAL = """\
name: click-trial
project: {path: .}
baseline: {python: "3.9", click: "8.1.8"}
axes:
  python: ["3.9", "3.11"]
  click: ["8.1.8", "8.2.1"]
"""


def test_plan_shows_the_infeasible_cell_and_why(tmp_path):
    matrix = tmp_path / "m.yaml"
    matrix.write_text(CLICK_TRIAL)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with IndexServer() as server:
        url = ["--index-url", server.url]
        shown = oxzep7("plan", str(matrix), *url, env=env)
        as_json = json.loads(oxzep7("plan", str(matrix), "--json", *url, env=env).stdout)
        picked = oxzep7("run", str(matrix), "--cell", "py3.9-click8.2.1", *url, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "3 cells, 1 infeasible" in shown.stdout
    assert "infeasible: click 8.2.1 requires Python >=3.10" in shown.stdout
    assert [p["cell"]["id"] for p in as_json["pruned"]] == ["py3.9-click8.2.1"]
    assert picked.returncode == 2
    assert "'py3.9-click8.2.1' is infeasible: click 8.2.1 requires Python >=3.10" in picked.stderr


def test_an_unreachable_index_is_exit_6_with_a_way_out(tmp_path):
    matrix = tmp_path / "m.yaml"
    matrix.write_text(CLICK_TRIAL)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = oxzep7("plan", str(matrix), "--index-url", "http://127.0.0.1:9/simple/", env=env)
    assert done.returncode == 6
    assert "click" in done.stderr and "Traceback" not in done.stderr
    offline = oxzep7("plan", str(matrix), "--no-index", env=env)
    assert offline.returncode == 0
    assert "py3.9-click8.2.1" in offline.stdout  # nothing pruned without the index
