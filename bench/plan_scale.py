"""How long planning takes for a large matrix: resolve selectors, expand, prune.

Builds a synthetic index of six distributions (60 releases each, with Requires-Python
boundaries and one compiled-only distribution), serves it once from tests/indexserver.py
to warm an on-disk cache, then plans a matrix of 5 interpreters x 6 axes x 4 versions
(20,480 cells) from that warm cache, offline, several times. It reports the median of
each stage and, side by side from the same run, pruning with the memoized
``feasibility.Feasibility`` against a naive re-evaluation of every cell's releases.

Run from the repository root:  python bench/plan_scale.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.indexserver when run as a script

from orchestrator.models import Matrix, Plan  # noqa: E402
from orchestrator.plan import expand, feasibility, resolve  # noqa: E402
from orchestrator.plan.index import IndexClient  # noqa: E402
from orchestrator.plan.matrix import load_matrix  # noqa: E402
from tests.indexserver import IndexServer, release, wheel  # noqa: E402

PACKAGES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
COMPILED = "foxtrot"  # ships CPython wheels only, none for the newest interpreters
TARGET_SECONDS = 1.0


def synthetic_index() -> dict[str, list[dict[str, Any]]]:
    """Six distributions, majors 1-4 x minors 0-4 x patches 0-2; major 4 needs Python 3.11."""
    index: dict[str, list[dict[str, Any]]] = {}
    for name in PACKAGES:
        files: list[dict[str, Any]] = []
        for major in range(1, 5):
            needs = ">=3.11" if major == 4 else ">=3.8"
            for minor in range(5):
                for patch in range(3):
                    version = f"{major}.{minor}.{patch}"
                    files += (
                        _compiled(name, version)
                        if name == COMPILED
                        else release(name, version, needs)
                    )
        index[name] = files
    return index


def _compiled(name: str, version: str) -> list[dict[str, Any]]:
    tags = [f"cp3{m}-cp3{m}-manylinux_2_17_x86_64.manylinux2014_x86_64" for m in (9, 11, 13)]
    return [wheel(name, version, tag) for tag in tags]


def matrix_text() -> str:
    """5 interpreters x 6 axes of 4 versions each: 20,480 cells."""
    # Newest patch of 3.3, 3.4, 4.0 and 4.1: the 4.x ones need Python 3.11.
    selector = "{range: '>=3.3,<4.2', pick: latest-per-minor}"
    axes = "".join(f"  {name}: {selector}\n" for name in PACKAGES)
    baseline = ", ".join(f"{name}: '4.1.2'" for name in PACKAGES)
    return (
        "name: scale\nproject: {path: app}\n"
        f"baseline: {{python: '3.13', {baseline}}}\n"
        f"axes:\n  python: {{pick: all}}\n{axes}"
        "run: {max_cells: 25000}\n"  # the default cap is 256 cells
    )


def naive_prune(plan: Plan, releases: Mapping, targets: Mapping) -> int:
    """Re-evaluate every cell's releases from scratch: no per-(release, python) memo."""
    pruned = 0
    for cell in plan.cells:
        target = targets[cell.python]
        problems = [
            feasibility.release_problem(name, releases[(name, version)], target)
            for name, version in cell.deps.items()
        ]
        pruned += any(problems)
    return pruned


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "app").mkdir()
        (work / "matrix.yaml").write_text(matrix_text())
        matrix = load_matrix(work / "matrix.yaml")
        with IndexServer(synthetic_index()) as server:  # warm the cache once, then go offline
            IndexClient(server.url, cache_dir=work / "cache", env={}).projects(PACKAGES)
            client = IndexClient(server.url, cache_dir=work / "cache", env={}, offline=True)
        report(matrix, client, runs)
    return 0


def report(matrix: Matrix, client: IndexClient, runs: int) -> None:
    """Time each stage and print the figures."""
    total, result = timed(lambda: resolve.resolve(matrix, client), runs)
    cells = len(result.cells) + len(result.pruned)
    fetch, projects = timed(lambda: client.projects(PACKAGES), runs)
    concrete = resolve.concretize(matrix, projects)
    expanding, plan = timed(lambda: expand.plan(concrete.matrix), runs)
    releases = concrete.releases
    targets = {py: feasibility.target(matrix.image_family, py) for py in plan.pythons}

    def memoized() -> Plan:
        checker = feasibility.Feasibility(releases, targets)  # a fresh memo every run
        return resolve.prune(plan, checker.reason, matrix.source)

    memo, pruned_plan = timed(memoized, runs)
    naive, naive_count = timed(lambda: naive_prune(plan, releases, targets), runs)
    assert naive_count == len(pruned_plan.pruned), "naive and memoized pruning disagree"

    print(f"cells: {cells:,} ({len(result.cells):,} runnable, {len(result.pruned):,} pruned)")
    print(f"runs per figure: {runs} (median)")
    print(f"read warm cache + parse      {fetch * 1000:8.1f} ms")
    print(f"expand (expand.plan)        {expanding * 1000:8.1f} ms")
    print(f"prune, memoized              {memo * 1000:8.1f} ms")
    print(
        f"prune, naive per cell        {naive * 1000:8.1f} ms   ratio naive/memoized: "
        f"{naive / memo:.1f}x"
    )
    print(
        f"TOTAL resolve()              {total * 1000:8.1f} ms   "
        f"{total / cells * 1000 * 1000:.2f} ms per 1,000 cells   "
        f"target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'}"
    )


if __name__ == "__main__":
    sys.exit(main())
