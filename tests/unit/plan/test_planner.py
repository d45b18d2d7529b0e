"""expand.expand follows GitHub Actions strategy.matrix; expand.plan makes cells."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.models import Matrix, Project
from orchestrator.plan import expand

FRUIT_ANIMAL = {"fruit": ["apple", "pear"], "animal": ["cat", "dog"]}


# --- expand: GitHub Actions semantics --------------------------------------------------------


def test_expand_github_docs_include_example():
    # https://docs.github.com/en/actions/using-jobs/using-a-matrix-for-your-jobs
    include = [
        {"color": "green"},
        {"color": "pink", "animal": "cat"},
        {"fruit": "apple", "shape": "circle"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert expand.expand(FRUIT_ANIMAL, include=include) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_expand_is_the_cartesian_product_in_axis_order():
    assert expand.expand(FRUIT_ANIMAL) == [
        {"fruit": "apple", "animal": "cat"},
        {"fruit": "apple", "animal": "dog"},
        {"fruit": "pear", "animal": "cat"},
        {"fruit": "pear", "animal": "dog"},
    ]


def test_exclude_partial_match_removes_every_matching_combo():
    axes = {"os": ["linux", "mac"], "py": ["3.12", "3.13"], "db": ["pg", "sqlite"]}
    combos = expand.expand(axes, exclude=[{"os": "mac", "db": "pg"}])
    assert len(combos) == 6
    assert not [c for c in combos if c["os"] == "mac" and c["db"] == "pg"]
    assert {"os": "mac", "py": "3.12", "db": "sqlite"} in combos


def test_exclude_with_several_entries_removes_each():
    combos = expand.expand(FRUIT_ANIMAL, exclude=[{"fruit": "apple"}, {"animal": "dog"}])
    assert combos == [{"fruit": "pear", "animal": "cat"}]


def test_include_re_adds_an_excluded_combo():
    combos = expand.expand(
        FRUIT_ANIMAL,
        exclude=[{"fruit": "apple", "animal": "cat"}],
        include=[{"fruit": "apple", "animal": "cat"}],
    )
    assert combos == [
        {"fruit": "apple", "animal": "dog"},
        {"fruit": "pear", "animal": "cat"},
        {"fruit": "pear", "animal": "dog"},
        {"fruit": "apple", "animal": "cat"},
    ]


def test_include_extends_matching_combos_without_adding_any():
    combos = expand.expand(FRUIT_ANIMAL, include=[{"animal": "dog", "size": "big"}])
    assert combos == [
        {"fruit": "apple", "animal": "cat"},
        {"fruit": "apple", "animal": "dog", "size": "big"},
        {"fruit": "pear", "animal": "cat"},
        {"fruit": "pear", "animal": "dog", "size": "big"},
    ]


def test_include_never_overwrites_an_original_axis_value():
    combos = expand.expand(FRUIT_ANIMAL, include=[{"fruit": "apple", "animal": "bird"}])
    assert len(combos) == 5
    assert combos[-1] == {"fruit": "apple", "animal": "bird"}
    assert all(c["animal"] in ("cat", "dog") for c in combos[:4])


def test_include_adds_a_new_combo_when_nothing_can_take_it():
    combos = expand.expand(FRUIT_ANIMAL, include=[{"fruit": "kiwi", "animal": "cat"}])
    assert combos[:4] == expand.expand(FRUIT_ANIMAL)
    assert combos[4:] == [{"fruit": "kiwi", "animal": "cat"}]


def test_include_equal_to_an_existing_combo_adds_nothing():
    assert expand.expand(FRUIT_ANIMAL, include=[{"fruit": "pear", "animal": "dog"}]) == (
        expand.expand(FRUIT_ANIMAL)
    )


def test_include_after_everything_is_excluded_becomes_a_combo():
    combos = expand.expand({"fruit": ["apple"]}, exclude=[{"fruit": "apple"}], include=[{"x": "1"}])
    assert combos == [{"x": "1"}]


def test_include_only_matrix_runs_every_entry():
    include = [{"site": "production", "dc": "a"}, {"site": "staging", "dc": "b"}]
    assert expand.expand({}, include=include) == include


# --- plan ----------------------------------------------------------------------------------


def _matrix(
    python=("3.12", "3.13"),
    click=("8.1.8", "8.2.0"),
    baseline=None,
    include=(),
    exclude=(),
    **extra_axes,
) -> Matrix:
    axes = {"python": tuple(python), "click": tuple(click)}
    axes.update({name: tuple(values) for name, values in extra_axes.items()})
    return Matrix(
        name="demo",
        source=Path("matrix.yaml"),
        project=Project(Path("project")),
        axes=axes,
        baseline=baseline or {"python": python[0], "click": click[0]},
        include=tuple(include),
        exclude=tuple(exclude),
    )


def _ids(plan):
    return [cell.id for cell in plan.cells]


def _baselines(plan):
    return [cell.id for cell in plan.cells if cell.baseline]


def test_plan_ids_and_order_python_first():
    plan = expand.plan(_matrix())
    assert _ids(plan) == [
        "py3.12-click8.1.8",
        "py3.12-click8.2.0",
        "py3.13-click8.1.8",
        "py3.13-click8.2.0",
    ]
    cell = plan.cell("py3.13-click8.2.0")
    assert (cell.python, dict(cell.deps)) == ("3.13", {"click": "8.2.0"})


def test_plan_ids_follow_axis_order_not_entry_order():
    matrix = _matrix(
        python=("3.13",),
        click=("8.1.8",),
        pyyaml=("6.0.2",),
        baseline={"pyyaml": "6.0.2", "click": "8.1.8", "python": "3.13"},
        include=[{"pyyaml": "6.0.1", "click": "8.2.0", "python": "3.12"}],
    )
    assert _ids(expand.plan(matrix)) == [
        "py3.13-click8.1.8-pyyaml6.0.2",
        "py3.12-click8.2.0-pyyaml6.0.1",
    ]


def test_baseline_in_the_product_is_marked_once_in_place():
    plan = expand.plan(_matrix(baseline={"python": "3.13", "click": "8.1.8"}))
    assert _ids(plan) == _ids(expand.plan(_matrix()))
    assert _baselines(plan) == ["py3.13-click8.1.8"]
    assert plan.baseline is plan.cell("py3.13-click8.1.8")


@pytest.mark.parametrize(
    ("baseline", "exclude"),
    [
        ({"python": "3.12", "click": "8.1.8"}, [{"python": "3.12"}]),  # excluded
        ({"python": "3.11", "click": "8.0.0"}, []),  # outside the axes
    ],
    ids=["excluded", "outside-axes"],
)
def test_baseline_is_always_present_and_marked_once(baseline, exclude):
    plan = expand.plan(_matrix(baseline=baseline, exclude=exclude))
    expected = f"py{baseline['python']}-click{baseline['click']}"
    assert _baselines(plan) == [expected]
    assert _ids(plan).count(expected) == 1
    assert plan.baseline.python == baseline["python"]
    assert dict(plan.baseline.deps) == {"click": baseline["click"]}


def test_exclude_removes_cells_from_the_plan():
    plan = expand.plan(_matrix(exclude=[{"click": "8.2.0"}]))
    assert _ids(plan) == ["py3.12-click8.1.8", "py3.13-click8.1.8"]


@pytest.mark.parametrize(
    "include",
    [
        {"python": "3.13", "click": "8.1.8"},
        {"click": "8.1.8", "python": "3.13"},
        {"python": "3.13", "click": "==8.1.8"},  # same pin, written differently
    ],
)
def test_include_equal_to_an_existing_cell_adds_nothing(include):
    plan = expand.plan(_matrix(include=[include]))
    assert _ids(plan) == _ids(expand.plan(_matrix()))


def test_include_adds_a_new_cell_at_the_end():
    plan = expand.plan(_matrix(include=[{"python": "3.14", "click": "8.2.0"}]))
    assert _ids(plan)[-1] == "py3.14-click8.2.0"
    assert len(plan.cells) == 5


@pytest.mark.parametrize(
    ("value", "cell_id"),
    [
        ("8.1.*", "py3.13-click8.1.x"),
        ("==8.1.*", "py3.13-click8.1.x"),
        ("~=8.1", "py3.13-clickcompat8.1"),
        (">=8.1", "py3.13-clickge8.1"),
    ],
)
def test_specifier_values_give_readable_ids(value, cell_id):
    plan = expand.plan(_matrix(python=("3.13",), click=(value,)))
    assert _ids(plan) == [cell_id]
    assert plan.cells[0].deps["click"] == value


def test_range_ids_do_not_depend_on_how_the_range_is_written():
    a = expand.plan(_matrix(python=("3.13",), click=(">=8,<9",)))
    b = expand.plan(_matrix(python=("3.13",), click=("<9,>=8",)))
    assert _ids(a) == _ids(b)
    assert re.fullmatch(r"py3\.13-click[A-Za-z0-9._-]+", _ids(a)[0])


@pytest.mark.parametrize("value", ["2.1.0+cpu", "1!2.0"])
def test_cell_ids_are_safe_for_image_tags(value):
    plan = expand.plan(_matrix(python=("3.13",), click=(value,)))
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", plan.cells[0].id)


def test_include_without_python_is_a_config_error_not_a_crash():
    with pytest.raises(ConfigError):
        expand.plan(_matrix(include=[{"click": "9.0"}]))


@pytest.mark.parametrize(
    ("baseline", "expected", "defaults"),
    [
        ({}, "py3.12-click8.1.8", ("python", "click")),
        ({"python": "3.13"}, "py3.13-click8.1.8", ("click",)),
        ({"click": "8.2.0"}, "py3.12-click8.2.0", ("python",)),
    ],
    ids=["none", "python-only", "click-only"],
)
def test_a_partial_baseline_takes_each_missing_axis_lowest_value(baseline, expected, defaults):
    matrix = _matrix(python=("3.13", "3.12"), click=("8.2.0", "8.1.8"))
    plan = expand.plan(replace(matrix, baseline=baseline))
    assert _baselines(plan) == [expected]
    assert plan.baseline_defaults == defaults


def test_lowest_compares_versions_not_strings():
    plan = expand.plan(replace(_matrix(python=("3.9", "3.11"), click=("10.0", "9.1")), baseline={}))
    assert _baselines(plan) == ["py3.9-click9.1"]


def test_long_cell_ids_end_in_a_stable_hash() -> None:
    combo = {"python": "3.11", **{f"a-rather-long-distribution-{n}": "1.2.3" for n in range(5)}}
    long_id = expand.cell_id(combo)
    assert len(long_id) == expand.MAX_ID
    assert long_id.startswith("py3.11-a-rather-long-distribution-01.2.3-")
    assert long_id == expand.cell_id(dict(combo))
    assert expand.cell_id({**combo, "a-rather-long-distribution-4": "1.2.4"}) != long_id
    assert expand.cell_id({"python": "3.11", "click": "8.1.8"}) == "py3.11-click8.1.8"
