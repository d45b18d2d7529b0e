"""Issue 13's rows, side by side in one run: cold and warm cells of the bundled example
against a hand-written loop, plain nox, and a bare ``docker run``.

    python bench/speed.py                 # from the repository root; --runs N, --cold-runs N
    python bench/speed.py --only warm     # just the warm rows (quick)

Needs the Docker engine, the example's interpreter bases (``oxzep7 bases
matrices/example.yaml`` makes them), network access to the package index, and ``nox`` and
``uv`` on the host (the yardstick: nox with uv-made virtualenvs, reused with ``nox -R``).

Rows (each figure a median of several runs; A and B alternate run by run, so a machine
that slows down mid-way slows both):

    cold example -j 2     the 6 cells with no cell images (download cache warm)
                          vs bench/naive_loop.sh (docker build --no-cache + pip + docker
                          run, 2 at a time)                       goal: >= 4x faster
    warm 2 cells -j 1     py3.11 x click 7.1.2/8.1.8, images built
                          vs nox -R on bench/native/noxfile.py    goal: <= 1.5x
    warm 2 cells, floor   the same vs two `docker run --rm --network none IMAGE pytest`
    warm example -j 2     goal: < 3 s; and -j 1 / -j 2            goal: >= 1.8x
    downloads             a cold run with an EMPTY download cache: every distinct wheel
                          fetched once (uv's "uncached distribution" lines in build logs)

oxzep7 runs as ``python -m orchestrator`` from this checkout, its modules compiled to .pyc
first, as an installed wheel has them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "matrices" / "example.yaml"
TWO = ("py3.11-click7.1.2", "py3.11-click8.1.8")
CACHE_VOLUME = "oxzep7-cache"
UNCACHED = re.compile(r"Identified uncached distribution: (\S+)")


def sh(*cmd: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, check=False, **kw)  # type: ignore[call-overload]


def oxzep7(runs: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "orchestrator",
        "run",
        str(MATRIX),
        "--runs-dir",
        str(runs),
        # Every row times tests that run: a result reused from an earlier run (issue 10's
        # cache, no container started) would time nothing but oxzep7's start-up.
        "--rerun",
        *args,
    ]


def timed(cmd: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # the example fails on purpose (exit 1)
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return elapsed


def pair(
    name_a: str,
    a: Callable[[], float],
    name_b: str,
    b: Callable[[], float],
    runs: int,
) -> tuple[float, float, float]:
    """Median of A, median of B, median of the run-by-run ratios A/B."""
    xs, ys = [], []
    for _ in range(runs):
        xs.append(a())
        ys.append(b())
    ratio = statistics.median(x / y for x, y in zip(xs, ys, strict=True))
    ma, mb = statistics.median(xs), statistics.median(ys)
    print(f"  {name_a:<44} {ma:7.2f} s   (runs: {_spread(xs)})")
    print(f"  {name_b:<44} {mb:7.2f} s   (runs: {_spread(ys)})")
    return ma, mb, ratio


def _spread(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="oxzep7-bench-"))
        self.runs = self.tmp / "runs"
        self.images: dict[str, str] = {}
        self.bases: dict[str, str] = {}

    # --- set-up ------------------------------------------------------------------------

    def prepare(self) -> None:
        sh(sys.executable, "-m", "compileall", "-q", str(ROOT / "orchestrator"))
        print("preparing: bases, cell images, the download cache, the native venvs…")
        done = subprocess.run(
            [sys.executable, "-m", "orchestrator", "bases", str(MATRIX)], cwd=ROOT, check=False
        )
        if done.returncode != 0:
            raise SystemExit("the bases could not be built")
        timed(oxzep7(self.runs, "-j", "2"))
        data = json.loads((self.runs / "latest" / "results.json").read_text())
        self.images = {c["id"]: c["image"] for c in data["cells"]}
        for cell in data["cells"]:
            base = re.search(
                r"^FROM (\S+)",
                (self.runs / "latest" / "cells" / cell["id"] / "build.Dockerfile").read_text(),
                re.M,
            )
            assert base is not None
            self.bases[cell["axes"]["python"]] = base.group(1)
        # The yardstick's virtualenvs, made once (then reused with -R).
        self.native = self.tmp / "native"
        shutil.copytree(ROOT / "examples" / "sample-app", self.native / "sample-app")
        self.native_env = {
            **os.environ,
            "BENCH_PROJECT": str(self.native / "sample-app"),
            "BENCH_ENVDIR": str(self.native / ".nox"),
        }
        noxfile = str(ROOT / "bench" / "native" / "noxfile.py")
        self.native_cmd = ["nox", "-R", "-f", noxfile]
        subprocess.run(
            ["nox", "-f", noxfile],
            cwd=self.native,
            env=self.native_env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def drop_cell_images(self) -> None:
        sh("docker", "rmi", "-f", *self.images.values())

    # --- rows --------------------------------------------------------------------------

    def cold(self) -> None:
        print("\ncold cells: no cell images, bases and download cache present, -j 2")

        def ours() -> float:
            self.drop_cell_images()
            return timed(oxzep7(self.runs, "-j", "2"))

        def naive() -> float:
            bases = [self.bases[p] for p in ("3.9", "3.11", "3.13")]
            return timed(["sh", str(ROOT / "bench" / "naive_loop.sh"), *bases])

        _a, _b, ratio = pair(
            "oxzep7 run (example, 6 cells)",
            ours,
            "naive loop (bench/naive_loop.sh)",
            naive,
            self.args.cold_runs,
        )
        self.check_example()
        speedup = 1 / ratio
        print(f"  naive / oxzep7: {speedup:.2f}x faster   goal >= 4x: {verdict(speedup >= 4)}")

    def warm_two(self) -> None:
        print("\nwarm cells: 2 cells on Python 3.11, images built, -j 1")
        cells = [arg for cell in TWO for arg in ("--cell", cell)]
        a, b, ratio = pair(
            "oxzep7 run --cell x2 -j 1",
            lambda: timed(oxzep7(self.runs, "-j", "1", *cells)),
            "nox -R (uv venvs, reused)",
            lambda: timed(self.native_cmd, cwd=self.native, env=self.native_env),
            self.args.runs,
        )
        print(f"  oxzep7 / nox -R: {ratio:.2f}x   goal <= 1.5x: {verdict(ratio <= 1.5)}")

        def floor() -> float:
            return sum(
                timed(
                    [
                        "docker",
                        "run",
                        "--rm",
                        "--network",
                        "none",
                        self.images[c],
                        "python",
                        "-m",
                        "pytest",
                        "-q",
                    ]
                )
                for c in TWO
            )

        a, b, ratio = pair(
            "oxzep7 run --cell x2 -j 1",
            lambda: timed(oxzep7(self.runs, "-j", "1", *cells)),
            "floor: 2x docker run --rm --network none",
            floor,
            self.args.runs,
        )
        print(f"  oxzep7 / floor: {ratio:.2f}x ({a - b:+.2f} s above the bare containers)")

    def warm_example(self) -> None:
        print("\nwarm example: 6 cells, images built")
        a, _b, ratio = pair(
            "oxzep7 run -j 2",
            lambda: timed(oxzep7(self.runs, "-j", "2")),
            "oxzep7 run -j 1",
            lambda: timed(oxzep7(self.runs, "-j", "1")),
            self.args.runs,
        )
        print(f"  -j 2: {a:.2f} s   goal < 3 s: {verdict(a < 3)}")
        print(f"  -j 1 / -j 2: {1 / ratio:.2f}x   goal >= 1.8x: {verdict(1 / ratio >= 1.8)}")
        self.check_example()

    def downloads(self) -> None:
        print("\ndownloads: one cold run with an empty download cache, -j 2")
        self.drop_cell_images()
        sh("docker", "volume", "rm", "-f", CACHE_VOLUME)
        elapsed = timed(oxzep7(self.runs, "-j", "2"))
        logs = sorted((self.runs / "latest" / "cells").glob("*/build.log"))
        fetched = Counter(m for log in logs for m in UNCACHED.findall(log.read_text()))
        project = [m for m in fetched if m.startswith("sample-app")]
        wheels = {m: n for m, n in fetched.items() if m not in project}
        print(f"  cold run with an empty cache: {elapsed:.2f} s")
        print(
            f"  {sum(wheels.values())} downloads of {len(wheels)} distinct distributions "
            f"(most fetched: {max(wheels.values(), default=0)}x)   "
            f"each downloaded once: {verdict(all(n == 1 for n in wheels.values()))}"
        )
        builds = sum(log.read_text().count("Successfully built") for log in logs)
        print(f"  the project's wheel built {builds}x for {len(logs)} cells on 3 interpreters")
        self.check_example()

    def check_example(self) -> None:
        """No behaviour change: the README's statuses and failing tests."""
        data = json.loads((self.runs / "latest" / "results.json").read_text())
        got = {c["id"]: (c["status"], len(c["failing_tests"])) for c in data["cells"]}
        want = {
            "py3.9-click7.1.2": ("passed", 0),
            "py3.9-click8.1.8": ("failed", 1),
            "py3.11-click7.1.2": ("passed", 0),
            "py3.11-click8.1.8": ("failed", 1),
            "py3.13-click7.1.2": ("failed", 2),
            "py3.13-click8.1.8": ("failed", 3),
        }
        if got != want:
            # Never silently: a cell that errored (a stalled index, say) shows its reason.
            print(f"  !! the example's results differ from the README's: {got}")
            for cell in data["cells"]:
                if cell["status"] == "error":
                    print(f"  !! {cell['id']}: {cell['message'][-600:]}")


def machine() -> str:
    cores = os.cpu_count()
    mem = Path("/proc/meminfo").read_text().split()[1] if Path("/proc/meminfo").exists() else "0"
    docker = sh("docker", "version", "--format", "{{.Server.Version}}").stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.platform()}, {cores} cores, {int(mem) // 1024 // 1024} GiB, "
        f"Docker {docker}, Python {platform.python_version()}, load average {load:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per warm row (default 5)")
    parser.add_argument("--cold-runs", type=int, default=3, help="runs per cold row (default 3)")
    parser.add_argument("--only", choices=["cold", "warm", "downloads"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["cold", "warm", "downloads"])
    print(f"machine: {machine()}")
    bench = Bench(args)
    try:
        bench.prepare()
        if "warm" in only:
            bench.warm_two()
            bench.warm_example()
        if "cold" in only:
            bench.cold()
        if "downloads" in only:
            bench.downloads()
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    print(f"\nmachine at the end: {machine()}")


if __name__ == "__main__":
    main()
