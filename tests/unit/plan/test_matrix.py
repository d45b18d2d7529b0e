"""Matrix files: a valid one loads into the expected Matrix; each kind of mistake is a
one-line ConfigError (exit code 2) naming the file, the line and the dotted key."""

from __future__ import annotations

import errno
import json
import os
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from orchestrator.errors import EXIT_CONFIG, ConfigError
from orchestrator.models import Matrix, Project, RunOptions
from orchestrator.plan import matrix
from orchestrator.plan.matrix import load_matrix
from orchestrator.plan.selectors import PICKS, Selector

# Line numbers matter: the error tests below cite them.
VALID = """\
name: sample-upgrade
project:
  path: app
  install: ".[test]"
  test: python -m pytest -q -x
baseline:
  python: "3.9"
  click: "7.1.2"
axes:
  python: ["3.9", "3.11", "3.13"]
  Click: ["7.1.2", "8.1.*"]
  PyYAML: [">=6,<7"]
constraints: ["pytest==8.3.5", "tomli; python_version < '3.11'"]
exclude:
  - {python: "3.13", click: "7.1.2"}
include:
  - {python: "3.11", click: "8.0.0"}
image:
  family: debian
run:
  jobs: 3
  timeout: 600
  network: true
  memory: 4G
  cpus: 1.5
"""

CPUS = "must be a number above 0 and at most 1024, got"

MINIMAL = """\
name: tiny
project: {path: app}
baseline: {python: "3.11"}
axes: {python: ["3.11"]}
"""


def write(tmp_path: Path, text: str) -> Path:
    """A matrix file in tmp_path, next to an (empty) project directory ``app``."""
    (tmp_path / "app").mkdir(exist_ok=True)
    path = tmp_path / "matrix.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error(path: Path) -> ConfigError:
    """The ConfigError loading ``path`` raises; it must be exit code 2 and one line."""
    with pytest.raises(ConfigError) as caught:
        load_matrix(path)
    assert caught.value.exit_code == EXIT_CONFIG == 2
    assert "\n" not in str(caught.value)
    return caught.value


def edited(*changes: tuple[str, str]) -> str:
    """VALID with exact substrings replaced (each must occur once)."""
    text = VALID
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def commented(*lines: int) -> str:
    """VALID with the given 1-based lines turned into comments, so others keep their numbers."""
    rows = VALID.splitlines()
    for number in lines:
        rows[number - 1] = "# " + rows[number - 1]
    return "\n".join(rows) + "\n"


# --- Valid files -------------------------------------------------------------------------


def test_valid_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    assert load_matrix(str(path)) == Matrix(
        name="sample-upgrade",
        source=path.resolve(),
        project=Project(
            path=(tmp_path / "app").resolve(), install=".[test]", test="python -m pytest -q -x"
        ),
        axes={
            "python": ("3.9", "3.11", "3.13"),
            "click": ("7.1.2", "8.1.*"),
            "pyyaml": (">=6,<7",),
        },
        baseline={"python": "3.9", "click": "7.1.2"},
        constraints=("pytest==8.3.5", "tomli; python_version < '3.11'"),
        include=({"python": "3.11", "click": "8.0.0"},),
        exclude=({"python": "3.13", "click": "7.1.2"},),
        image_family="debian",
        run=RunOptions(jobs=3, timeout=600, network=True, memory="4G", cpus=1.5),
    )


def test_axes_keep_file_order_with_python_first(tmp_path: Path) -> None:
    text = edited(
        ('  python: ["3.9", "3.11", "3.13"]\n', ""), ("  PyYAML", '  python: ["3.9"]\n  PyYAML')
    )
    assert list(load_matrix(write(tmp_path, text)).axes) == ["python", "click", "pyyaml"]


