"""A generated run of a real-sized suite: 5,000 tests, 500 of which fail somewhere in
three signatures, over 40 cells (python 3.9-3.13 x urllib3 eight releases).

- 400 tests (tests/test_http_*.py) fail with urllib3 >= 2.0.0:
  ``TypeError: Retry.__init__() got an unexpected keyword argument 'method_whitelist'``
  (each message also names a varying object address, which the signature drops);
- 60 tests (tests/test_headers.py) fail on Python >= 3.13: ``No module named 'cgi'``;
- 40 tests (tests/test_pool.py) fail on Python >= 3.12 with urllib3 >= 2.2.0 only (the
  combination), with ``assert <n> == <m>`` numbers that vary per test;
- 5 tests (tests/test_env.py) fail, with the same assertion signature, on Python 3.13
  and with urllib3 2.0.7: in py3.13-urllib3 2.0.7 every single-axis neighbour fails them
  too, so nothing explains them there.

The baseline is py3.9-urllib3 1.26.20.
"""

from __future__ import annotations

from orchestrator.models import Cell, CellResult, Failure, TestCounts
from orchestrator.results import RunResults

PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
URLLIB3 = ("1.26.18", "1.26.19", "1.26.20", "2.0.0", "2.0.7", "2.1.0", "2.2.0", "2.2.3")
BASELINE = ("3.9", "1.26.20")
HTTP = [f"tests/test_http_{i // 100}.py::test_request_{i}" for i in range(400)]
HEADERS = [f"tests/test_headers.py::test_header_{i}" for i in range(55)]
ENV = [f"tests/test_env.py::test_env_{i}" for i in range(5)]
POOL = [f"tests/test_pool.py::test_pool_size_{i}" for i in range(40)]
OTHER = [f"tests/test_misc_{i // 500}.py::test_case_{i}" for i in range(4500)]
KWARG = "TypeError: Retry.__init__() got an unexpected keyword argument 'method_whitelist'"


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def failures(python: str, urllib3: str) -> dict[str, Failure]:
    found: dict[str, Failure] = {}
    if _minor(urllib3) >= (2, 0, 0):
        for i, test in enumerate(HTTP):
            message = f"{KWARG.split(': ', 1)[1]} (session <Session object at 0x7f{i:06x}>)"
            found[test] = Failure.of("TypeError", message, "src/app/http.py:42")
    if _minor(python) >= (3, 13):
        for test in HEADERS:
            found[test] = Failure.of(
                "ModuleNotFoundError", "No module named 'cgi'", "src/app/headers.py:3"
            )
    if _minor(python) >= (3, 12) and _minor(urllib3) >= (2, 2, 0):
        for i, test in enumerate(POOL):
            found[test] = Failure.of(
                "AssertionError", f"assert {i} == {i + 10}", "tests/test_pool.py:9"
            )
    if python == "3.13" or urllib3 == "2.0.7":
        for i, test in enumerate(ENV):
            found[test] = Failure.of("AssertionError", f"assert {i} == 7", "tests/test_env.py:5")
    return found


def cell_id(python: str, urllib3: str) -> str:
    return f"py{python}-urllib3{urllib3}"


def result(python: str, urllib3: str) -> CellResult:
    failing = failures(python, urllib3)
    tests = {
        t: ("failed" if t in failing else "passed") for t in [*HTTP, *HEADERS, *POOL, *ENV, *OTHER]
    }
    cell = Cell(
        cell_id(python, urllib3), python, {"urllib3": urllib3}, (python, urllib3) == BASELINE
    )
    return CellResult(
        cell=cell,
        status="failed" if failing else "passed",
        duration=61.5,
        counts=TestCounts(passed=len(tests) - len(failing), failed=len(failing)),
        failing_tests=tuple(failing),
        tests=tests,  # type: ignore[arg-type]
        junit=True,
        exit_code=1 if failing else 0,
        packages={"urllib3": urllib3},
        message=f"{len(failing)} failing test(s)" if failing else "",
        failures=failing,
    )


def run() -> RunResults:
    return RunResults(
        run_id="20261126-010000",
        name="big-suite-upgrade",
        matrix="matrices/big.yaml",
        baseline=cell_id(*BASELINE),
        cells=tuple(result(p, u) for p in PYTHONS for u in URLLIB3),
    )
