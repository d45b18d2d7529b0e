"""Recorded plans (a run's plan.json), read back as input: ``--frozen plan.json``.

A plan.json travels between machines (a CI job plans, others run cells), so it is
input like a matrix file and passes the same checks, through the same functions
(``fields``, ``values`` and the sections of ``matrix``): every interpreter must be one the
image family provides, every version a version, every requirement a requirement, the
project a directory whose test files parse. On top of that, each cell id must be the one
``expand.cell_id`` gives its axes, ids must be unique, exactly one cell is the baseline,
and the plan holds no more cells than its ``run.max_cells``.

A problem is one line, ``plan.json: cells[3].python: ...`` (JSON values have no line;
a syntax error has one), raised as DamagedResultsError: exit code 7, like any other
damaged or unreadable run file.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any, NoReturn

from orchestrator.errors import ConfigError, DamagedResultsError
from orchestrator.models import Cell, Plan, Pruned
from orchestrator.plan import expand, fields, values, yamlfile
from orchestrator.plan.fields import Field, Invalid, LocatedMap
from orchestrator.plan.matrix import PYTHON_AXIS, family_name, project, run_options

PLAN_SCHEMA = "oxzep7.plan/1"
MAX_BYTES = 16 << 20  # 100,000 cells of a few hundred bytes each, with room to spare
PLAN_KEYS = (
    "schema",
    "name",
    "matrix_path",
    "project",
    "image_family",
    "constraints",
    "run",
    "cells",
    "pruned",
    "resolved",
    "baseline_defaults",
)
PLAN_REQUIRED = PLAN_KEYS[:-3]  # pruned, resolved and baseline_defaults came later
CELL_KEYS = ("id", "python", "deps", "baseline")
CELL_REQUIRED = ("id", "python", "deps")
PRUNED_KEYS = ("cell", "reason")


def load(path: str | Path) -> Plan:
    """The plan recorded in ``path``; any problem is a one-line DamagedResultsError."""
    source = Path(path)
    try:
        data = parse_json(yamlfile.read_bytes(source, "plan file", MAX_BYTES))
        return plan_from_data(data, source.parent)
    except Invalid as problem:  # worded as a matrix file's problems are: file:line: key: ...
        where = ConfigError(problem.message, path=source, line=problem.line, key=problem.key)
        raise DamagedResultsError(str(where)) from None


def parse_json(raw: bytes) -> Any:
    """JSON with duplicate keys remembered (``fields.entries`` refuses them), integers of
    at most ``yamlfile.MAX_DIGITS`` digits, and no NaN or Infinity."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("the file is not UTF-8 text", raw[: exc.start].count(b"\n") + 1) from None
    try:
        return json.loads(
            text, object_pairs_hook=_located, parse_int=_integer, parse_constant=_constant
        )
    except json.JSONDecodeError as exc:
        raise Invalid(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise Invalid("not valid JSON: nested too deeply") from None


def _located(pairs: list[tuple[str, Any]]) -> LocatedMap:
    data = LocatedMap()
    for key, value in pairs:
        if key in data:
            data.duplicates.append((key, None, None))
        data[key] = value
    return data


def _integer(text: str) -> int:
    if len(text) > yamlfile.MAX_DIGITS:
        raise Invalid(f"not valid JSON: a number of more than {yamlfile.MAX_DIGITS} digits")
    return int(text)


def _constant(text: str) -> NoReturn:
    raise Invalid(f"not valid JSON: {text} is not a number")


# --- The plan ------------------------------------------------------------------------------


def plan_from_data(data: Any, base: Path) -> Plan:
    """A Plan from decoded plan.json data; a relative project path is relative to ``base``."""
    top = fields.document(data, None)
    if not isinstance(data, dict):
        fields.wrong_type(top, "a mapping (an oxzep7 plan)")
    if data.get("schema") != PLAN_SCHEMA:
        raise Invalid(f"not an oxzep7 plan (expected schema {PLAN_SCHEMA!r})")
    found = fields.mapping(top, PLAN_KEYS, PLAN_REQUIRED)
    family = family_name(found["image_family"])
    cells = tuple(_cell(item, family) for item in fields.items(found["cells"]))
    pruned = tuple(_pruned(item, family) for item in fields.items(found.get("pruned")))
    axes = {name: None for cell in (*cells, *(p.cell for p in pruned)) for name in cell.axes}
    plan = Plan(
        name=fields.string(found["name"], limit=200),
        matrix_path=Path(fields.string(found["matrix_path"])),
        project=project(found["project"], base),
        image_family=family,
        constraints=tuple(values.requirement(i) for i in fields.items(found["constraints"])),
        run=run_options(found["run"], axes),
        cells=cells,
        pruned=pruned,
        resolved=_resolved(found.get("resolved"), family, axes),
        baseline_defaults=_axis_names(found.get("baseline_defaults"), axes),
    )
    _check_cells(plan, found["cells"])
    return plan


def _cell(field: Field, family: str) -> Cell:
    """One cell: its values checked as in a matrix, its id the one its axes give."""
    found = fields.mapping(field, CELL_KEYS, CELL_REQUIRED)
    python = values.python(found["python"], family)
    deps: dict[str, str] = {}
    for name, entry in fields.entries(found["deps"]).items():
        if name == PYTHON_AXIS or values.distribution(name) != name:
            entry.fail_key(f"{name[:100]!r} is not a normalized distribution name")
        deps[name] = values.dependency(entry)
    baseline = fields.boolean(found["baseline"]) if "baseline" in found else False
    identity = found["id"]
    fields.string(identity, limit=expand.MAX_ID)
    expected = expand.cell_id({PYTHON_AXIS: python, **deps})
    if identity.value != expected:
        identity.fail(f"{identity.value!r} is not the id of the cell's axes ({expected!r})")
    return Cell(id=expected, python=python, deps=deps, baseline=baseline)


def _pruned(field: Field, family: str) -> Pruned:
    found = fields.mapping(field, PRUNED_KEYS, PRUNED_KEYS)
    cell = _cell(found["cell"], family)
    if cell.baseline:
        found["cell"].fail("the baseline cell cannot be pruned")
    return Pruned(cell, fields.string(found["reason"], limit=4 * fields.MAX_TEXT))


def _resolved(
    field: Field | None, family: str, axes: Collection[str]
) -> dict[str, tuple[str, ...]]:
    """What each axis resolved to: versions as in the axes of a matrix."""
    found: dict[str, tuple[str, ...]] = {}
    for name, entry in (fields.entries(field) if field is not None else {}).items():
        if name not in axes:
            entry.fail_key(fields.unknown(name, list(axes), "not an axis; axes are"))
        check = (lambda item: values.python(item, family)) if name == PYTHON_AXIS else None
        found[name] = tuple((check or values.dependency)(item) for item in fields.items(entry))
    return found


def _axis_names(field: Field | None, axes: Collection[str]) -> tuple[str, ...]:
    names: list[str] = []
    for item in fields.items(field):
        name = fields.string(item, limit=200)
        if name not in axes or name in names:
            item.fail(f"{name!r} is not an axis of the plan's cells, or is listed twice")
        names.append(name)
    return tuple(names)


def _check_cells(plan: Plan, field: Field) -> None:
    """Unique ids, one baseline, no more cells than ``run.max_cells``."""
    seen: set[str] = set()
    for key, cell in _all_cells(plan):
        if cell.id in seen:
            raise Invalid(f"cell id {cell.id!r} appears twice", None, f"{key}.id")
        seen.add(cell.id)
    baselines = [cell.id for cell in plan.cells if cell.baseline]
    if len(baselines) != 1:
        field.fail(f"expected exactly one baseline cell, found {len(baselines)}")
    total = len(plan.cells) + len(plan.pruned)
    if total > plan.run.max_cells:
        field.fail(f"{total:,} cells, more than run.max_cells ({plan.run.max_cells:,})")


def _all_cells(plan: Plan) -> list[tuple[str, Cell]]:
    return [(f"cells[{i}]", cell) for i, cell in enumerate(plan.cells)] + [
        (f"pruned[{i}].cell", p.cell) for i, p in enumerate(plan.pruned)
    ]