def test_defaults(tmp_path: Path) -> None:
    loaded = load_matrix(write(tmp_path, MINIMAL))
    assert loaded.project == Project(path=(tmp_path / "app").resolve())
    assert loaded.run == RunOptions()
    assert loaded.image_family == "debian"
    assert (loaded.constraints, loaded.include, loaded.exclude) == ((), (), ())


def test_project_path_is_relative_to_the_matrix_file(tmp_path: Path) -> None:
    (tmp_path / "sample").mkdir()
    (tmp_path / "matrices").mkdir()
    path = tmp_path / "matrices" / "m.yaml"
    path.write_text(MINIMAL.replace("path: app", "path: ../sample"), encoding="utf-8")
    assert load_matrix(path).project.path == (tmp_path / "sample").resolve()


def test_official_family_has_other_interpreters(tmp_path: Path) -> None:
    text = edited(('"3.11", "3.13"]', '"3.10", "3.12"]'), ("family: debian", "family: official"))
    loaded = load_matrix(write(tmp_path, text))
    assert loaded.axes["python"] == ("3.9", "3.10", "3.12")
    assert loaded.image_family == "official"


def test_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    text = edited(
        ('  - {python: "3.11", click: "8.0.0"}', '  - &new {python: "3.11", click: "8.0.0"}'),
        ('  - {python: "3.13", click: "7.1.2"}', '  - {<<: *old, python: "3.13"}'),
        ('  python: "3.9"\n  click: "7.1.2"', '  &old {python: "3.9", click: "7.1.2"}\n'),
    )
    text = text.replace("include:\n", "").replace("exclude:\n", "include:\n") + "exclude: [*new]\n"
    loaded = load_matrix(write(tmp_path, text))
    assert loaded.include == (
        {"python": "3.13", "click": "7.1.2"},
        {"python": "3.11", "click": "8.0.0"},
    )
    assert loaded.exclude == ({"python": "3.11", "click": "8.0.0"},)


# --- Files that cannot be read -----------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = error(path)
    assert str(err) == f"{path}: matrix file not found"
    assert (err.path, err.line, err.key) == (path, None, None)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert str(error(tmp_path)) == f"{tmp_path}: is a directory, not a matrix file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, VALID)

    def denied(*args: object, **kwargs: object) -> int:  # chmod 0 would not stop root
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    assert str(error(path)) == f"{path}: cannot read the matrix file: Permission denied"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "the file is empty; expected a mapping with name, project, axes"),
        (
            "# nothing\n",
            None,
            "the file is empty; expected a mapping with name, project, axes",
        ),
        (
            "\n- a\n- b\n",
            2,
            "expected a mapping at the top level (name, project, baseline, axes, ...), got a list",
        ),
        (
            "just text\n",
            1,
            "expected a mapping at the top level (name, project, baseline, axes, ...), "
            "got the string 'just text'",
        ),
        (
            "name: x\nproject: [unclosed\n",
            3,
            "invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        ("name: x\n project: y\n", 2, "invalid YAML: mapping values are not allowed here"),
        (
            "name: x\n---\nname: y\n",
            2,
            "invalid YAML: expected a single document in the stream, but found another document",
        ),
        (
            "name: !!python/object/apply:os.system [echo hi]\n",
            1,
            "invalid YAML: could not determine "
            "a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        (
            "name: x\nrun: !!set {jobs}\n",
            2,
            "invalid YAML: the tag 'tag:yaml.org,2002:set' is not supported in matrix files",
        ),
        (
            "name: x\n[a]: 1\n",
            2,
            "invalid YAML: a key must be a plain value, not a list or mapping",
        ),
        (
            "name: x\nrun: &r {<<: *r}\n",
            2,
            "invalid YAML: an alias refers to a node that contains it",
        ),
        (
            'name: x\nrun: "\a"\n',
            2,
            "invalid YAML: special characters are not allowed (character #x0007)",
        ),
    ],
)
def test_unusable_document(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    path = write(tmp_path, text)
    err = error(path)
    where = f"{path}:{line}" if line else f"{path}"
    assert str(err) == f"{where}: {message}"
    assert err.line == line


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"name: x\nproject: caf\xe9\n")
    assert str(error(path)) == f"{path}:2: the file is not UTF-8 text"


