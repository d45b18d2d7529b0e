"""The real-world corpus: its files are well-formed, and (on the real engine, with PyPI
reachable) the CI subset's cells come out as expected."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from tests.realworld import corpus

BACKENDS = ("setuptools (setup.py)", "setuptools (pyproject.toml only)", "flit_core")
BACKENDS += ("hatchling", "poetry-core", "pdm-backend")


def test_corpus_files_load_and_cover_what_they_must():
    projects = corpus.load_all()
    assert len(projects) >= 10
    backends = " | ".join(p.backend for p in projects)
    for backend in BACKENDS:
        assert backend in backends, backend
    assert any(p.checkout == "git" for p in projects)
    assert any(p.ci for p in projects)
    statuses = {e.status for p in projects for e in p.expected.values()}
    assert {"passed", "failed", "error"} <= statuses


def test_matches_test_ids_files_and_globs():
    assert corpus.matches("tests/test_a.py::test_x", "tests/test_a.py")
    assert corpus.matches("tests/test_a.py::T::test_x", "tests/test_a.py::T::test_x")
    assert corpus.matches("tests/test_a.py::test_x", "tests/test_*.py")
    assert corpus.matches("tests/test_a.py::test_x[<lambda>0]", "tests/test_a.py::test_x")
    assert not corpus.matches("tests/test_a.py::test_xy", "tests/test_a.py::test_x")
    assert not corpus.matches("tests/test_ab.py::test_x", "tests/test_a.py")
    assert not corpus.matches("tests.test_a", "tests/test_a.py")


def _project(**expected) -> corpus.Project:
    return corpus.Project(
        key="demo",
        name="demo",
        version="1",
        sha256="0" * 64,
        matrix={},
        expected={k: corpus.Expected(**v) for k, v in expected.items()},
    )


def test_compare_reports_status_and_failing_test_mismatches():
    project = _project(
        a={"status": "passed", "why": "."},
        b={"status": "failed", "why": ".", "fails": ("tests/test_x.py",)},
        c={"status": "failed", "why": ".", "fails": ("tests/test_x.py", "tests/test_y.py")},
        d={"status": "error", "why": "."},
    )
    results = {
        "cells": [
            {"id": "a", "status": "passed", "failing_tests": []},
            {"id": "b", "status": "failed", "failing_tests": ["tests/test_x.py::t1"]},
            {"id": "c", "status": "failed", "failing_tests": ["tests/test_z.py::t"]},
            {"id": "e", "status": "passed", "failing_tests": []},
        ]
    }
    checks = {c.cell: c for c in corpus.compare(project, results)}
    assert checks["a"].ok and checks["b"].ok
    assert "unexpected failures: tests/test_z.py::t" in checks["c"].problems
    assert any("did not happen" in p for p in checks["c"].problems)
    assert checks["d"].problems == ["cell missing from results.json"]
    assert checks["e"].problems == ["cell not in the expectations"]
    out = io.StringIO()
    assert corpus.report(list(checks.values()), out=out) == 1
    assert "2/5 cells as expected" in out.getvalue()


def test_git_checkout_play_has_no_pkg_info_and_a_tag(tmp_path: Path):
    root = tmp_path / "demo-1.2"
    (root / "src" / "demo.egg-info").mkdir(parents=True)
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\n")
    (root / "pyproject.toml").write_text(
        "[project]\nname='demo'\n[tool.hatch.build.hooks.vcs]\nversion-file = 'src/v.py'\n"
    )
    (root / "src" / "v.py").write_text("__version__ = '1.2'\n")
    (root / ".gitignore").write_text("_version.py\n")
    (root / "_version.py").write_text("version = '1.2'\n")
    corpus.play_git_checkout(root, "1.2")
    assert not (root / "PKG-INFO").exists()
    assert not (root / "src" / "demo.egg-info").exists()
    assert (root / ".git").is_dir()
    assert not (root / "_version.py").exists()  # ignored files are not in a clone
    assert not (root / "src" / "v.py").exists()  # nor is the version file a build writes
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True)
    assert dirty.stdout == b""
    tag = subprocess.run(
        ["git", "describe", "--tags"], cwd=root, capture_output=True, text=True, check=True
    )
    assert tag.stdout.strip() == "1.2"


@pytest.mark.docker
@pytest.mark.network
@pytest.mark.realworld
def test_ci_subset_cells_as_expected(tmp_path: Path, capsys):
    """The CI subset (projects with ``ci: true``) through the real oxzep7 and Docker."""
    status = corpus.main(["--ci", "--work", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
