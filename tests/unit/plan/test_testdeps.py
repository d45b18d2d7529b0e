"""testdeps: test-only requirements from the matrix, PEP 735 groups and requirements files."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.models import Project
from orchestrator.plan import testdeps

PYPROJECT = """\
[project]
name = "demo"

[dependency-groups]
test = ["pytest>=8", {include-group = "coverage"}]
Coverage = ["coverage[toml]>=7"]
loop = [{include-group = "loop"}]
"""


def project(tmp_path: Path, **options: object) -> Project:
    return Project(tmp_path, **options)  # type: ignore[arg-type]


def test_groups_are_expanded_with_includes_and_normalized_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    found = testdeps.test_requirements(project(tmp_path, dependency_groups=("test",)))
    assert found == ("pytest>=8", "coverage[toml]>=7")


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ("loop", "dependency group 'loop' includes itself (loop)"),
        ("docs", "no dependency group 'docs' in pyproject.toml (groups: coverage, loop, test)"),
    ],
)
def test_group_mistakes_are_named(tmp_path: Path, group: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    with pytest.raises(
        testdeps.ProjectFileError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        testdeps.test_requirements(project(tmp_path, dependency_groups=(group,)))


def test_requirements_files_follow_includes_and_drop_what_is_not_a_requirement(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("attrs==23.2.0 \\\n  --hash=sha256:ab\n")
    (tmp_path / "requirements-dev.txt").write_text(
        "# tests\n-r requirements/base.txt\n-e .\n--index-url https://evil.example/simple\n"
        "pytest>=8  # the runner\nhypothesis; python_version >= '3.9'\n.[test]\n"
    )
    found = testdeps.test_requirements(
        project(tmp_path, deps=("pytest>=8", "mock"), requirements=("requirements-dev.txt",))
    )
    assert found == ("pytest>=8", "mock", "attrs==23.2.0", 'hypothesis; python_version >= "3.9"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("git+https://x.example/a.git#egg=a\n", "not a requirement"),
        ("a @ https://x.example/a.whl\n", "is a URL requirement"),
        ("--no-deps\n", "unsupported option '--no-deps'"),
        ("-r ../../etc/passwd\n", "is outside the project"),
    ],
)
def test_requirements_file_mistakes_name_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "req.txt").write_text("pytest\n" + text)
    with pytest.raises(testdeps.ProjectFileError, match=message):
        testdeps.test_requirements(project(tmp_path, requirements=("req.txt",)))


def test_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "req.txt")
    with pytest.raises(testdeps.ProjectFileError, match="not a regular file"):
        testdeps.test_requirements(project(tmp_path, requirements=("req.txt",)))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n'}, ">=3.10"),
        ({"setup.cfg": "[options]\npython_requires = >=3.8, <3.13\n"}, "<3.13,>=3.8"),
        ({"pyproject.toml": '[project]\nname = "x"\ndynamic = ["requires-python"]\n'}, None),
        ({"pyproject.toml": "not toml ["}, None),
        ({}, None),
    ],
)
def test_requires_python_from_static_metadata(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = testdeps.requires_python(tmp_path)
    assert (str(found) if found is not None else None) == expected


@pytest.mark.parametrize(
    ("spec", "python", "accepted"),
    [(">=3.10", "3.9", False), (">=3.9.2", "3.9", True), ("<3.13", "3.13", False)],
)
def test_accepts_a_minor_when_some_release_of_it_fits(spec, python, accepted):
    from packaging.specifiers import SpecifierSet

    assert testdeps.accepts(SpecifierSet(spec), python) is accepted