# --- Mistakes inside the file ------------------------------------------------------------

QUOTE = "expected a string, got the number"
NOT_SPEC = "is neither a version nor a specifier set (e.g. '6.0.2', '6.0.*', '>=6,<7')"
NOT_INSTALL = "expected '.' or '.[extra,...]' (the project and its extras), got"
NOT_DEBIAN = "is not available in image family 'debian' (available: 3.9, 3.11, 3.13, 3.14, 3.15)"
MEMORY = "expected a memory size like '512m' or '2g', got"


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        ((1,), "2 name"),
        ((2, 3, 4, 5), "1 project"),
        ((3,), "2 project.path"),
        ((9, 10, 11, 12), "1 axes"),
        ((10,), "9 axes.python"),
    ],
)
def test_missing_required_key(tmp_path: Path, lines: tuple[int, ...], where: str) -> None:
    """The error points at the mapping the key belongs in."""
    path = write(tmp_path, commented(*lines))
    line, key = where.split(" ", 1)
    assert str(error(path)) == f"{path}:{line}: {key}: required key missing"


# Each case: (old, new) applied to VALID, "line dotted.key", message.
MISTAKES = [
    # unknown keys, at every level
    (("name:", "nmae:"), "1 nmae", "unknown key 'nmae' (did you mean 'name'?)"),
    (("  test:", "  tests:"), "5 project.tests", "unknown key 'tests' (did you mean 'test'?)"),
    (
        ("  jobs:", "  parallel:"),
        "21 run.parallel",
        "unknown key 'parallel' (valid keys: jobs, timeout, network, memory, cpus, retries, "
        "priority, max_cells, allow_vulnerable, require_supported)",
    ),
    (
        ("  family:", "  familly:"),
        "19 image.familly",
        "unknown key 'familly' (did you mean 'family'?)",
    ),
    (
        ('  - {python: "3.11"', '  - {pyhton: "3.11"'),
        "17 include[0].pyhton",
        "unknown key 'pyhton' (did you mean 'python'?)",
    ),
    (
        ('  python: ["3.9", "3.11", "3.13"]', '  pyhton: ["3.9", "3.11", "3.13"]'),
        "9 axes.python",
        "required key missing (did you misspell it as 'pyhton'?)",
    ),
    # keys that are not axes
    (
        ('  - {python: "3.13", click', '  - {python: "3.13", requests'),
        "15 exclude[0].requests",
        "unknown key 'requests' (not an axis; axes are: python, click, pyyaml)",
    ),
    (
        ('  click: "7.1.2"', '  clik: "7.1.2"'),
        "8 baseline.clik",
        "unknown key 'clik' (did you mean 'click'?)",
    ),
    (
        ('click: "8.0.0"}', 'click: "8.0.0", Click: "8"}'),
        "17 include[0].Click",
        "'Click' names the same axis as 'click'",
    ),
    (
        ('  - {python: "3.11", click: "8.0.0"}', "  - {}"),
        "17 include[0]",
        "an entry needs at least one axis: value",
    ),
    # duplicate keys, and names that are the same after normalization
    (
        ("  timeout: 600", "  jobs: 4"),
        "22 run.jobs",
        "duplicate key 'jobs' (first given on line 21)",
    ),
    (("image:", "name: again\nimage:"), "18 name", "duplicate key 'name' (first given on line 1)"),
    (("  PyYAML:", "  click:"), "12 axes.click", "'click' names the same axis as 'Click'"),
    (
        ("  PyYAML:", '  "pyyaml\\n":'),
        "12 axes.'pyyaml\\n'",
        "'pyyaml\\n' is not a distribution name (axes other than python are)",
    ),
    # wrong types, with a hint to quote what YAML turned into a number
    (("name: sample-upgrade", "name: [a]"), "1 name", "expected a string, got a list"),
    (("name: sample-upgrade", "name:"), "1 name", "expected a string, got nothing (null)"),
    (("  path: app", "  path: {}"), "3 project.path", "expected a string, got a mapping"),
    (
        ('["3.9", "3.11", "3.13"]', '[3.9, "3.11", "3.13"]'),
        "10 axes.python[0]",
        f'{QUOTE} 3.9; quote it: "3.9"',
    ),
    (
        ('["3.9", "3.11", "3.13"]', '["3.9", "3.11", 3.10]'),
        "10 axes.python[2]",
        f'{QUOTE} 3.10 (YAML reads it as 3.1); quote it: "3.10"',
    ),
    (('  python: "3.9"', "  python: 3.9"), "7 baseline.python", f'{QUOTE} 3.9; quote it: "3.9"'),
    (
        ('  - {python: "3.13", click', "  - {3.13: x, click"),
        "15 exclude[0].3.13",
        'expected a string key, got the number 3.13; quote it: "3.13"',
    ),
    (('"8.1.*"]', "8]"), "11 axes.Click[1]", f'{QUOTE} 8; quote it: "8"'),
    (
        ('  Click: ["7.1.2", "8.1.*"]', '  Click: "7.1.2"'),
        "11 axes.Click",
        "expected a list, got the string '7.1.2'",
    ),
    (
        ('  python: ["3.9", "3.11", "3.13"]', '  python:\n    - "3.9"\n    - on'),
        "12 axes.python[1]",
        'expected a string, got the boolean on (YAML reads it as true); quote it: "on"',
    ),
    (
        ('["pytest==8.3.5", "tomli; python_version < \'3.11\'"]', '"pytest==8.3.5"'),
        "13 constraints",
        "expected a list, got the string 'pytest==8.3.5'",
    ),
    (("image:\n ", "image: debian\n#"), "18 image", "expected a mapping, got the string 'debian'"),
    (("  jobs: 3", "  jobs: two"), "21 run.jobs", "expected a whole number, got the string 'two'"),
    (("  jobs: 3", "  jobs: 0"), "21 run.jobs", "must be at least 1, got 0"),
    (
        ("  timeout: 600", "  timeout: 1.5"),
        "22 run.timeout",
        "expected a whole number, got the number 1.5",
    ),
    (
        ("  network: true", '  network: "no"'),
        "23 run.network",
        "expected true or false, got the string 'no'",
    ),
    (("  memory: 4G", "  memory: 4 GB"), "24 run.memory", f"{MEMORY} '4 GB'"),
    (("  memory: 4G", "  memory: 0g"), "24 run.memory", f"{MEMORY} '0g'"),
    (("  cpus: 1.5", "  cpus: 0"), "25 run.cpus", f"{CPUS} 0"),
    (("  cpus: 1.5", "  cpus: .inf"), "25 run.cpus", f"{CPUS} .inf"),
    (
        ("  family: debian", "  family: debain"),
        "19 image.family",
        "unknown image family 'debain' (did you mean 'debian'?)",
    ),
    (
        ("  family: debian", "  family: alpine"),
        "19 image.family",
        "unknown image family 'alpine' (choose from: debian, official)",
    ),
    # strings that would reach a Dockerfile or a shell
    (
        ('".[test]"', '".[test] && curl x | sh"'),
        "4 project.install",
        f"{NOT_INSTALL} '.[test] && curl x | sh'",
    ),
    (('".[test]"', '"src/"'), "4 project.install", f"{NOT_INSTALL} 'src/'"),
    (('".[test]"', '".[]"'), "4 project.install", f"{NOT_INSTALL} '.[]'"),
    (
        ("  test: python -m pytest -q -x", '  test: "pytest\\nrm -rf /"'),
        "5 project.test",
        "must be one line of printable text (found '\\n')",
    ),
    (("  test: python -m pytest -q -x", '  test: "   "'), "5 project.test", "must not be empty"),
    (
        ('"8.1.*"]', '"===`id`"]'),
        "11 axes.Click[1]",
        f"'===`id`' {NOT_SPEC}",
    ),
    # versions, specifiers, distribution names, requirements
    (('"8.1.*"]', '"eight"]'), "11 axes.Click[1]", f"'eight' {NOT_SPEC}"),
    (
        ('click: "8.0.0"}', 'click: "8.0.0 beta"}'),
        "17 include[0].click",
        f"'8.0.0 beta' {NOT_SPEC}",
    ),
    (
        ('"8.1.*"]', '"==7.1.2"]'),
        "11 axes.Click[1]",
        "duplicate value '==7.1.2' (same as axes.Click[0])",
    ),
    (
        ('["3.9", "3.11", "3.13"]', '["3.9", "3.11", "3.9"]'),
        "10 axes.python[2]",
        "duplicate value '3.9' (same as axes.python[0])",
    ),
    (
        ("  PyYAML:", "  py yaml:"),
        "12 axes.py yaml",
        "'py yaml' is not a distribution name (axes other than python are)",
    ),
    (
        ('"pytest==8.3.5"', '"pytest=8"'),
        "13 constraints[0]",
        "not a valid requirement: Expected semicolon (after name with no version specifier) or end",
    ),
    (
        ('"pytest==8.3.5"', '"pkg @ https://example.org/pkg.whl"'),
        "13 constraints[0]",
        "'pkg @ https://example.org/pkg.whl' is a URL requirement; constraints must name versions",
    ),
    # interpreters the image family cannot provide
    (('"3.11", "3.13"]', '"3.10", "3.13"]'), "10 axes.python[1]", f"Python 3.10 {NOT_DEBIAN}"),
    (('  python: "3.9"', '  python: "3.12"'), "7 baseline.python", f"Python 3.12 {NOT_DEBIAN}"),
    (
        ('  - {python: "3.11"', '  - {python: "2.7"'),
        "17 include[0].python",
        "'2.7' is not an interpreter version like '3.13'",
    ),
    # an empty axis
    (
        ('  PyYAML: [">=6,<7"]', "  PyYAML: []"),
        "12 axes.PyYAML",
        "an axis needs at least one value",
    ),
]


