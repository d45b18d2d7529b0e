"""What a package index lists for a distribution, parsed from its PEP 691 JSON answer:
releases, their files, each file's wheel tags, Requires-Python and yanked state.

Pure: ``index.IndexClient`` fetches and caches the documents; this reads them, skipping
what it cannot read (eggs, installers, names that do not parse, absurdly long ones)
rather than failing on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from orchestrator.errors import PackageIndexError

MAX_FILENAME = 300  # longer file names are skipped: no wheel or sdist is named so
_SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass(frozen=True)
class File:
    """One file of a release: a wheel (with its tags) or an sdist (``tags`` is None)."""

    filename: str
    tags: frozenset[Tag] | None
    requires_python: str | None = None
    yanked: bool = False
    upload_time: str | None = None  # PEP 700 (API 1.1) ISO 8601, e.g. 2026-11-06T17:37:01Z

    @property
    def is_sdist(self) -> bool:
        return self.tags is None


@dataclass(frozen=True)
class Release:
    """One version of a distribution and its files."""

    version: str  # as packaging normalizes it, e.g. "8.2.1"
    files: tuple[File, ...]

    @property
    def yanked(self) -> bool:
        """PEP 592: a release is yanked when all of its files are."""
        return all(file.yanked for file in self.files)

    @property
    def installable_files(self) -> tuple[File, ...]:
        """What pip would consider for an exact pin: the files not yanked, or, for a
        yanked release (which a pin still installs), all of them."""
        kept = tuple(file for file in self.files if not file.yanked)
        return kept or self.files

    @property
    def uploaded(self) -> str:
        """The day its first file was uploaded (``2022-03-28``), "" when unknown."""
        days = sorted(f.upload_time[:10] for f in self.files if f.upload_time)
        return days[0] if days else ""


@dataclass(frozen=True)
class Project:
    """Everything the index lists for one distribution, releases oldest first."""

    name: str  # PEP 503 normalized
    releases: tuple[Release, ...]

    def release(self, version: str | Version) -> Release | None:
        """The release equal to ``version`` under PEP 440 ("8.1" finds "8.1.0")."""
        try:
            wanted = Version(str(version))
        except InvalidVersion:  # '===' pins arbitrary text, which no parsed release equals
            return None
        return next((r for r in self.releases if Version(r.version) == wanted), None)

    @property
    def versions(self) -> tuple[str, ...]:
        """Versions selectors may choose: every release that is not yanked."""
        return tuple(r.version for r in self.releases if not r.yanked)


def parse_project(name: str, document: Any) -> Project:
    """A Project from a PEP 691 JSON document; files whose names do not parse are skipped."""
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        raise PackageIndexError(f"malformed index answer for {name!r} (no 'files' list)")
    by_version: dict[Version, list[File]] = {}
    for entry in files:
        parsed = _file(entry)
        if parsed is not None:
            by_version.setdefault(parsed[0], []).append(parsed[1])
    releases = tuple(Release(str(v), tuple(by_version[v])) for v in sorted(by_version))
    return Project(canonicalize_name(name), releases)


def _file(entry: Any) -> tuple[Version, File] | None:
    """The version and File of one ``files`` entry, or None when it is not a wheel or
    sdist we can read (eggs, .exe installers, names that do not parse)."""
    filename = entry.get("filename") if isinstance(entry, dict) else None
    if not isinstance(filename, str) or len(filename) > MAX_FILENAME:
        return None
    try:
        if filename.endswith(".whl"):
            _, version, _, tags = parse_wheel_filename(filename)
        elif filename.endswith(_SDIST_SUFFIXES):
            (_, version), tags = parse_sdist_filename(filename), None
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    requires = entry.get("requires-python")
    if isinstance(requires, str) and len(requires) > MAX_FILENAME:
        requires = None  # like an invalid Requires-Python: restricts nothing
    return version, File(
        filename=filename,
        tags=tags,
        requires_python=requires if isinstance(requires, str) and requires.strip() else None,
        yanked=bool(entry.get("yanked", False)),  # true or a reason string (PEP 691)
        upload_time=_upload_time(entry.get("upload-time")),
    )


def _upload_time(value: object) -> str | None:
    """PEP 700's ``upload-time`` (for how old a release is), when it looks like one."""
    if isinstance(value, str) and 10 <= len(value) <= 40 and value[:4].isdigit():
        return value
    return None
