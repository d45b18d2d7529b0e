"""feasibility: Requires-Python and wheel tags decide, before any build, which cells can
work; answers are memoized per (distribution, version, interpreter)."""

from __future__ import annotations

import pytest

from orchestrator.models import Cell
from orchestrator.plan import feasibility
from orchestrator.plan.feasibility import Feasibility, Pin, Target, pins, release_problem
from orchestrator.plan.index import Release, parse_project
from tests.indexserver import CP313_ONLY, release, sdist, wheel

PY39, PY311, PY313 = Target("3.9", (2, 31)), Target("3.11", (2, 36)), Target("3.13", (2, 41))


def one(*files: dict) -> Release:
    """The single release these ``files`` entries make."""
    (only,) = parse_project("pkg", {"files": list(files)}).releases
    return only


def test_requires_python_excludes_the_interpreter() -> None:
    click = one(*release("click", "8.2.1", ">=3.10"))
    assert release_problem("click", click, PY39) == "click 8.2.1 requires Python >=3.10"
    assert release_problem("click", click, PY311) is None


def test_requires_python_admits_a_line_if_any_patch_release_fits() -> None:
    assert feasibility.allows(">=3.9.1", "3.9")  # Debian's 3.9 is 3.9.2
    assert feasibility.allows("<3.9.5", "3.9")
    assert not feasibility.allows(">=3.10", "3.9")
    assert not feasibility.allows("!=3.9.*", "3.9")
    assert feasibility.allows("this is not a specifier", "3.9")  # pip ignores it too
    assert feasibility.allows(None, "3.9")


def test_only_a_cp313_wheel() -> None:
    speedups = one(wheel("speedups", "1.0", CP313_ONLY))
    assert release_problem("speedups", speedups, PY313) is None
    assert release_problem("speedups", speedups, PY311) == (
        "speedups 1.0 has no wheel for CPython 3.11 on manylinux x86_64 and no sdist"
    )


def test_an_sdist_installs_anywhere_its_requires_python_allows() -> None:
    assert release_problem("pkg", one(sdist("pkg", "1.0")), PY39) is None
    assert release_problem("pkg", one(sdist("pkg", "1.0", ">=3.11")), PY39) == (
        "pkg 1.0 requires Python >=3.11"
    )


@pytest.mark.parametrize(
    ("tag", "target", "installs"),
    [
        ("cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64", PY311, True),
        ("cp312-abi3-manylinux_2_17_x86_64", PY311, False),
        ("cp311-cp311-manylinux1_x86_64", PY311, True),
        ("cp311-cp311-manylinux_2_34_x86_64", PY311, True),  # bookworm has glibc 2.36
        ("cp39-cp39-manylinux_2_34_x86_64", PY39, False),  # bullseye has 2.31
        ("cp311-cp311-musllinux_1_2_x86_64", PY311, False),
        ("cp311-cp311-manylinux_2_17_aarch64", PY311, False),
        ("cp311-cp311-win_amd64", PY311, False),
        ("cp311-cp311-linux_x86_64", PY311, True),
        ("py2.py3-none-any", PY39, True),
        ("py311-none-any", PY313, True),
    ],
)
def test_wheel_tags(tag: str, target: Target, installs: bool) -> None:
    problem = release_problem("pkg", one(wheel("pkg", "1.0", tag)), target)
    assert (problem is None) == installs, problem


def test_files_failing_requires_python_do_not_count() -> None:
    # A universal wheel for new interpreters only, and a cp39 wheel: 3.9 can use the latter.
    mixed = one(
        wheel("pkg", "2.0", "py3-none-any", ">=3.10"),
        wheel("pkg", "2.0", "cp39-cp39-manylinux1_x86_64"),
    )
    assert release_problem("pkg", mixed, PY39) is None
    assert release_problem("pkg", mixed, PY311) is None


def test_yanked_files_count_only_for_a_yanked_release() -> None:
    partly = one(wheel("pkg", "1.0", CP313_ONLY), sdist("pkg", "1.0", yanked=True))
    assert release_problem("pkg", partly, PY311) is not None  # the yanked sdist is skipped
    fully = one(sdist("pkg", "1.0", yanked=True))
    assert release_problem("pkg", fully, PY311) is None  # a pin still installs it


def test_targets_follow_the_debian_suite() -> None:
    assert feasibility.target("debian", "3.9") == Target("3.9", (2, 31))
    assert feasibility.target("debian", "3.13") == Target("3.13", (2, 41))
    assert feasibility.target("official", "3.12") == Target("3.12", feasibility.DEFAULT_GLIBC)


def test_pinned_constraints() -> None:
    found = pins(["pytest==8.3.5", "tomli==2.0.1; python_version < '3.11'", "rich>=13", "x==1.*"])
    assert [(p.name, p.version) for p in found] == [("pytest", "8.3.5"), ("tomli", "2.0.1")]
    assert found[1].applies("3.9") and not found[1].applies("3.11")


# --- Many cells ----------------------------------------------------------------------------

CLICK = parse_project(
    "click", {"files": [*release("click", "8.1.8", ">=3.7"), *release("click", "8.2.1", ">=3.10")]}
)
PYTEST = parse_project("pytest", {"files": release("pytest", "8.3.5", ">=3.10")})
RELEASES = {(p.name, r.version): r for p in (CLICK, PYTEST) for r in p.releases}
TARGETS = {"3.9": PY39, "3.11": PY311}


def cell(python: str, click: str) -> Cell:
    return Cell(id=f"py{python}-click{click}", python=python, deps={"click": click})


def test_reasons_per_cell() -> None:
    checker = Feasibility(RELEASES, TARGETS)
    assert checker.reason(cell("3.9", "8.1.8")) is None
    assert checker.reason(cell("3.9", "8.2.1")) == "click 8.2.1 requires Python >=3.10"


def test_constraints_are_checked_in_every_cell() -> None:
    checker = Feasibility(RELEASES, TARGETS, [Pin("pytest", "8.3.5")])
    assert checker.reason(cell("3.9", "8.2.1")) == (
        "click 8.2.1 requires Python >=3.10; pytest 8.3.5 requires Python >=3.10"
    )
    assert checker.reason(cell("3.11", "8.2.1")) is None


def test_a_constraint_pinning_an_axis_conflicts_with_its_other_values() -> None:
    checker = Feasibility(RELEASES, TARGETS, [Pin("click", "8.1.8")])
    assert checker.reason(cell("3.11", "8.1.8")) is None
    assert (
        checker.reason(cell("3.11", "8.2.1"))
        == "constraint click==8.1.8 conflicts with click 8.2.1"
    )


def test_answers_are_memoized(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = feasibility.release_problem

    def counted(name: str, release: Release, target: Target) -> str | None:
        calls.append((name, release.version, target.python))
        return real(name, release, target)

    monkeypatch.setattr(feasibility, "release_problem", counted)
    checker = Feasibility(RELEASES, TARGETS, [Pin("pytest", "8.3.5")])
    for _ in range(100):
        for python in TARGETS:
            for click in ("8.1.8", "8.2.1"):
                checker.reason(cell(python, click))
    assert len(calls) == len(set(calls)) == 6  # 2 clicks x 2 pythons + pytest x 2 pythons