@pytest.mark.parametrize(("change", "where", "message"), MISTAKES)
def test_mistake(tmp_path: Path, change: tuple[str, str], where: str, message: str) -> None:
    path = write(tmp_path, edited(change))
    err = error(path)
    line, key = where.split(" ", 1)
    assert str(err) == f"{path}:{line}: {key}: {message}"
    assert (err.path, err.line, err.key) == (path, int(line), key)


def test_missing_project_directory_names_the_resolved_path(tmp_path: Path) -> None:
    path = write(tmp_path, edited(("  path: app", "  path: ../nowhere")))
    missing = (tmp_path / ".." / "nowhere").resolve()
    assert str(error(path)) == f"{path}:3: project.path: project directory not found: {missing}"


def test_project_path_must_be_a_directory(tmp_path: Path) -> None:
    path = write(tmp_path, edited(("  path: app", "  path: matrix.yaml")))
    assert str(error(path)) == (
        f"{path}:3: project.path: project path is not a directory: {path.resolve()}"
    )


@pytest.mark.parametrize("wrong", ["[]", "{}", "null", "1", "1.5", "true", "2024-01-01", '""', "x"])
def test_any_value_of_the_wrong_shape_is_a_config_error(tmp_path: Path, wrong: str) -> None:
    """Replace each value in turn: the result loads or is a ConfigError, never a traceback."""
    lines = VALID.splitlines()
    for number, row in enumerate(lines):
        head, sep, _ = row.partition(": ") if ": " in row else row.partition("- ")
        if not sep:
            continue
        text = "\n".join([*lines[:number], head + sep + wrong, *lines[number + 1 :]]) + "\n"
        try:
            load_matrix(write(tmp_path, text))
        except ConfigError as err:
            assert err.exit_code == EXIT_CONFIG
            assert err.line is not None, str(err)


