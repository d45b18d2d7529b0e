"""A ready matrix file from an assessment: the baseline is what is in use, the python
axis the supported interpreters the image family provides, one axis per outdated
runtime dependency (the version in use plus a selector of newer releases), and the
project's own test command and test dependencies.

The file is checked by loading it with the matrix loader before it is kept, so
``oxzep7 plan FILE`` accepts it as written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from orchestrator import storage
from orchestrator.assess.assessment import Assessment
from orchestrator.assess.projectfiles import DEV_NAMES, TEST_NAMES, Facts
from orchestrator.errors import ConfigError
from orchestrator.models import Project
from orchestrator.plan import testdeps, versions
from orchestrator.plan.matrix import load_matrix
from orchestrator.sanitize import clean

DEFAULT_TEST = "python -m pytest -q"
# Test tools worth taking from a Pipfile's dev-packages or Poetry's dev group (which also
# hold linters and formatters that have no business in a test cell).
TEST_TOOLS = frozenset(
    {
        "hypothesis",
        "coverage",
        "mock",
        "freezegun",
        "responses",
        "requests-mock",
        "factory-boy",
        "faker",
        "time-machine",
        "syrupy",
        "respx",
        "nose2",
    }
)


@dataclass(frozen=True)
class TestSetup:
    """How a cell installs and tests the project, from the project's own files."""

    __test__ = False  # not a pytest test class

    install: str = "."
    test: str = DEFAULT_TEST
    deps: tuple[str, ...] = ()
    dependency_groups: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def project(self, path: Path) -> Project:
        return Project(
            path=path,
            install=self.install,
            test=self.test,
            deps=self.deps,
            dependency_groups=self.dependency_groups,
            requirements=self.requirements,
        )


def test_setup(facts: Facts, declared_dev: list[tuple[str, str, str]]) -> TestSetup:
    """The install target, test command and test dependencies a cell needs.
    ``declared_dev`` is (name, specifier, kind) of dev and Poetry-group dependencies."""
    notes: list[str] = []
    extra = _first(facts.extras, TEST_NAMES) or _first(facts.extras, DEV_NAMES)
    install = f".[{extra}]" if extra and versions.INSTALL_TARGET.fullmatch(f".[{extra}]") else "."
    group = _first(facts.groups, TEST_NAMES) or _first(facts.groups, DEV_NAMES)
    groups = (group,) if group else ()
    requirements = facts.test_requirements[:1]
    deps = [d for d in facts.tox_deps if _plain_requirement(d)]
    if not (extra or group or requirements or deps):
        for name, spec, _kind in declared_dev:
            if name.startswith("pytest") or name in TEST_TOOLS:
                deps.append(f"{name}{spec}")
        if deps:
            notes.append(f"test tools taken from the project's {declared_dev[0][2]} dependencies")
    test = facts.test_command or DEFAULT_TEST
    setup = TestSetup(install, test, tuple(dict.fromkeys(deps)), groups, requirements)
    needs_pytest = "pytest" in test
    if needs_pytest and not _mentions_pytest(facts, setup):
        setup = replace(setup, deps=(*setup.deps, "pytest"))
        notes.append("pytest added to deps: the test command runs it and nothing else installs it")
    setup = _checked(facts.root, setup, notes)
    return replace(setup, notes=tuple(notes))


def _checked(root: Path, setup: TestSetup, notes: list[str]) -> TestSetup:
    """Drop a requirements file or dependency group that testdeps cannot read (a URL
    requirement, an unsupported option), saying so: the matrix loader would refuse it."""
    if setup.requirements and not _readable(Project(root, requirements=setup.requirements), notes):
        setup = replace(setup, requirements=())
    groups = setup.dependency_groups
    if groups and not _readable(Project(root, dependency_groups=groups), notes):
        setup = replace(setup, dependency_groups=())
    return setup


