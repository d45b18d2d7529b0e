"""selectors.select: each pick strategy over a fixed list of versions."""

from __future__ import annotations

import pytest

from orchestrator.plan.selectors import BadPick, Selector, check_pick, select

# Unsorted on purpose, with a pre-release, a dev release and a non-PEP 440 string.
VERSIONS = [
    "5.0.9",
    "4.2",
    "4.2.16",
    "4.1.13",
    "5.1.2",
    "5.0",
    "6.0a1",
    "5.1.dev1",
    "not-a-version",
    "4.2.15",
    "3.2.25",
]


@pytest.mark.parametrize(
    ("pick", "expected"),
    [
        ("all", ["4.2", "4.2.15", "4.2.16", "5.0", "5.0.9", "5.1.2"]),
        ("latest", ["5.1.2"]),
        ("lowest", ["4.2"]),
        ("latest-per-minor", ["4.2.16", "5.0.9", "5.1.2"]),
        ("latest-per-major", ["4.2.16", "5.1.2"]),
        ("newest-3", ["5.0", "5.0.9", "5.1.2"]),
        ("newest-1", ["5.1.2"]),
        ("newest-50", ["4.2", "4.2.15", "4.2.16", "5.0", "5.0.9", "5.1.2"]),
    ],
)
def test_picks_within_a_range(pick: str, expected: list[str]) -> None:
    assert select(Selector(pick, ">=4.2,<7"), VERSIONS) == expected


def test_no_range_means_every_version() -> None:
    assert select(Selector("latest-per-major"), VERSIONS) == ["3.2.25", "4.2.16", "5.1.2"]


def test_prereleases_only_when_asked() -> None:
    with_pre = Selector("latest-per-minor", ">=5", prereleases=True)
    assert select(with_pre, VERSIONS) == ["5.0.9", "5.1.2", "6.0a1"]
    assert select(Selector("latest", ">=5.1", prereleases=True), VERSIONS) == ["6.0a1"]
    assert select(Selector("latest", ">=5.1"), VERSIONS) == ["5.1.2"]


def test_range_written_like_an_axis_value() -> None:
    assert select(Selector("all", "4.2.*"), VERSIONS) == ["4.2", "4.2.15", "4.2.16"]
    assert select(Selector("all", "5.0"), VERSIONS) == ["5.0"]


def test_versions_are_returned_as_written() -> None:
    assert select(Selector("all", ">=3.9"), ["3.13", "3.9", "3.11"]) == ["3.9", "3.11", "3.13"]


def test_a_release_without_minor_belongs_to_minor_zero() -> None:
    assert select(Selector("latest-per-minor"), ["5", "5.0.1", "5.1"]) == ["5.0.1", "5.1"]


def test_nothing_in_range_selects_nothing() -> None:
    assert select(Selector("latest", ">=9"), VERSIONS) == []
    assert select(Selector("all"), []) == []


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        ("newest", "unknown pick 'newest'"),
        ("latest-per-patch", "unknown pick 'latest-per-patch'"),
        ("newest-0", "'newest-0' selects nothing; use newest-1 or more"),
    ],
)
def test_bad_picks(pick: str, message: str) -> None:
    with pytest.raises(BadPick, match=message):
        check_pick(pick)
    with pytest.raises(BadPick):
        select(Selector(pick), VERSIONS)


def test_bad_range() -> None:
    with pytest.raises(BadPick, match="is neither a version nor a specifier set"):
        select(Selector("all", "four"), VERSIONS)


def test_str_is_for_people() -> None:
    assert str(Selector("latest-per-minor", ">=4.2,<6")) == "latest-per-minor of >=4.2,<6"
    assert str(Selector("all", prereleases=True)) == "all (pre-releases too)"
