"""Property-based fuzzing of the two readers of input files: the matrix loader and the
plan.json reader. Whatever the bytes, the answer is a Matrix or a Plan, or an oxzep7
error (``Oxzep7Error``: one line, an exit code); never another exception.

Inputs: random text; random YAML/JSON documents built from the files' own vocabulary
(so validation goes deep, not only the parser); valid files mutated byte-wise (YAML
syntax characters, anchors, merges, digits); valid plan.json data with one value swapped
for a random one. Bounded for CI: ``max_examples`` per test and no deadline (the whole
module runs in well under 20 s).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from orchestrator.errors import Oxzep7Error  # noqa: E402
from orchestrator.models import Matrix, Plan  # noqa: E402
from orchestrator.plan import expand, planfile  # noqa: E402
from orchestrator.plan.matrix import load_matrix  # noqa: E402

EXAMPLES = int(__import__("os").environ.get("OXZEP7_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

VALID = """\
name: fuzz
project:
  path: app
  install: ".[test]"
  env: {A: "1"}
baseline: &base
  python: "3.9"
  click: "7.1.2"
axes:
  python: ["3.9", "3.11"]
  click: ["7.1.2", {range: ">=8,<9", pick: latest}]
  pyyaml: ["6.0.*"]
constraints: ["pytest==8.3.5"]
exclude:
  - {<<: *base, python: "3.11"}
include:
  - {python: "3.11", click: "8.0.0"}
run: {jobs: 2, timeout: 600, memory: 2g, cpus: 1.5, retries: 1, max_cells: 50}
"""

WORDS = [
    "name", "project", "path", "install", "test", "deps", "env", "baseline", "axes",
    "python", "click", "pyyaml", "constraints", "exclude", "include", "image", "family",
    "run", "jobs", "timeout", "memory", "cpus", "retries", "priority", "max_cells",
    "index", "range", "pick", "latest", "all", "newest-2", "3.9", "3.11", "7.1.2",
    ">=8", "8.1.*", "app", ".", "debian", "official", "cells", "id", "deps", "schema",
]  # fmt: skip
SYNTAX = [
    "\n", "  ", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "!!", "'", '"',
    "#", "|", ">", "?", "%", "@", "`", "\t", "\x00", "\u2028", "9" * 40, "~", "null",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=30,
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few random slices deleted, repeated or replaced."""
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 12)))
        insert = draw(st.one_of(st.sampled_from(SYNTAX + WORDS), st.text(max_size=6)))
        kind = draw(st.sampled_from(["replace", "delete", "repeat"]))
        piece = {"replace": insert, "delete": "", "repeat": text[start:end] * 2}[kind]
        text = text[:start] + piece + text[end:]
    return text


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "app").mkdir()
    return root


def loads_or_refuses(path: Path, text: str | bytes) -> None:
    """The property: a Matrix, or an oxzep7 error of one line."""
    if isinstance(text, str):
        text = text.encode("utf-8", errors="surrogatepass")
    path.write_bytes(text)
    try:
        assert isinstance(load_matrix(path), Matrix)
    except Oxzep7Error as exc:
        assert "\n" not in str(exc)


def reads_or_refuses(path: Path, data: Any) -> None:
    """The property for plan.json: a Plan, or an oxzep7 error of one line."""
    path.write_text(data if isinstance(data, str) else json.dumps(data), errors="surrogatepass")
    try:
        assert isinstance(planfile.load(path), Plan)
    except Oxzep7Error as exc:
        assert "\n" not in str(exc)


# --- The matrix loader ---------------------------------------------------------------------


@FUZZ
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200)))
def test_matrix_loader_on_random_text(home: Path, text: str | bytes) -> None:
    loads_or_refuses(home / "text.yaml", text)


@FUZZ
@given(documents)
def test_matrix_loader_on_random_documents(home: Path, document: Any) -> None:
    loads_or_refuses(home / "doc.yaml", yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["name", "project", "baseline", "axes", "include", "exclude", "run"]),
        documents,
    )
)
def test_matrix_loader_on_random_sections(home: Path, sections: dict[str, Any]) -> None:
    base = yaml.safe_load(VALID.replace("<<: *base, ", ""))
    loads_or_refuses(home / "sections.yaml", yaml.safe_dump({**base, **sections}))


@FUZZ
@given(mutated(VALID))
def test_matrix_loader_on_mutated_files(home: Path, text: str) -> None:
    loads_or_refuses(home / "mutated.yaml", text)


# --- The plan.json reader ------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(home: Path) -> dict[str, Any]:
    """A valid plan.json's data (pins only, as --no-index records)."""
    path = home / "valid.yaml"
    path.write_text(VALID.replace('{range: ">=8,<9", pick: latest}', '"8.1.8"'))
    return expand.plan(load_matrix(path)).to_dict()


def test_the_recorded_plan_reads_back(home: Path, recorded: dict[str, Any]) -> None:
    path = home / "plan.json"
    path.write_text(json.dumps(recorded))
    assert planfile.load(path).to_dict() == recorded


@FUZZ
@given(st.one_of(documents, st.text(max_size=200)))
def test_plan_reader_on_random_json(home: Path, data: Any) -> None:
    reads_or_refuses(home / "random.json", data)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data``."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@FUZZ
@given(st.data())
def test_plan_reader_on_mutated_plans(
    home: Path, recorded: dict[str, Any], data: st.DataObject
) -> None:
    changed = copy.deepcopy(recorded)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(changed)[1:]))
        target = changed
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = data.draw(documents)
    reads_or_refuses(home / "mutated.json", changed)


@FUZZ
@given(mutated(json.dumps({"schema": "oxzep7.plan/1", "cells": [{"id": "py3.9", "deps": {}}]})))
def test_plan_reader_on_mutated_text(home: Path, text: str) -> None:
    reads_or_refuses(home / "text.json", text)
