"""Expand a Matrix into a Plan: the cells that will be built and tested.

Order of operations follows GitHub Actions' ``strategy.matrix``: the cartesian
product of the axes, then ``exclude``, then ``include``; then the baseline is
added if nothing else produced it. A baseline that leaves an axis out takes that
axis's lowest value: the oldest combination is the usual "what runs today". Cell
ids are stable and readable (``py3.13-click8.1.8``) because they name nox sessions,
images and folders.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from orchestrator.errors import ConfigError
from orchestrator.models import Cell, Matrix, Plan
from orchestrator.plan import versions

Combo = dict[str, str]


def expand(
    axes: Mapping[str, Iterable[str]],
    exclude: Iterable[Mapping[str, str]] = (),
    include: Iterable[Mapping[str, str]] = (),
) -> list[Combo]:
    """The combinations GitHub Actions would produce for these axes, exclude and include."""
    names = list(axes)
    if not names:  # GitHub: with no axes, each include entry is a job of its own
        return [dict(entry) for entry in include]
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]
    combos = [c for c in combos if not any(_matches(c, entry) for entry in exclude)]
    return _apply_include(combos, set(names), include)


def _matches(combo: Mapping[str, str], entry: Mapping[str, str]) -> bool:
    """An exclude entry matches every combo that agrees on all the keys it names."""
    return all(combo.get(key) == value for key, value in entry.items())


def _apply_include(
    combos: list[Combo], axis_names: set[str], include: Iterable[Mapping[str, str]]
) -> list[Combo]:
    """GitHub's include: extend each original combo that no axis value of the entry
    contradicts; when no combo can take the entry, it becomes a combo of its own.

    Only combos from the product are candidates (combos added by an include are
    never extended), and values an earlier include added may be overwritten,
    while the original axis values never are.
    """
    originals = [dict(c) for c in combos]
    added: list[Combo] = []
    for entry in include:
        extended = False
        for combo in originals:
            if all(combo[k] == v for k, v in entry.items() if k in axis_names):
                combo.update({k: v for k, v in entry.items() if k not in axis_names})
                extended = True
        if not extended:
            added.append(dict(entry))
    return originals + added


def cell_id(combo: Mapping[str, str]) -> str:
    """``py3.13-click8.1.8``: the interpreter first, then each dependency in axis order."""
    parts = [f"py{combo['python']}"] if "python" in combo else []
    parts += [f"{name}{versions.slug(value)}" for name, value in combo.items() if name != "python"]
    return "-".join(parts)


def make_cell(combo: Mapping[str, str], *, baseline: bool = False) -> Cell:
    deps = {name: value for name, value in combo.items() if name != "python"}
    return Cell(id=cell_id(combo), python=combo["python"], deps=deps, baseline=baseline)


def plan(matrix: Matrix) -> Plan:
    """The Plan for ``matrix``: unique cells, the baseline marked and always present."""
    combos = expand(matrix.axes, matrix.exclude, matrix.include)
    defaults = {
        name: min(values, key=versions.sort_key)
        for name, values in matrix.axes.items()
        if name not in matrix.baseline
    }
    baseline = make_cell(_ordered({**matrix.baseline, **defaults}, matrix.axes), baseline=True)
    cells: dict[str, Cell] = {}
    for combo in combos:
        if "python" not in combo:
            raise ConfigError(
                f"include entry {combo} matches no cell and names no python; "
                "a new cell needs an interpreter",
                path=matrix.source,
                key="include",
            )
        cell = make_cell(_ordered(combo, matrix.axes), baseline=False)
        cells.setdefault(cell.id, cell)
    # The baseline keeps its place in the product, or leads when nothing produced it.
    if baseline.id not in cells:
        cells = {baseline.id: baseline, **cells}
    cells[baseline.id] = baseline
    return Plan(
        name=matrix.name,
        matrix_path=matrix.source,
        project=matrix.project,
        image_family=matrix.image_family,
        constraints=matrix.constraints,
        run=matrix.run,
        cells=tuple(cells.values()),
        baseline_defaults=tuple(defaults),
    )


def _ordered(combo: Mapping[str, str], axes: Mapping[str, object]) -> Combo:
    """``combo`` with its keys in axis order, so ids do not depend on how YAML was written."""
    return {name: combo[name] for name in axes if name in combo}