# --- Selectors, the index and run options ---------------------------------------------------

# Line numbers matter here too.
SELECTING = """\
name: selecting
project: {path: app}
baseline: {python: "3.11", django: "4.2.16"}
axes:
  python: {range: ">=3.11", pick: all}
  Django: {range: ">=4.2,<6", pick: latest-per-minor}
  click: ["8.1.8", {pick: newest-2, prereleases: true}]
index: https://pypi.example/simple/
run:
  retries: 0
  priority: [Django, python]
"""


def selecting(*changes: tuple[str, str]) -> str:
    """SELECTING with exact substrings replaced (each must occur once)."""
    text = SELECTING
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_selectors_load_as_selector_objects(tmp_path: Path) -> None:
    loaded = load_matrix(write(tmp_path, SELECTING))
    assert loaded.axes == {
        "python": (Selector("all", ">=3.11"),),
        "django": (Selector("latest-per-minor", ">=4.2,<6"),),
        "click": ("8.1.8", Selector("newest-2", prereleases=True)),
    }
    assert loaded.run == RunOptions(retries=0, priority=("django", "python"))
    assert getattr(loaded, "index", None) == "https://pypi.example/simple/"


def test_python_selectors_may_sit_in_a_list(tmp_path: Path) -> None:
    text = selecting(('{range: ">=3.11", pick: all}', '["3.9", {range: ">=3.13", pick: lowest}]'))
    assert load_matrix(write(tmp_path, text)).axes["python"] == (
        "3.9",
        Selector("lowest", ">=3.13"),
    )


