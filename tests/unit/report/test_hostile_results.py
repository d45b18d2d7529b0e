"""Hostile input on the reading side: every broken results.json or run directory is one
line naming the file (and the cell and key), with a documented exit code and no
traceback; nothing from the results reaches the terminal as a control sequence or as
rich markup.

Each case is a row of a table; a few run ``python -m orchestrator report`` in a
subprocess (the real entry point), the rest call ``cli.main`` in-process.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli
from orchestrator import results as results_module
from orchestrator.errors import EXIT_CODES, EXIT_CONFIG, EXIT_DAMAGED

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "unit" / "data" / "results-example.json"
# Control characters that must never reach a terminal raw (newline and tab may).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def with_cell(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], Path]:
    """A run directory whose second cell ``change`` has damaged."""

    def make(tmp: Path) -> Path:
        data = example()
        change(data["cells"][1])
        return write_run(tmp, data)

    return make


def with_top(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        data = example()
        change(data)
        return write_run(tmp, data)

    return make


def write_run(tmp: Path, data: object) -> Path:
    run = tmp / "run"
    run.mkdir(exist_ok=True)
    (run / "results.json").write_text(json.dumps(data))
    return run


def raw_file(content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        run = tmp / "run"
        run.mkdir()
        (run / "results.json").write_bytes(content)
        return run

    return make


def results_dir(tmp: Path) -> Path:
    (tmp / "run" / "results.json").mkdir(parents=True)
    return tmp / "run"


def fifo(tmp: Path) -> Path:
    (tmp / "run").mkdir()
    os.mkfifo(tmp / "run" / "results.json")
    return tmp / "run"


CELL = "cells[1] (py3.9-click8.1.8)"
# id -> (make the run directory, exit code, words the one line must hold)
CASES: dict[str, tuple[Callable[[Path], Path], int, list[str]]] = {
    "cell-is-a-string": (
        with_top(lambda d: d["cells"].insert(1, "py3.9")),
        EXIT_DAMAGED,
        ["results.json: cells[1]: expected an object, got the string 'py3.9'"],
    ),
    "cell-is-an-integer": (
        with_top(lambda d: d["cells"].insert(0, 7)),
        EXIT_DAMAGED,
        ["cells[0]: expected an object, got the number 7"],
    ),
    "cell-is-empty": (
        with_top(lambda d: d["cells"].append({})),
        EXIT_DAMAGED,
        ["cells[6]: id: missing"],
    ),
    "status-42": (
        with_cell(lambda c: c.update(status=42)),
        EXIT_DAMAGED,
        [f"{CELL}: status: expected one of passed, failed", "got the number 42"],
    ),
    "status-unknown": (
        with_cell(lambda c: c.update(status="exploded")),
        EXIT_DAMAGED,
        [f"{CELL}: status:", "got the string 'exploded'"],
    ),
    "counts-many": (
        with_cell(lambda c: c.update(counts="many")),
        EXIT_DAMAGED,
        [f"{CELL}: counts: expected an object, got the string 'many'"],
    ),
    "count-negative": (
        with_cell(lambda c: c["counts"].update(passed=-1)),
        EXIT_DAMAGED,
        [f"{CELL}: counts.passed: expected a whole number of at least 0"],
    ),
    "outcome-unknown": (
        with_cell(lambda c: c["tests"].update({"t.py::x": "exploded"})),
        EXIT_DAMAGED,
        [f"{CELL}: tests.t.py::x: expected one of passed, failed, error, skipped, flaky"],
    ),
    "duration-nan": (
        with_cell(lambda c: c.update(duration=float("nan"))),
        EXIT_DAMAGED,
        [f"{CELL}: duration: expected a number of seconds"],
    ),
    "axes-without-python": (
        with_cell(lambda c: c["axes"].pop("python")),
        EXIT_DAMAGED,
        [f"{CELL}: axes.python: missing"],
    ),
    "axis-value-a-number": (
        with_cell(lambda c: c["axes"].update(click=8.1)),
        EXIT_DAMAGED,
        [f"{CELL}: axes.click: expected a string, got the number 8.1"],
    ),
    "failing-tests-not-a-list": (
        with_cell(lambda c: c.update(failing_tests="t.py::a")),
        EXIT_DAMAGED,
        [f"{CELL}: failing_tests: expected a list of strings"],
    ),
    "exit-code-a-string": (
        with_cell(lambda c: c.update(exit_code="1")),
        EXIT_DAMAGED,
        [f"{CELL}: exit_code: expected a whole number or null"],
    ),
    "lone-surrogate": (
        with_cell(lambda c: c["tests"].update({"t.py::\ud800": "passed"})),
        EXIT_DAMAGED,
        [f"{CELL}: tests.t.py::", "not valid Unicode"],
    ),
    "duplicate-cell-id": (
        with_top(lambda d: d["cells"].append(copy.deepcopy(d["cells"][0]))),
        EXIT_DAMAGED,
        ["cells[6] (py3.9-click7.1.2): the same id as cells[0]"],
    ),
    "cells-not-a-list": (
        with_top(lambda d: d.update(cells={"a": 1})),
        EXIT_DAMAGED,
        ["results.json: cells: expected a list, got an object"],
    ),
    "not-run-entry-a-number": (
        with_top(lambda d: d.update(not_run=[3])),
        EXIT_DAMAGED,
        ["results.json: not_run[0]: expected a cell id, got the number 3"],
    ),
    "priority-a-string": (
        with_top(lambda d: d.update(priority="python")),
        EXIT_DAMAGED,
        ["results.json: priority: expected a list of strings"],
    ),
    "baseline-a-number": (
        with_top(lambda d: d.update(baseline=5)),
        EXIT_DAMAGED,
        ["results.json: baseline: expected a string, got the number 5"],
    ),
    "wrong-schema": (
        with_top(lambda d: d.update(schema="something/2")),
        EXIT_DAMAGED,
        ["results.json is not an oxzep7 results file (oxzep7.results/1)"],
    ),
    "top-level-list": (
        lambda tmp: write_run(tmp, [1, 2]),
        EXIT_DAMAGED,
        ["is not an oxzep7 results file"],
    ),
    "not-json": (
        raw_file(b'{"schema": "oxzep7.results/1",\n  "cells": [}'),
        EXIT_DAMAGED,
        ["results.json:2: not valid JSON"],
    ),
    "not-utf8": (raw_file(b'{"name": "\xff\xfe"}'), EXIT_DAMAGED, ["not UTF-8 text (byte 10)"]),
    "nested-too-deeply": (raw_file(b"[" * 200_000), EXIT_DAMAGED, ["not valid JSON"]),
    "huge-integer": (
        raw_file(b'{"schema": "oxzep7.results/1", "x": ' + b"9" * 5000 + b"}"),
        EXIT_DAMAGED,
        ["not valid JSON"],
    ),
    "results-is-a-directory": (results_dir, EXIT_DAMAGED, ["results.json is a directory"]),
    "results-is-a-fifo": (fifo, EXIT_DAMAGED, ["results.json is not a regular file"]),
    "run-dir-missing": (
        lambda tmp: tmp / "nowhere",
        EXIT_CONFIG,
        ["no results.json in", "nowhere: is it a run directory?"],
    ),
    "empty-run-dir": (
        lambda tmp: (tmp / "run").mkdir() or tmp / "run",
        EXIT_CONFIG,
        ["no results.json in"],
    ),
}


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("oxzep7: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_results_are_one_line_with_a_documented_exit_code(case, tmp_path, capsys):
    make, code, words = CASES[case]
    run = make(tmp_path)
    assert cli.main(["report", str(run)]) == code
    captured = capsys.readouterr()
    message = _one_line(captured.err)
    for word in words:
        assert word in message
    assert captured.out == ""


def test_a_device_as_the_run_directory_is_refused_unread(capsys):
    # /dev/zero never ends: it must be refused before anything is read.
    assert cli.main(["report", "/dev/zero"]) == EXIT_DAMAGED
    assert "/dev/zero is not a regular file" in _one_line(capsys.readouterr().err)


def test_a_file_larger_than_the_bound_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(results_module, "MAX_BYTES", 1000)
    run = write_run(tmp_path, example())
    assert cli.main(["report", str(run)]) == EXIT_DAMAGED
    assert "results.json is larger than" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (lambda tmp: tmp, ": is a directory; name a file to write"),
        (lambda tmp: Path("/proc/self/no/such/report.md"), ": cannot write it:"),
    ],
    ids=["directory", "unwritable"],
)
def test_output_that_cannot_be_written_is_a_usage_error(tmp_path, capsys, target, words):
    out = target(tmp_path)
    code = cli.main(["report", str(EXAMPLE), "-f", "markdown", "-o", str(out)])
    assert code == EXIT_CONFIG
    line = _one_line(capsys.readouterr().err)
    assert f"-o {out}" in line and words in line
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def _oxzep7(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "case", ["counts-many", "cell-is-a-string", "results-is-a-directory", "run-dir-missing"]
)
def test_the_real_command_says_the_same(case, tmp_path):
    make, code, words = CASES[case]
    done = _oxzep7("report", str(make(tmp_path)))
    assert done.returncode == code, done.stderr
    message = _one_line(done.stderr)
    assert all(word in message for word in words)


def test_dev_zero_through_the_real_command_ends_at_once():
    done = _oxzep7("report", "/dev/zero")
    assert done.returncode == EXIT_DAMAGED
    assert "not a regular file" in _one_line(done.stderr)


# --------------------------------------------------------------------------- what gets printed

EVIL_TEST = "tests/test_x.py::test_y[\x1b[2J\x00\x9b31m\x1b]8;;http://evil.example\x07link]"
EVIL_NAME = "[link=http://evil.example]evil[/link] [/] :smile: \x1b[2J"


def _evil_run(tmp: Path) -> Path:
    data = example()
    data["name"] = EVIL_NAME
    cell = next(c for c in data["cells"] if c["id"] == "py3.13-click8.1.8")
    cell["tests"][EVIL_TEST] = "failed"
    cell["failing_tests"].insert(0, EVIL_TEST)
    cell["message"] = "boom \x1b[2J\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\ \x00\x07 end"
    errored = next(c for c in data["cells"] if c["id"] == "py3.9-click8.1.8")
    errored.update(status="error", junit=False, tests={}, failing_tests=[])
    errored["message"] = "\x1b[31mERROR\x1b[0m: [bold]no wheel[/bold]\x9b2J"
    return write_run(tmp, data)


def _assert_terminal_safe(text: str) -> None:
    assert "\x1b]8" not in text and "\x1b[2J" not in text  # no hyperlink, no clear screen
    assert not RAW_CONTROL.sub("", text.replace("\x1b[", "")).count("\x1b")
    # Only SGR colour sequences (ESC [ digits ; m) may remain, and only when colour is on.
    assert not re.search(r"\x1b\[[0-9;]*[^0-9;m]", text)
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert not RAW_CONTROL.search(stripped), repr(RAW_CONTROL.search(stripped))


@pytest.mark.parametrize("color", [False, True], ids=["plain", "forced-colour"])
def test_terminal_report_prints_no_control_sequences_and_no_markup(tmp_path, color):
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color"} if color else {"NO_COLOR": "1"}
    done = _oxzep7("report", str(_evil_run(tmp_path)), **env)
    assert done.returncode == 0, done.stderr
    _assert_terminal_safe(done.stdout)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    assert "[link=http://evil.example]evil[/link] [/] :smile:" in plain  # as written
    assert "tests/test_x.py::test_y[link]" in plain  # the sequences dropped whole
    assert "ERROR: [bold]no wheel[/bold]" in plain


@pytest.mark.parametrize("fmt", ["markdown", "json", "junit", "html"])
def test_every_format_on_stdout_holds_no_raw_control_character(tmp_path, fmt):
    done = _oxzep7("report", str(_evil_run(tmp_path)), "-f", fmt)
    assert done.returncode == 0, done.stderr
    assert not RAW_CONTROL.search(done.stdout.replace("\r", "")), fmt


def test_plan_prints_a_matrix_named_like_markup_as_it_is(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    matrix = tmp_path / "m.yaml"
    matrix.write_text(
        'name: "[/] [link=http://evil.example]x[/link]"\n'
        "project: {path: project}\n"
        "baseline: {python: '3.11'}\n"
        "axes: {python: ['3.11']}\n"
    )
    done = _oxzep7("plan", str(matrix), "--no-index", FORCE_COLOR="1")
    assert done.returncode == 0, done.stderr
    _assert_terminal_safe(done.stdout)
    assert "[/] [link=http://evil.example]x[/link]" in re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)


def test_errors_are_cleaned_too(capsys):
    from orchestrator import console

    console.error("bad \x1b[2J thing\nsecond line")
    assert capsys.readouterr().err == "oxzep7: error: bad  thing second line\n"


# --------------------------------------------------------------------------- documentation


def test_every_exit_code_is_in_the_readme_and_in_help():
    readme = (ROOT / "README.md").read_text()
    help_text = cli.build_parser().format_help()
    for code, meaning in EXIT_CODES:
        assert f"`{code}` {meaning}" in readme, code
        assert re.search(rf"^  {code}\s+{re.escape(meaning)}$", help_text, re.M), code
