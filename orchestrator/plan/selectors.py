"""Version selectors: "the newest patch of each minor line in >=4.2,<6" instead of pins.

A matrix axis may hold a ``Selector`` instead of (or next to) exact versions. It names a
range and a pick strategy; ``select`` applies it to the versions that exist. This module
is pure: the caller supplies the candidates (releases from the package index with yanked
ones already left out, or the interpreters an image family provides).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from orchestrator.plan import versions

# The fixed pick strategies; "newest-N" (N >= 1) is the one with a parameter.
PICKS = ("latest", "lowest", "latest-per-minor", "latest-per-major", "all")
NEWEST = "newest-N"
_NEWEST = re.compile(r"newest-(\d{1,6})")


class BadPick(ValueError):
    """A selector ``select`` cannot apply: a bad pick or a range that is not one."""


class UnknownPick(BadPick):
    """A pick that is neither one of PICKS nor of the form newest-N."""


@dataclass(frozen=True)
class Selector:
    """Which versions an axis takes: those in ``range`` (a PEP 440 specifier set, "" for
    any), thinned out by ``pick``; pre-releases only when ``prereleases`` is true."""

    pick: str
    range: str = ""
    prereleases: bool = False

    def __str__(self) -> str:
        """A one-line form for plans and messages, e.g. ``latest-per-minor of >=4.2,<6``."""
        scope = f" of {self.range}" if self.range else ""
        pre = " (pre-releases too)" if self.prereleases else ""
        return f"{self.pick}{scope}{pre}"


def check_pick(pick: str) -> None:
    """Raise BadPick unless ``pick`` is a strategy ``select`` knows."""
    if pick in PICKS:
        return
    match = _NEWEST.fullmatch(pick)
    if match is None:
        raise UnknownPick(f"unknown pick {pick!r}")
    if int(match.group(1)) < 1:
        raise BadPick(f"{pick!r} selects nothing; use newest-1 or more")


def select(selector: Selector, versions: Iterable[str]) -> list[str]:
    """The versions ``selector`` takes from ``versions``, oldest first, as written there.

    Strings that are not PEP 440 versions are skipped; yanked releases must already be
    left out by the caller (selectors never choose them).
    """
    check_pick(selector.pick)
    in_range = sorted(_candidates(selector, versions))
    return [text for _, text in _PICKERS.get(selector.pick, _newest)(selector.pick, in_range)]


_Candidate = tuple[Version, str]


def _candidates(selector: Selector, versions: Iterable[str]) -> Iterable[_Candidate]:
    spec = _specifier(selector.range)
    for text in versions:
        version = _version(text)
        if version is None or (version.is_prerelease and not selector.prereleases):
            continue
        # prereleases=True: whether pre-releases count was decided just above.
        if spec.contains(version, prereleases=True):
            yield version, text


def _specifier(text: str) -> SpecifierSet:
    """The range as a specifier set; written like an axis value ("5.*", ">=4.2,<6")."""
    if not text:
        return SpecifierSet()
    try:
        return versions.specifier(text)
    except versions.BadValue as exc:
        raise BadPick(str(exc)) from None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


_Picker = Callable[[str, list[_Candidate]], list[_Candidate]]


def _newest_per(key: Callable[[Version], tuple[int, ...]]) -> _Picker:
    """A picker keeping the newest candidate of each line (minor or major)."""

    def pick(_: str, ordered: list[_Candidate]) -> list[_Candidate]:
        newest: dict[tuple[int, ...], _Candidate] = {}
        for candidate in ordered:  # ascending, so the last one of each line wins
            newest[key(candidate[0])] = candidate
        return list(newest.values())

    return pick


def _newest(pick: str, ordered: list[_Candidate]) -> list[_Candidate]:
    count = int(pick.rsplit("-", 1)[1])
    return ordered[-count:]


_PICKERS: dict[str, _Picker] = {
    "latest": lambda _, ordered: ordered[-1:],
    "lowest": lambda _, ordered: ordered[:1],
    "all": lambda _, ordered: ordered,
    # (release + (0, 0))[:2]: "5" belongs to the 5.0 line.
    "latest-per-minor": _newest_per(lambda v: (*v.release, 0, 0)[:2]),
    "latest-per-major": _newest_per(lambda v: v.release[:1]),
}