def test_no_index_key_means_none(tmp_path: Path) -> None:
    loaded = load_matrix(write(tmp_path, MINIMAL))
    assert getattr(loaded, "index", None) is None
    assert loaded.run.retries == 1


PICK_LIST = "valid picks: latest, lowest, latest-per-minor, latest-per-major, all, newest-N"
SELECTOR_MISTAKES = [
    (
        ("pick: latest-per-minor}", "pick: latest-per-minr}"),
        "6 axes.Django.pick",
        "unknown pick 'latest-per-minr' (did you mean 'latest-per-minor'?)",
    ),
    (("pick: all}", "pick: every}"), "5 axes.python.pick", f"unknown pick 'every' ({PICK_LIST})"),
    (
        ("pick: newest-2", "pick: newest-0"),
        "7 axes.click[1].pick",
        "'newest-0' selects nothing; use newest-1 or more",
    ),
    (
        ('{range: ">=4.2,<6", pick', '{rnage: ">=4.2,<6", pick'),
        "6 axes.Django.rnage",
        "unknown key 'rnage' (did you mean 'range'?)",
    ),
    (
        ("{pick: newest-2, prereleases: true}", "{prereleases: true}"),
        "7 axes.click[1].pick",
        "required key missing",
    ),
    (
        ("prereleases: true", 'prereleases: "yes"'),
        "7 axes.click[1].prereleases",
        "expected true or false, got the string 'yes'",
    ),
    (('range: ">=4.2,<6"', 'range: "four"'), "6 axes.Django.range", f"'four' {NOT_SPEC}"),
    (
        ('range: ">=3.11"', 'range: ">=3.16"'),
        "5 axes.python",
        "all of >=3.16 selects no interpreter of image family 'debian' "
        "(available: 3.9, 3.11, 3.13, 3.14, 3.15)",
    ),
    (
        ('["8.1.8", {pick', "[{pick: newest-2, prereleases: true}, {pick"),
        "7 axes.click[1]",
        "duplicate value 'newest-2 (pre-releases too)' (same as axes.click[0])",
    ),
    (
        ('django: "4.2.16"}', "django: {pick: latest}}"),
        "3 baseline.django",
        "expected a string, got a mapping",
    ),
    (
        ("index: https://pypi.example/simple/", "index: pypi.example"),
        "8 index",
        "expected an http(s) URL with a host, like 'https://pypi.org/simple/', got 'pypi.example'",
    ),
    (("retries: 0", "retries: -1"), "10 run.retries", "must be at least 0, got -1"),
    (
        ("retries: 0", "retries: true"),
        "10 run.retries",
        "expected a whole number, got the boolean true",
    ),
    (
        ("priority: [Django, python]", "priority: [djano]"),
        "11 run.priority[0]",
        "unknown axis 'djano' (did you mean 'django'?)",
    ),
    (
        ("priority: [Django, python]", "priority: [django, Django]"),
        "11 run.priority[1]",
        "'Django' is listed twice",
    ),
    (
        ("priority: [Django, python]", "priority: python"),
        "11 run.priority",
        "expected a list, got the string 'python'",
    ),
]


