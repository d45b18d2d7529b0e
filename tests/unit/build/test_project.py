"""build.project: which files enter a cell, with which metadata, and when an sdist is needed."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from orchestrator.build import images, project
from orchestrator.errors import ConfigError


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


def make_tree(root: Path) -> None:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    (root / "link.py").symlink_to("src/pkg/__init__.py")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "x.py").write_text("")
    (root / "data").mkdir()
    (root / "data" / "big.bin").write_bytes(b"0" * 10)
    os.utime(root / "run.sh", (0, 0))


def names(root: Path) -> list[str]:
    return [entry.path for entry in project.tree(root).entries]


def test_a_plain_folder_drops_caches_and_virtualenvs(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert names(tmp_path) == ["data/big.bin", "link.py", "run.sh", "src/pkg/__init__.py"]


def test_a_git_work_tree_is_what_git_ls_files_sees(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / ".gitignore").write_text("data/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "src", ".gitignore")
    git(tmp_path, "commit", "-qm", "x")
    # Tracked, plus untracked files that are not ignored (.venv has no ignore rule here,
    # so it goes in: git's view wins over the built-in list).
    assert names(tmp_path) == [
        ".gitignore",
        ".venv/lib/x.py",
        "link.py",
        "run.sh",
        "src/pkg/__init__.py",
    ]


def test_oxzep7s_own_runs_never_enter_even_when_git_does_not_ignore_them(tmp_path: Path) -> None:
    # oxzep7 run from the project's root writes .oxzep7/runs there; shipped, every run
    # would make a new tree, so new images and no reused result.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("")
    (tmp_path / "src" / ".oxzep7rc").write_text("")  # a name that only starts alike
    run = tmp_path / ".oxzep7" / "runs" / "20261126-000000-x"
    run.mkdir(parents=True)
    (run / "results.json").write_text("{}")
    git(tmp_path, "init", "-q")
    assert names(tmp_path) == ["src/.oxzep7rc", "src/a.py"]
    git(tmp_path, "add", ".")  # even tracked by mistake
    assert names(tmp_path) == ["src/.oxzep7rc", "src/a.py"]


def test_the_tar_keeps_modes_links_and_clamps_old_mtimes(tmp_path: Path) -> None:
    make_tree(tmp_path)
    context = images.BuildContext("FROM x\n", trees={"project/": project.tree(tmp_path)})
    with tarfile.open(fileobj=io.BytesIO(context.tar().read())) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert members["project/run.sh"].mode == 0o755
    assert members["project/run.sh"].mtime == project.MIN_MTIME  # was 0: flit_core refuses it
    assert members["project/link.py"].issym()
    assert members["project/link.py"].linkname == "src/pkg/__init__.py"
    assert members["project/src/pkg/__init__.py"].mode == 0o644
    assert members["Dockerfile"].mtime == project.MIN_MTIME


def test_a_symlink_out_of_the_tree_is_copied_as_the_file(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret-free")
    root = tmp_path / "p"
    root.mkdir()
    (root / "o.txt").symlink_to(outside)
    (entry,) = project.tree(root).entries
    assert entry.link is None and entry.size == len("secret-free")


def test_the_digest_follows_content_and_mode_not_mtime(tmp_path: Path) -> None:
    make_tree(tmp_path)
    first = project.tree(tmp_path).digest()
    os.utime(tmp_path / "src" / "pkg" / "__init__.py", (1e9, 1e9))
    assert project.tree(tmp_path).digest() == first
    (tmp_path / "src" / "pkg" / "__init__.py").chmod(0o755)
    assert project.tree(tmp_path).digest() != first


def test_a_project_over_the_limit_names_its_size_and_biggest_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path)
    (tmp_path / "data" / "big.bin").write_bytes(b"0" * (2 << 20))
    monkeypatch.setenv(project.LIMIT_VAR, "1")
    with pytest.raises(ConfigError) as caught:
        project.tree(tmp_path)
    message = str(caught.value)
    assert "holds 2 MiB" in message and "over the 1 MiB limit" in message
    assert "data/ 2 MiB" in message and project.LIMIT_VAR in message


@pytest.mark.parametrize(
    ("pyproject", "pkg_info", "expected"),
    [
        ('[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n', False, True),
        ('[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n', False, True),
        ('[tool.pdm.version]\nsource = "scm"\n', False, True),
        ('[build-system]\nrequires = ["setuptools_scm"]\n', True, False),  # an unpacked sdist
        ('[build-system]\nrequires = ["flit_core"]\n', False, False),
    ],
)
def test_version_from_git(tmp_path: Path, pyproject: str, pkg_info: bool, expected: bool) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    if pkg_info:
        (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\n")
    git(tmp_path, "init", "-q")
    assert project.version_from_git(tmp_path) is expected


def test_outside_git_the_version_never_comes_from_git(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["hatch-vcs"]\n')
    assert project.version_from_git(tmp_path) is False
