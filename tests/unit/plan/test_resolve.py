"""resolve: matrix files with selectors and specifier sets, against a real local index
(tests/indexserver.py), become plans of exact versions with infeasible cells pruned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import EXIT_CONFIG, ConfigError, DamagedResultsError, PackageIndexError
from orchestrator.models import Matrix, Plan
from orchestrator.plan import expand, resolve
from orchestrator.plan.index import IndexClient
from orchestrator.plan.matrix import load_matrix
from tests.indexserver import IndexServer

CLICK_BY_PYTHON = """\
  python: ["3.9", "3.11"]
  click: ["8.1.8", "8.2.1"]
"""


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with IndexServer() as running:
        yield running


@pytest.fixture
def client(server: IndexServer, tmp_path: Path) -> IndexClient:
    return IndexClient(server.url, cache_dir=tmp_path / "cache", env={})


def matrix(
    tmp_path: Path, axes: str, baseline: str = '{python: "3.9", click: "8.1.8"}', more: str = ""
) -> Matrix:
    """A matrix file with these axes (YAML lines under ``axes:``), loaded."""
    (tmp_path / "app").mkdir(exist_ok=True)
    path = tmp_path / "matrix.yaml"
    text = f"name: t\nproject: {{path: app}}\nbaseline: {baseline}\naxes:\n{axes}{more}"
    path.write_text(text, encoding="utf-8")
    return load_matrix(path)


def ids(plan: Plan) -> list[str]:
    return [cell.id for cell in plan.cells]


def pruned(plan: Plan) -> dict[str, str]:
    return {p.cell.id: p.reason for p in plan.pruned}


def config_error(*args: Any, **options: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve.resolve(*args, **options)
    assert caught.value.exit_code == EXIT_CONFIG
    return str(caught.value)


# --- The example -------------------------------------------------------------------


def test_click_8_2_needs_python_3_10(tmp_path: Path, client: IndexClient) -> None:
    plan = resolve.resolve(matrix(tmp_path, CLICK_BY_PYTHON), client)
    assert ids(plan) == ["py3.9-click8.1.8", "py3.11-click8.1.8", "py3.11-click8.2.1"]
    assert plan.baseline and plan.baseline.id == "py3.9-click8.1.8"
    assert pruned(plan) == {"py3.9-click8.2.1": "click 8.2.1 requires Python >=3.10"}
    assert plan.resolved == {}  # exact pins only: nothing was chosen
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_a_cp313_only_wheel(tmp_path: Path, client: IndexClient) -> None:
    axes = '  python: ["3.11", "3.13"]\n  speedups: ["1.0"]\n'
    plan = resolve.resolve(matrix(tmp_path, axes, '{python: "3.13", speedups: "1.0"}'), client)
    assert ids(plan) == ["py3.13-speedups1.0"]
    assert pruned(plan) == {
        "py3.11-speedups1.0": "speedups 1.0 has no wheel for CPython 3.11 "
        "on manylinux x86_64 and no sdist"
    }


# --- Selectors and specifier sets ----------------------------------------------------------

DJANGO_MINORS = ("4.2.16", "5.0.9", "5.1.2")


@pytest.mark.parametrize(
    ("selector", "chosen"),
    [
        ('{range: ">=4.2,<6", pick: latest-per-minor}', DJANGO_MINORS),
        ('{range: ">=4.2,<6", pick: latest-per-major}', ("4.2.16", "5.1.2")),
        ('{range: ">=4.2,<6", pick: lowest}', ("4.2",)),
        ('{range: ">=4.2,<6", pick: latest}', ("5.1.2",)),
        ('{range: ">=4.2,<6", pick: newest-3}', ("5.0.9", "5.1", "5.1.2")),
        (
            '{range: ">=4.2,<6", pick: all}',
            ("4.2", "4.2.15", "4.2.16", "5.0", "5.0.8", "5.0.9", "5.1", "5.1.2"),
        ),
        (
            '{range: ">=4.2,<6", pick: latest-per-minor, prereleases: true}',
            (*DJANGO_MINORS, "5.2a1"),
        ),
        ('["4.2.*", {range: "5.*", pick: latest-per-minor}]', DJANGO_MINORS),
    ],
)
def test_selectors(tmp_path: Path, client: IndexClient, selector: str, chosen: tuple) -> None:
    """Newest patch per line, never the yanked 5.1.3, pre-releases only when asked."""
    axes = f'  python: ["3.11"]\n  django: {selector}\n'
    baseline = f'{{python: "3.11", django: "{chosen[0]}"}}'
    plan = resolve.resolve(matrix(tmp_path, axes, baseline), client)
    assert plan.resolved == {"django": chosen}
    assert [cell.deps["django"] for cell in plan.cells] == list(chosen)


def test_specifier_sets_resolve_to_one_release(tmp_path: Path, client: IndexClient) -> None:
    axes = '  python: ["3.11"]\n  click: ["8.1.*", ">=8,<9", "8.2.1"]\n'
    m = matrix(tmp_path, axes, '{python: "3.11", click: "<8"}')
    result = resolve.resolve_matrix(m, client)
    assert result.plan.resolved == {"click": ("8.1.8", "8.2.1")}  # ">=8,<9" and 8.2.1 agree
    assert ids(result.plan) == ["py3.11-click7.1.2", "py3.11-click8.1.8", "py3.11-click8.2.1"]
    assert [(c.written, c.versions) for c in result.choices if c.axis == "click"] == [
        ("8.1.*", ("8.1.8",)),
        (">=8,<9", ("8.2.1",)),
        ("8.2.1", ("8.2.1",)),
    ]


def test_python_selectors(tmp_path: Path, client: IndexClient) -> None:
    axes = '  python: {range: ">=3.11", pick: all}\n  click: ["8.2.1"]\n'
    plan = resolve.resolve(matrix(tmp_path, axes, '{python: "3.11"}'), client)
    assert plan.resolved == {"python": ("3.11", "3.13", "3.14", "3.15")}
    assert plan.pythons == ("3.11", "3.13", "3.14", "3.15")


def test_exclude_removes_every_version_its_specifier_contains(
    tmp_path: Path, client: IndexClient
) -> None:
    axes = '  python: ["3.11", "3.13"]\n  django: {range: ">=4.2,<6", pick: latest-per-minor}\n'
    more = (
        'exclude:\n  - {python: "3.13", django: "<5"}\n'
        'include:\n  - {python: "3.13", django: "4.2.*"}\n'
    )
    baseline = '{python: "3.11", django: "4.2.*"}'  # resolves like the include: 4.2.16
    plan = resolve.resolve(matrix(tmp_path, axes, baseline, more), client)
    assert plan.baseline and plan.baseline.id == "py3.11-django4.2.16"
    assert [c.id for c in plan.cells if c.python == "3.13"] == [
        "py3.13-django5.0.9",
        "py3.13-django5.1.2",
        "py3.13-django4.2.16",  # the include puts it back, as an exact version
    ]


def test_a_pinned_yanked_release_is_kept(tmp_path: Path, client: IndexClient) -> None:
    axes = '  python: ["3.11"]\n  django: ["5.1.3"]\n'
    plan = resolve.resolve(matrix(tmp_path, axes, '{python: "3.11", django: "5.1.3"}'), client)
    assert ids(plan) == ["py3.11-django5.1.3"]


def test_pinned_constraints_prune_too(
    tmp_path: Path, client: IndexClient, server: IndexServer
) -> None:
    axes = '  python: ["3.11", "3.13"]\n  click: ["8.2.1"]\n'
    more = 'constraints: ["speedups==1.0", "rich>=13"]\n'
    m = matrix(tmp_path, axes, '{python: "3.13", click: "8.2.1"}', more)
    plan = resolve.resolve(m, client)
    assert ids(plan) == ["py3.13-click8.2.1"]
    assert pruned(plan) == {
        "py3.11-click8.2.1": "speedups 1.0 has no wheel for CPython 3.11 "
        "on manylinux x86_64 and no sdist"
    }
    assert not server.requests("rich")  # unpinned constraints say nothing about feasibility


# --- Mistakes ------------------------------------------------------------------------------


def test_an_infeasible_baseline_is_an_error(tmp_path: Path, client: IndexClient) -> None:
    m = matrix(tmp_path, CLICK_BY_PYTHON, '{python: "3.9", click: "8.2.1"}')
    assert config_error(m, client).endswith(
        "baseline: the baseline cell py3.9-click8.2.1 cannot work: "
        "click 8.2.1 requires Python >=3.10"
    )


@pytest.mark.parametrize(
    ("click", "message"),
    [
        ('["9.9"]', ":6: axes.click[0]: click 9.9 is not on the package index"),
        ('["9.*"]', ":6: axes.click[0]: no release of click matches '9.*'"),
        (
            "{range: '>=9', pick: latest}",
            ":6: axes.click: 'latest of >=9' selects no release of click",
        ),
    ],
)
def test_values_the_index_cannot_satisfy(
    tmp_path: Path, client: IndexClient, click: str, message: str
) -> None:
    m = matrix(tmp_path, f'  python: ["3.11"]\n  click: {click}\n', '{python: "3.11"}')
    assert config_error(m, client) == (f"{m.source}{message} (newest: 8.2.1, 8.2.0, 8.1.8)")


# --- Offline, frozen, no index -------------------------------------------------------------


def test_offline_with_a_warm_cache_plans_the_same(
    tmp_path: Path, server: IndexServer, client: IndexClient
) -> None:
    axes = '  python: ["3.9", "3.11"]\n  django: {range: ">=4.2,<6", pick: latest-per-minor}\n'
    m = matrix(tmp_path, axes, '{python: "3.9"}', 'constraints: ["pytest==8.3.5"]\n')
    online = resolve.resolve(m, client)
    asked = len(server.requests())
    offline = IndexClient(server.url, cache_dir=tmp_path / "cache", env={}, offline=True)
    assert resolve.resolve(m, offline) == online
    assert len(server.requests()) == asked


def test_offline_with_a_cold_cache_names_the_packages(tmp_path: Path, server: IndexServer) -> None:
    m = matrix(tmp_path, CLICK_BY_PYTHON, more='constraints: ["pytest==8.3.5"]\n')
    cold = IndexClient(server.url, cache_dir=tmp_path / "empty", env={}, offline=True)
    with pytest.raises(PackageIndexError, match=r"^offline: not in the index cache: click, pytest"):
        resolve.resolve(m, cold)
    assert not server.requests()


def test_frozen_never_asks_the_index(tmp_path: Path, server: IndexServer) -> None:
    m = matrix(tmp_path, CLICK_BY_PYTHON)
    stale = IndexClient(server.url, cache_dir=tmp_path / "cache", env={}, freshness=0)
    first = resolve.resolve(m, stale)
    assert resolve.resolve(m, stale, frozen=True) == first
    assert len(server.requests()) == 1  # a stale cache would have been revalidated otherwise


def test_load_frozen_replays_a_recorded_plan(tmp_path: Path, client: IndexClient) -> None:
    plan = resolve.resolve(matrix(tmp_path, CLICK_BY_PYTHON), client)
    recorded = tmp_path / "plan.json"
    recorded.write_text(json.dumps(plan.to_dict()))
    assert resolve.load_frozen(recorded) == plan


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, ": plan file not found"),
        ("{", ":1: not valid JSON: Expecting property name"),
        ('{"schema": "something/else"}', ": not an oxzep7 plan (expected schema 'oxzep7.plan/1')"),
        ('{"schema": "oxzep7.plan/1"}', ": name: required key missing"),
    ],
)
def test_load_frozen_mistakes(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DamagedResultsError) as caught:
        resolve.load_frozen(path)
    assert caught.value.exit_code == 7
    assert str(caught.value).startswith(f"{path}{message}")


def test_without_an_index_exact_pins_plan_as_before(tmp_path: Path) -> None:
    m = matrix(tmp_path, '  python: ["3.9", "3.11"]\n  click: ["8.1.8", "8.2.*"]\n')
    assert resolve.resolve(m) == expand.plan(m)  # nothing pruned, "8.2.*" goes to pip
    assert not resolve.needs_index(m)


def test_without_an_index_python_selectors_still_resolve(tmp_path: Path) -> None:
    m = matrix(tmp_path, '  python: {range: "<3.12", pick: all}\n  click: ["8.1.8"]\n')
    plan = resolve.resolve(m)
    assert plan.resolved == {"python": ("3.9", "3.11")}
    assert ids(plan) == ["py3.9-click8.1.8", "py3.11-click8.1.8"]


def test_without_an_index_a_dependency_selector_is_an_error(tmp_path: Path) -> None:
    m = matrix(tmp_path, '  python: ["3.9"]\n  click: {pick: latest}\n')
    assert resolve.needs_index(m)
    assert config_error(m) == (
        f"{m.source}:6: axes.click: the selector 'latest' needs the package index to choose "
        "versions"
    )


# --- Lines of the planner's own errors -----------------------------------------------------


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (
            'include:\n  - {python: "3.11", click: "9.9"}\n',
            ":8: include[0].click: click 9.9 is not on the package index",
        ),
        ('constraints: ["pytest==1.0"]\n', ":7: constraints[0]: pytest 1.0 is not on the package"),
    ],
)
def test_entries_the_index_cannot_satisfy_cite_their_line(
    tmp_path: Path, client: IndexClient, more: str, message: str
) -> None:
    m = matrix(tmp_path, CLICK_BY_PYTHON, more=more)
    assert config_error(m, client).startswith(f"{m.source}{message}")


def test_an_infeasible_baseline_cites_the_baseline_line(
    tmp_path: Path, client: IndexClient
) -> None:
    m = matrix(tmp_path, CLICK_BY_PYTHON, '{python: "3.9", click: "8.2.1"}')
    assert config_error(m, client).startswith(f"{m.source}:3: baseline: the baseline cell")


def test_a_frozen_plan_of_an_index_resolution_replays(tmp_path: Path, client: IndexClient) -> None:
    axes = '  python: ["3.9", "3.11"]\n  click: {range: ">=8.1", pick: all}\n'
    plan = resolve.resolve(matrix(tmp_path, axes), client)
    assert plan.pruned and plan.resolved  # pruned cells and resolved versions read back too
    recorded = tmp_path / "plan.json"
    recorded.write_text(json.dumps(plan.to_dict()))
    assert resolve.load_frozen(recorded) == plan


def test_cells_the_project_refuses_are_pruned_without_an_index(tmp_path):
    from orchestrator.plan.matrix import load_matrix

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text(
        '[project]\nname = "app"\nrequires-python = ">=3.10"\n'
    )
    for baseline in ('baseline: {python: "3.11"}\n', ""):  # named, or completed
        (tmp_path / "m.yaml").write_text(
            f"name: m\nproject: {{path: app}}\n{baseline}"
            'axes: {python: ["3.9", "3.11", "3.13"]}\n'
        )
        plan = resolve.resolve(load_matrix(tmp_path / "m.yaml"))
        assert [cell.id for cell in plan.cells] == ["py3.11", "py3.13"]
        assert plan.baseline is not None and plan.baseline.id == "py3.11"
        assert [(p.cell.id, p.reason, p.cell.baseline) for p in plan.pruned] == [
            ("py3.9", "the project requires Python >=3.10", False)
        ]


def test_a_named_baseline_the_project_refuses_is_an_error(tmp_path):
    from orchestrator.plan.matrix import load_matrix

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "setup.cfg").write_text("[options]\npython_requires = >=3.10\n")
    (tmp_path / "m.yaml").write_text(
        'name: m\nproject: {path: app}\nbaseline: {python: "3.9"}\n'
        'axes: {python: ["3.9", "3.11"]}\n'
    )
    with pytest.raises(ConfigError, match=r"baseline cell py3\.9 cannot work: the project"):
        resolve.resolve(load_matrix(tmp_path / "m.yaml"))