@pytest.mark.parametrize(("change", "where", "message"), SELECTOR_MISTAKES)
def test_selector_mistake(
    tmp_path: Path, change: tuple[str, str], where: str, message: str
) -> None:
    path = write(tmp_path, selecting(change))
    err = error(path)
    line, key = where.split(" ", 1)
    assert str(err) == f"{path}:{line}: {key}: {message}"


@pytest.mark.parametrize("wrong", ["[]", "{}", "null", "1", "true", '""', "x", "[{}]", "{a: b}"])
def test_any_selector_value_of_the_wrong_shape_is_a_config_error(
    tmp_path: Path, wrong: str
) -> None:
    lines = SELECTING.splitlines()
    for number, row in enumerate(lines):
        head, sep, _ = row.partition(": ")
        if not sep:
            continue
        text = "\n".join([*lines[:number], head + sep + wrong, *lines[number + 1 :]]) + "\n"
        try:
            load_matrix(write(tmp_path, text))
        except ConfigError as err:
            assert err.exit_code == EXIT_CONFIG
            assert err.line is not None, str(err)


# --- The JSON Schema for editors ---------------------------------------------------------


def schema() -> dict:
    text = resources.files("orchestrator").joinpath("resources/matrix.schema.json").read_text()
    return json.loads(text)


def test_schema_keys_match_the_validator() -> None:
    properties = schema()["properties"]
    assert set(properties) == set(matrix.TOP_KEYS)
    assert set(schema()["required"]) == set(matrix.TOP_REQUIRED)
    assert set(properties["project"]["properties"]) == set(matrix.PROJECT_KEYS)
    assert set(properties["image"]["properties"]) == set(matrix.IMAGE_KEYS)
    assert set(properties["run"]["properties"]) == set(matrix.RUN_KEYS)
    assert properties["image"]["properties"]["family"]["enum"] == ["debian", "official"]
    selector = schema()["$defs"]["selector"]
    assert set(selector["properties"]) == set(matrix.SELECTOR_KEYS)
    assert set(selector["required"]) == set(matrix.SELECTOR_REQUIRED)


def test_schema_pick_pattern_matches_the_validator() -> None:
    pattern = re.compile(schema()["$defs"]["selector"]["properties"]["pick"]["pattern"])
    for pick in (*PICKS, "newest-3", "newest-12"):
        assert pattern.search(pick), pick
    for pick in ("newest-0", "newest", "latest-per-patch", "newest-N"):
        assert not pattern.search(pick), pick