def _readable(project: Project, notes: list[str]) -> bool:
    try:
        testdeps.test_requirements(project)
    except testdeps.ProjectFileError as exc:
        what = list(project.requirements) or list(project.dependency_groups)
        notes.append(f"left out {what}: {exc}")
        return False
    return True


def _mentions_pytest(facts: Facts, setup: TestSetup) -> bool:
    try:
        found = testdeps.test_requirements(setup.project(facts.root))
    except testdeps.ProjectFileError:
        found = ()
    names = {_name(r) for r in found}
    extra = setup.install[2:-1] if setup.install.startswith(".[") else ""
    extra_names = {d.name for d in facts.declared if d.kind == f"extra {extra}"}
    return "pytest" in names | extra_names


def _name(requirement: str) -> str:
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return ""


def _plain_requirement(text: str) -> bool:
    if "{" in text or text.startswith("-"):
        return False
    try:
        return not Requirement(text).url
    except InvalidRequirement:
        return False


def _first(names: tuple[str, ...], wanted: tuple[str, ...]) -> str | None:
    normal = {re.sub(r"[-_.]+", "-", n).lower(): n for n in names}
    return next((normal[w] for w in wanted if w in normal), None)


def matrix_document(assessment: Assessment, target: Path) -> tuple[dict[str, Any], TestSetup]:
    """The matrix as data, with paths relative to ``target`` (the file to write)."""
    facts = assessment.facts
    dev = [
        (d.name, d.specifier, d.kind)
        for d in facts.declared
        if d.kind == "dev" or d.kind.startswith("group ")
    ]
    setup = test_setup(facts, dev)
    relative = os.path.relpath(facts.root, target.resolve().parent)
    project: dict[str, Any] = {"path": relative, "install": setup.install, "test": setup.test}
    if setup.deps:
        project["deps"] = list(setup.deps)
    if setup.dependency_groups:
        project["dependency_groups"] = list(setup.dependency_groups)
    if setup.requirements:
        project["requirements"] = list(setup.requirements)
    python = assessment.python
    baseline: dict[str, str] = {}
    axes: dict[str, Any] = {}
    if python.baseline:
        baseline["python"] = python.baseline
    axes["python"] = list(python.axis)
    for dep in assessment.axes:
        assert dep.selector is not None and dep.baseline is not None
        baseline[dep.name] = dep.baseline
        axes[dep.name] = [dep.baseline, {"range": dep.selector.range, "pick": dep.selector.pick}]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", facts.name or facts.root.name) + "-upgrade"
    document: dict[str, Any] = {
        "name": name,
        "project": project,
        "baseline": baseline,
        "axes": axes,
        "image": {"family": assessment.family},
    }
    if assessment.index_url and assessment.index_url.rstrip("/") != "https://pypi.org/simple":
        document["index"] = assessment.index_url
    return document, setup


def write_matrix(assessment: Assessment, target: Path) -> TestSetup:
    """Write the matrix to ``target`` and check that the matrix loader accepts it."""
    document, setup = matrix_document(assessment, target)
    header = [
        f"# Written by `oxzep7 assess` on {assessment.today.isoformat()} from "
        f"{_comment(str(assessment.facts.root))}.",
        "# baseline: what the project uses today; python: the supported interpreters the",
        "# image family provides; one axis per outdated runtime dependency.",
    ]
    for dep in assessment.axes:
        source = dep.in_use_source or "not pinned: what a fresh install takes"
        header.append(f"# {_comment(dep.name)} {dep.baseline}: {_comment(source)}")
    for note in setup.notes:
        header.append(f"# note: {_comment(note)}")
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)
    text = "\n".join(header) + "\n" + body
    try:
        storage.write_text(target, text)
    except OSError as exc:
        raise ConfigError(
            f"--write-matrix {target}: cannot write it: {exc.strerror or exc}"
        ) from None
    load_matrix(target)  # raises ConfigError naming the line if it is not a valid matrix
    return setup


def _comment(text: str) -> str:
    return " ".join(clean(text).split())
