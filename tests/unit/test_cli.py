"""The command line as a user meets it: help, plan output, one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, oxzep7

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