def test_schema_agrees_with_the_validator_on_examples() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    validator.check_schema(schema())
    assert not list(validator.iter_errors(yaml.safe_load(VALID)))
    assert not list(validator.iter_errors(yaml.safe_load(MINIMAL)))
    assert not list(validator.iter_errors(yaml.safe_load(SELECTING)))
    for text in (
        edited(("  jobs:", "  parallel:")),
        edited(('  python: ["3.9", "3.11"', '  python: [3.9, "3.11"')),
        edited(('  - {python: "3.11"', "  - {python: 3.11")),
        edited(('  install: ".[test]"', '  install: ".[test] && sh"')),
        edited(('  PyYAML: [">=6,<7"]', "  PyYAML: []")),
        commented(10),
        selecting(("pick: all}", "pick: every}")),
        selecting(('{range: ">=4.2,<6", pick', '{rnage: ">=4.2,<6", pick')),
        selecting(("retries: 0", "retries: -1")),
        selecting(("index: https://pypi.example/simple/", "index: pypi.example")),
    ):
        assert list(validator.iter_errors(yaml.safe_load(text))), text


# --- Test-only needs in the project section ----------------------------------------------

PROJECT_NEEDS = """\
name: needs
project:
  path: app
  deps: ["pytest>=8", "mock"]
  requirements: [requirements-dev.txt]
  env: {SETUPTOOLS_SCM_PRETEND_VERSION: 1.2, CI: true}
  system_packages: [gcc, libffi-dev]
axes: {python: ["3.11"]}
"""


def test_project_needs_load(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements-dev.txt").write_text("hypothesis\n")
    path = tmp_path / "m.yaml"
    path.write_text(PROJECT_NEEDS)
    project = load_matrix(path).project
    assert project.deps == ("pytest>=8", "mock")
    assert project.requirements == ("requirements-dev.txt",)
    assert project.env == {"SETUPTOOLS_SCM_PRETEND_VERSION": "1.2", "CI": "true"}
    assert project.system_packages == ("gcc", "libffi-dev")


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "requirements-dev.txt]",
            "missing.txt]",
            "5 project.requirements",
            "missing.txt not found",
        ),
        ("CI: true", "1CI: true", "6 project.env.1CI", "'1CI' is not an environment variable name"),
        ("gcc,", "'gcc; rm -rf /',", "7 project.system_packages[0]", "is not a Debian package"),
        ('"mock"', '"mock @ http://x/y.whl"', "4 project.deps[1]", "is a URL requirement"),
    ],
)
def test_project_needs_mistakes(tmp_path: Path, old: str, new: str, where: str, message: str):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements-dev.txt").write_text("hypothesis\n")
    path = tmp_path / "m.yaml"
    path.write_text(PROJECT_NEEDS.replace(old, new))
    line, key = where.split(" ", 1)
    text = str(error(path))
    assert text.startswith(f"{path}:{line}: {key}: "), text
    assert message in text


# --- Where things were written -------------------------------------------------------------


def test_lines_of_axis_values_and_entries(tmp_path: Path) -> None:
    lines = load_matrix(write(tmp_path, VALID)).lines
    assert lines["axes"] == 9
    assert (lines["axes.click"], lines["axes.click[1]"], lines["axes.pyyaml[0]"]) == (11, 11, 12)
    assert (lines["baseline.click"], lines["include[0].click"], lines["exclude[0]"]) == (8, 17, 15)
    assert lines["constraints[1]"] == 13


@pytest.mark.parametrize("name", ["pyhton", "pyton", "pythn", "ptyhon", "Pyhton", "pythons"])
def test_an_axis_close_to_python_is_a_typo(tmp_path: Path, name: str) -> None:
    text = edited(("  PyYAML:", f"  {name}:"))
    err = error(write(tmp_path, text))
    assert str(err).endswith(f":12: axes.{name}: unknown key {name!r} (did you mean 'python'?)")


@pytest.mark.parametrize("name", ["cython", "jython", "pytest", "pyjson", "typing"])
def test_real_distributions_near_python_stay_axes(name: str) -> None:
    assert not matrix.near_python(name)
