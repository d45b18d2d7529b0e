"""The real-world corpus: real projects, at fixed versions, run through oxzep7.

Each ``projects/NAME.yaml`` names an sdist on PyPI (name, version, sha256), a matrix
without ``project.path`` and the outcome expected for every cell, written from reading
the project before oxzep7 ever ran it. This module fetches the sdist (``pip download
--no-deps --no-binary :all:``), checks its sha256, caches it under
``$XDG_CACHE_HOME/oxzep7/realworld/`` (``~/.cache/...``), unpacks it (for ``checkout:
git``: without PKG-INFO, as a fresh git repository tagged with the version), writes the
matrix next to it, runs ``oxzep7 run`` and compares ``results.json`` with the expectations.

    python -m tests.realworld                 # every project
    python -m tests.realworld --ci            # the subset CI runs
    python -m tests.realworld tomlkit webob   # some projects
    python -m tests.realworld --plan          # only check the cell ids (no Docker)

Exit status: 0 every cell as expected, 1 some mismatch, 2 a usage or corpus-file error.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator import storage
from orchestrator.build import project as project_files
from tests.conftest import oxzep7 as run_cli

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
REPO = HERE.parent.parent  # the oxzep7 checkout these tests belong to
STATUSES = ("passed", "failed", "error", "timeout", "infeasible")
# Fixed identity and date for the git checkout play, so the commit is reproducible.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "oxzep7 corpus",
    "GIT_AUTHOR_EMAIL": "corpus@oxzep7.invalid",
    "GIT_COMMITTER_NAME": "oxzep7 corpus",
    "GIT_COMMITTER_EMAIL": "corpus@oxzep7.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
}


class CorpusError(Exception):
    """A corpus file is wrong, or a sdist cannot be had or does not match."""


@dataclass(frozen=True)
class Expected:
    status: str
    why: str
    fails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    key: str  # the file's stem
    name: str
    version: str
    sha256: str
    matrix: dict[str, Any]
    expected: dict[str, Expected]
    checkout: str | None = None  # "git": played as a git checkout, PKG-INFO removed
    ci: bool = False
    covers: tuple[str, ...] = ()
    backend: str = ""

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass
class CellCheck:
    project: str
    cell: str
    expected: Expected | None
    status: str | None
    failing: tuple[str, ...] = ()
    message: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- corpus files


def load_project(path: Path) -> Project:
    data = yaml.safe_load(path.read_text())
    where = path.name
    try:
        sdist = data["sdist"]
        matrix = data["matrix"]
        expected_raw = data["expected"]
    except (KeyError, TypeError) as exc:
        raise CorpusError(f"{where}: missing key {exc}") from None
    if "path" in matrix.get("project", {}):
        raise CorpusError(f"{where}: matrix.project.path is filled in by the runner")
    expected: dict[str, Expected] = {}
    for cell, entry in expected_raw.items():
        status = entry.get("status")
        if status not in STATUSES:
            raise CorpusError(f"{where}: {cell}: status {status!r} is not one of {STATUSES}")
        if not entry.get("why"):
            raise CorpusError(f"{where}: {cell}: say why in one line")
        fails = tuple(entry.get("fails", ()))
        if status == "failed" and not fails:
            raise CorpusError(f"{where}: {cell}: a failed cell names the tests expected to fail")
        expected[str(cell)] = Expected(status=status, why=entry["why"], fails=fails)
    checkout = data.get("checkout")
    if checkout not in (None, "git"):
        raise CorpusError(f"{where}: checkout must be 'git' when given")
    return Project(
        key=path.stem,
        name=str(sdist["name"]),
        version=str(sdist["version"]),
        sha256=str(sdist["sha256"]).lower(),
        matrix=matrix,
        expected=expected,
        checkout=checkout,
        ci=bool(data.get("ci", False)),
        covers=tuple(data.get("covers", ())),
        backend=str(data.get("backend", "")),
    )


def load_all() -> list[Project]:
    return [load_project(p) for p in sorted(PROJECTS.glob("*.yaml"))]


# ---------------------------------------------------------------- fetching


def cache_dir() -> Path:
    return storage.cache_dir() / "realworld"


def sha256_of(path: Path) -> str:
    return project_files.file_digest(path).hex()


def fetch(project: Project, cache: Path | None = None) -> Path:
    """The project's sdist, from the cache or PyPI, checked against its sha256."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    for found in cache.glob("*"):
        if found.is_file() and sha256_of(found) == project.sha256:
            return found
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        spec = f"{project.name}=={project.version}"
        download = ["download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", tmp]
        proc = subprocess.run(
            [sys.executable, "-m", "pip", *download, spec],
            capture_output=True,
            text=True,
            check=False,
        )
        files = [p for p in Path(tmp).iterdir() if p.is_file()]
        if proc.returncode != 0 or len(files) != 1:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise CorpusError(f"pip download {spec} failed: {' / '.join(tail)}")
        got = sha256_of(files[0])
        if got != project.sha256:
            raise CorpusError(
                f"{files[0].name}: sha256 {got} does not match the recorded {project.sha256}"
            )
        target = cache / files[0].name
        os.replace(files[0], target)
        return target


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack the sdist's single top-level folder into ``dest``; returns its path."""
    if dest.exists():
        shutil.rmtree(dest)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".unpack-") as tmp:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:  # pragma: no cover - Python without PEP 706
                    tf.extractall(tmp)
        tops = list(Path(tmp).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise CorpusError(f"{archive.name}: expected one top-level folder")
        os.replace(tops[0], dest)
    return dest


def version_files(root: Path) -> list[str]:
    """Files a git-versioning build hook writes, as the project's pyproject.toml names them
    (setuptools-scm ``write_to``/``version_file``, hatch-vcs ``version-file``, pdm-backend
    ``write_to``)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        tool = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {})
    except FileNotFoundError:
        return []
    scm = tool.get("setuptools_scm", {})
    vcs_hook = tool.get("hatch", {}).get("build", {}).get("hooks", {}).get("vcs", {})
    pdm = tool.get("pdm", {}).get("version", {})
    pdm_file = pdm.get("write_to")
    pdm_dir = tool.get("pdm", {}).get("build", {}).get("package-dir", "src")
    found = [scm.get("version_file"), scm.get("write_to"), vcs_hook.get("version-file")]
    found.append(f"{pdm_dir}/{pdm_file}" if pdm_file else None)
    return [f for f in found if f]


def play_git_checkout(root: Path, version: str) -> None:
    """Make ``root`` look like a clone at the release tag: no PKG-INFO, so tools such as
    setuptools-scm and hatch-vcs can only take the version from git."""
    (root / "PKG-INFO").unlink(missing_ok=True)
    for info in [*root.glob("*.egg-info"), *root.glob("src/*.egg-info")]:
        shutil.rmtree(info)
    # The version file the build writes is never tracked: without it the sdist's own
    # .gitignore (not every sdist ships one) would have to say so.
    generated = version_files(root)
    for rel in generated:
        (root / rel).unlink(missing_ok=True)
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    with (root / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.writelines(f"/{rel}\n" for rel in generated)
    # Only what the project tracks: files its .gitignore names (such as a version file
    # setuptools-scm generated into the sdist) are not in a clone, so they go.
    git("add", "-A")
    git("-c", "commit.gpgsign=false", "commit", "-q", "-m", f"Release {version}")
    git("-c", "tag.gpgsign=false", "tag", "-a", version, "-m", version)
    git("clean", "-q", "-f", "-d", "-X")


def prepare(project: Project, work: Path) -> Path:
    """Fetch, unpack (and play the checkout); write the matrix. Returns the matrix path."""
    archive = fetch(project)
    root = unpack(archive, work / project.dirname)
    if project.checkout == "git":
        play_git_checkout(root, project.version)
    matrix = json.loads(json.dumps(project.matrix))  # a deep copy
    matrix.setdefault("project", {})["path"] = f"./{project.dirname}"
    path = work / f"{project.key}.matrix.yaml"
    path.write_text(yaml.safe_dump(matrix, sort_keys=False))
    return path


# ---------------------------------------------------------------- running


def oxzep7(*args: str, cwd: Path, log: Path | None = None) -> subprocess.CompletedProcess:
    """This checkout's oxzep7 (not whichever is installed), as a user runs it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = run_cli(*args, cwd=cwd, env=env, timeout=None)
    if log is not None:
        log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    return proc


def plan_ids(matrix: Path) -> tuple[list[str], str]:
    """Cell ids of the plan, pruned ones included; (ids, error message)."""
    proc = oxzep7("plan", "--json", str(matrix), cwd=matrix.parent)
    if proc.returncode != 0:
        return [], (proc.stderr or proc.stdout).strip()
    data = json.loads(proc.stdout)
    ids = [c["id"] for c in data.get("cells", [])]
    ids += [p["cell"]["id"] for p in data.get("pruned", [])]
    return ids, ""


def run_project(project: Project, work: Path, jobs: int | None) -> list[CellCheck]:
    matrix = prepare(project, work)
    runs = work / "runs" / project.key
    args = ["run", str(matrix), "--runs-dir", str(runs)]
    if jobs:
        args += ["-j", str(jobs)]
    proc = oxzep7(*args, cwd=work, log=work / f"{project.key}.oxzep7.log")
    results_file = runs / "latest" / "results.json"
    if proc.returncode not in (0, 1) or not results_file.exists():
        why = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return [
            CellCheck(
                project.key,
                cell,
                exp,
                None,
                problems=[f"oxzep7 run exited {proc.returncode}: {why[0]}"],
            )
            for cell, exp in project.expected.items()
        ]
    return compare(project, json.loads(results_file.read_text()))


# ---------------------------------------------------------------- comparing


def matches(test_id: str, pattern: str) -> bool:
    """A failing test id against an expected entry: a test id (all its parametrizations),
    a test file (every test in it), or a glob over either (``tests/test_*.py``)."""
    path = test_id.split("::", 1)[0]
    return (
        test_id == pattern
        or test_id.startswith(pattern + "::")
        or test_id.startswith(pattern + "[")  # every parametrization of a test
        or fnmatch.fnmatchcase(test_id, pattern)
        or fnmatch.fnmatchcase(path, pattern)
    )


def compare(project: Project, results: dict[str, Any]) -> list[CellCheck]:
    checks: list[CellCheck] = []
    actual = {cell["id"]: cell for cell in results.get("cells", [])}
    for cell_id in [*project.expected, *(c for c in actual if c not in project.expected)]:
        exp = project.expected.get(cell_id)
        got = actual.get(cell_id)
        check = CellCheck(
            project.key,
            cell_id,
            exp,
            got["status"] if got else None,
            tuple(got.get("failing_tests", ())) if got else (),
            (got.get("message") or "") if got else "",
        )
        if exp is None:
            check.problems.append("cell not in the expectations")
        elif got is None:
            check.problems.append("cell missing from results.json")
        else:
            if got["status"] != exp.status:
                check.problems.append(f"expected {exp.status}, got {got['status']}")
            if exp.status == "failed" and got["status"] == "failed":
                extra = [t for t in check.failing if not any(matches(t, p) for p in exp.fails)]
                unmet = [p for p in exp.fails if not any(matches(t, p) for t in check.failing)]
                if extra:
                    check.problems.append(f"unexpected failures: {_few(extra)}")
                if unmet:
                    check.problems.append(f"expected failures that did not happen: {_few(unmet)}")
        checks.append(check)
    return checks


def _few(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" (+{len(items) - n} more)" if len(items) > n else "")


# ---------------------------------------------------------------- command line


def select(projects: list[Project], names: list[str], ci: bool) -> list[Project]:
    if names:
        known = {p.key: p for p in projects}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CorpusError(f"unknown project(s) {unknown}; known: {sorted(known)}")
        projects = [known[n] for n in names]
    if ci:
        projects = [p for p in projects if p.ci]
    return projects


def check_plans(projects: list[Project], work: Path) -> int:
    bad = 0
    for project in projects:
        matrix = prepare(project, work)
        ids, error = plan_ids(matrix)
        if error:
            print(f"{project.key}: oxzep7 plan failed: {error}")
            bad += 1
            continue
        missing = sorted(set(project.expected) - set(ids))
        extra = sorted(set(ids) - set(project.expected))
        state = "ok" if not (missing or extra) else f"expected-only {missing}, plan-only {extra}"
        print(f"{project.key}: {len(ids)} cells: {' '.join(ids)}: {state}")
        bad += bool(missing or extra)
    return 1 if bad else 0


def report(checks: list[CellCheck], out=sys.stdout) -> int:
    width = max((len(f"{c.project} {c.cell}") for c in checks), default=10)
    for c in checks:
        label = f"{c.project} {c.cell}".ljust(width)
        exp = c.expected.status if c.expected else "-"
        mark = "ok" if c.ok else "MISMATCH"
        print(f"{label}  expected {exp:<10} got {c.status or '-':<10} {mark}", file=out)
    good = sum(c.ok for c in checks)
    print(f"{good}/{len(checks)} cells as expected", file=out)
    for c in (c for c in checks if not c.ok):
        print(f"\n{c.project} {c.cell}: {'; '.join(c.problems)}", file=out)
        if c.expected:
            print(f"  expected because: {c.expected.why}", file=out)
        if c.failing:
            print(f"  failing tests: {_few(list(c.failing), 8)}", file=out)
        if c.message:
            print("  message: " + c.message.strip().replace("\n", "\n           "), file=out)
    return 0 if good == len(checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.realworld", description=__doc__)
    parser.add_argument("projects", nargs="*", help="project file names (default: all)")
    parser.add_argument("--ci", action="store_true", help="only the projects marked ci: true")
    parser.add_argument("-j", "--jobs", type=int, help="cells at once (oxzep7 run -j)")
    parser.add_argument("--work", type=Path, help="where to unpack and run (default: a temp dir)")
    parser.add_argument("--plan", action="store_true", help="only check cell ids with oxzep7 plan")
    parser.add_argument("--list", action="store_true", help="list the projects and exit")
    args = parser.parse_args(argv)
    try:
        projects = select(load_all(), args.projects, args.ci)
    except CorpusError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for p in projects:
            flag = " [ci]" if p.ci else ""
            print(f"{p.key}: {p.name} {p.version}, {p.backend}, {len(p.expected)} cells{flag}")
            for what in p.covers:
                print(f"    - {what}")
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="oxzep7-realworld-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"corpus: working in {work}", file=sys.stderr)
    try:
        if args.plan:
            return check_plans(projects, work)
        checks: list[CellCheck] = []
        for project in projects:
            started = time.monotonic()
            print(f"corpus: {project.key} ({len(project.expected)} cells) ...", file=sys.stderr)
            checks += run_project(project, work, args.jobs)
            took = time.monotonic() - started
            print(f"corpus: {project.key} done in {took:.0f}s", file=sys.stderr)
    except CorpusError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
