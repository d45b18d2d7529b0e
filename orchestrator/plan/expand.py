"""Expand a Matrix into a Plan: the cells that will be built and tested.

Order of operations follows GitHub Actions' ``strategy.matrix``: the cartesian
product of the axes, then ``exclude``, then ``include``; then the baseline is
added if nothing else produced it. A baseline that leaves an axis out takes that
axis's lowest value: the oldest combination is the usual "what runs today". Cell
ids are stable and readable (``py3.13-click8.1.8``) because they name nox sessions,
images and folders; an id longer than ``MAX_ID`` characters keeps its beginning and
ends in a short hash of the whole.

A matrix may expand to at most ``run.max_cells`` cells. The axes' product is checked
before anything is expanded: it may exceed that limit ``EXCLUDE_ROOM`` times over, for
exclude entries to thin it out, and no more.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping

from orchestrator.models import Cell, Matrix, Plan
from orchestrator.plan import versions
from orchestrator.plan.matrix import located_error

Combo = dict[str, str]
MAX_ID = 100  # characters: ids name folders, nox sessions and (within 128) image tags
_DIGEST = 8  # hex digits of the hash that ends a shortened id
EXCLUDE_ROOM = 10


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
    """``py3.13-click8.1.8``: the interpreter first, then each dependency in axis order.

    Longer than MAX_ID characters, it is cut and ends in ``-`` and 8 hex digits of the
    SHA-256 of the whole id: still stable, still unique in practice, always a valid
    folder name and image tag.
    """
    parts = [f"py{combo['python']}"] if "python" in combo else []
    parts += [f"{name}{versions.slug(value)}" for name, value in combo.items() if name != "python"]
    text = "-".join(parts)
    if len(text) <= MAX_ID:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:_DIGEST]
    return f"{text[: MAX_ID - _DIGEST - 1].rstrip('-._')}-{digest}"


def make_cell(combo: Mapping[str, str], *, baseline: bool = False) -> Cell:
    deps = {name: value for name, value in combo.items() if name != "python"}
    return Cell(id=cell_id(combo), python=combo["python"], deps=deps, baseline=baseline)


def plan(matrix: Matrix) -> Plan:
    """The Plan for ``matrix``: unique cells, the baseline marked and always present.

    Raises ConfigError for an include entry that would be a cell without an interpreter,
    and for a matrix that expands beyond ``run.max_cells`` (checked before expanding).
    """
    check_product(matrix)
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
            key = f"include[{[dict(entry) for entry in matrix.include].index(combo)}]"
            raise located_error(
                matrix,
                key,
                "this entry matches no cell and names no python; a new cell needs an interpreter",
            )
        cell = make_cell(_ordered(combo, matrix.axes), baseline=False)
        cells.setdefault(cell.id, cell)
    # The baseline keeps its place in the product, or leads when nothing produced it.
    if baseline.id not in cells:
        cells = {baseline.id: baseline, **cells}
    cells[baseline.id] = baseline
    if len(cells) > matrix.run.max_cells:
        raise located_error(
            matrix,
            "axes",
            f"the matrix expands to {len(cells):,} cells, more than run.max_cells "
            f"({matrix.run.max_cells:,}); {_WAY_OUT}",
        )
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


_WAY_OUT = "use fewer versions, split the matrix, or raise run.max_cells"


def check_product(matrix: Matrix) -> None:
    """Refuse ``matrix`` before expanding when its axes multiply to more than
    EXCLUDE_ROOM times ``run.max_cells`` combinations (179 million would take minutes
    and all memory to expand, only to be refused)."""
    limit = matrix.run.max_cells
    product = math.prod(len(values) for values in matrix.axes.values()) + len(matrix.include)
    if product > limit * EXCLUDE_ROOM:
        factors = " x ".join(f"{len(values)} {name}" for name, values in matrix.axes.items())
        raise located_error(
            matrix,
            "axes",
            f"the axes multiply to {product:,} combinations ({factors}), more than "
            f"{limit * EXCLUDE_ROOM:,} (10 x run.max_cells, {limit:,}) before exclude; "
            f"{_WAY_OUT}",
        )


def _ordered(combo: Mapping[str, str], axes: Mapping[str, object]) -> Combo:
    """``combo`` with its keys in axis order, so ids do not depend on how YAML was written."""
    return {name: combo[name] for name in axes if name in combo}
