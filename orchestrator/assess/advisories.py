"""Known vulnerabilities of one release, from a source that can answer, or "unknown".

Sources:

- an offline directory in the PyPA advisory-database layout (``vulns/<package>/*.yaml``,
  OSV records; the ``vulns`` level may be omitted, ``.json`` records are read too), for
  networks without outside access: a release is affected when a record lists it in
  ``affected[].versions`` or an ``ECOSYSTEM`` range of ``affected[].ranges`` covers it
  (``introduced`` / ``fixed`` / ``last_affected`` events); withdrawn records are ignored;
- PyPI's JSON API: ``/pypi/NAME/VERSION/json`` when it answers (it does not on every
  network), else ``/pypi/NAME/json``, whose ``vulnerabilities`` are those of the latest
  release only: any other release stays unknown, and the note says why.

A check never says "no vulnerabilities": it says which source answered and that it
knows of none (``clear``), or that nothing could answer (``unknown``).
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from orchestrator import __version__, environment

MAX_RECORD_BYTES = 1 << 20
TIMEOUT = 20.0

LATEST_ONLY = (
    "PyPI's JSON API lists the vulnerabilities of each package's latest release only, and "
    "its per-release endpoint does not answer here; for older releases give --advisories DIR"
)

Status = Literal["affected", "clear", "unknown"]
AFFECTED: Status = "affected"
CLEAR: Status = "clear"
UNKNOWN: Status = "unknown"


@dataclass(frozen=True)
class Advisory:
    """One advisory that affects a release."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    fixed_in: tuple[str, ...] = ()
    link: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "fixed_in": list(self.fixed_in),
            "link": self.link,
        }


@dataclass(frozen=True)
class Check:
    """What a source says about one release."""

    name: str
    version: str
    status: Status
    source: str  # which source answered, or why none did
    advisories: tuple[Advisory, ...] = ()
    note: str = ""

    @property
    def words(self) -> str:
        """How reports say it: never "no vulnerabilities", only what is known."""
        if self.status == AFFECTED:
            return ", ".join(a.id for a in self.advisories)
        if self.status == CLEAR:
            return f"none known ({self.source})"
        return "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "status": self.status,
            "source": self.source,
            "advisories": [a.to_dict() for a in self.advisories],
            "note": self.note,
        }


class Source(Protocol):
    description: str

    def check(self, name: str, version: str) -> Check: ...


# --- nothing -----------------------------------------------------------------------------


class NoSource:
    """No advisory source: every answer is "unknown"."""

    def __init__(self, why: str = "no advisory source (give --advisories DIR)") -> None:
        self.description = why

    def check(self, name: str, version: str) -> Check:
        return Check(canonicalize_name(name), version, UNKNOWN, self.description)


# --- an offline advisory-database directory ---------------------------------------------


class OfflineDatabase:
    """A directory in the PyPA advisory-database layout, read once per package."""

    def __init__(self, root: Path) -> None:
        self.root = root
        base = root / "vulns" if (root / "vulns").is_dir() else root
        self.description = f"advisory directory {root}"
        self.problems: list[str] = []
        self._folders: dict[str, Path] = {}
        try:
            for folder in base.iterdir():
                if folder.is_dir():
                    self._folders[canonicalize_name(folder.name)] = folder
        except OSError as exc:
            self.problems.append(f"{base}: cannot list it: {exc.strerror or exc}")
        self._records: dict[str, list[dict[str, Any]]] = {}

    def check(self, name: str, version: str) -> Check:
        key = canonicalize_name(name)
        found = tuple(
            advisory
            for record in self._records_of(key)
            if (advisory := affecting(record, key, version)) is not None
        )
        return Check(key, version, AFFECTED if found else CLEAR, self.description, found)

    def _records_of(self, key: str) -> list[dict[str, Any]]:
        if key not in self._records:
            folder = self._folders.get(key)
            self._records[key] = list(self._read(folder)) if folder else []
        return self._records[key]

    def _read(self, folder: Path) -> Iterator[dict[str, Any]]:
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
                continue
            try:
                with path.open("rb") as handle:
                    data = handle.read(MAX_RECORD_BYTES + 1)
                if len(data) > MAX_RECORD_BYTES:
                    raise ValueError("too large")
                text = data.decode("utf-8")
                record = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                self.problems.append(f"{path}: not an OSV record ({str(exc).splitlines()[0]})")
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                yield record
            else:
                self.problems.append(f"{path}: not an OSV record (no id)")


def affecting(record: Mapping[str, Any], name: str, version: str) -> Advisory | None:
    """The advisory ``record`` (OSV) describes, if it affects ``name`` ``version``."""
    if record.get("withdrawn"):
        return None
    try:
        wanted: Version | None = Version(version)
    except InvalidVersion:
        wanted = None
    fixed: list[str] = []
    hit = False
    for affected in _dicts(record.get("affected")):
        package = affected.get("package")
        if not isinstance(package, dict):
            continue
        if str(package.get("ecosystem", "")).lower() != "pypi":
            continue
        if canonicalize_name(str(package.get("name", ""))) != name:
            continue
        listed = [str(v) for v in affected.get("versions") or () if isinstance(v, (str, int))]
        if version in listed or (wanted is not None and wanted in _parsed(listed)):
            hit = True
        for range_ in _dicts(affected.get("ranges")):
            if range_.get("type") != "ECOSYSTEM":
                continue
            events = list(_dicts(range_.get("events")))
            fixed += [str(e["fixed"]) for e in events if "fixed" in e]
            if wanted is not None and _in_range(wanted, events):
                hit = True
    if not hit:
        return None
    return Advisory(
        id=str(record["id"]),
        aliases=tuple(str(a) for a in record.get("aliases") or () if isinstance(a, str)),
        summary=_summary(record),
        fixed_in=tuple(dict.fromkeys(fixed)),
        link=_link(record),
    )


def _in_range(version: Version, events: list[dict[str, Any]]) -> bool:
    """OSV's ECOSYSTEM range semantics, events sorted by version: affected from an
    ``introduced`` up to (not including) a ``fixed``, or up to and including a
    ``last_affected``."""
    keyed: list[tuple[Version, int, str]] = []
    order = {"introduced": 0, "fixed": 1, "last_affected": 2}
    for event in events:
        for kind, rank in order.items():
            if kind in event:
                text = str(event[kind])
                try:
                    at = Version("0") if text == "0" else Version(text)
                except InvalidVersion:
                    continue
                keyed.append((at, rank, kind))
    affected = False
    for at, _, kind in sorted(keyed):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def _parsed(texts: Iterable[str]) -> set[Version]:
    found = set()
    for text in texts:
        try:
            found.add(Version(text))
        except InvalidVersion:
            continue
    return found


def _summary(record: Mapping[str, Any]) -> str:
    for key in ("summary", "details"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            first = value.strip().splitlines()[0]
            return first if len(first) <= 160 else first[:159] + "…"
    return ""


def _link(record: Mapping[str, Any]) -> str:
    references = list(_dicts(record.get("references")))
    for kind in ("ADVISORY", "WEB", "FIX"):
        for reference in references:
            if reference.get("type") == kind and isinstance(reference.get("url"), str):
                return str(reference["url"])
    return ""


def _dicts(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


# --- PyPI's JSON API ---------------------------------------------------------------------


@dataclass
class PyPIJson:
    """PyPI's JSON API next to a simple index (``.../simple/`` -> ``.../pypi/``)."""

    index_url: str
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    timeout: float = TIMEOUT

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.index_url.rstrip("/") + "/")
        path = parts.path[: -len("simple/")] if parts.path.endswith("/simple/") else "/"
        self.base = urllib.parse.urlunsplit(parts._replace(path=path + "pypi/"))
        self.description = f"PyPI JSON API {self.base}"
        bundle = environment.host_ca_bundle(self.env)
        context = ssl.create_default_context(cafile=str(bundle) if bundle else None)
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._latest: dict[str, tuple[str, Any] | str] = {}
        self._unreachable = ""  # set at the first connection failure: no more waiting

    def check(self, name: str, version: str) -> Check:
        key = canonicalize_name(name)
        document = self._get(f"{key}/{version}/json")
        if isinstance(document, dict) and isinstance(document.get("vulnerabilities"), list):
            return self._answer(key, version, document["vulnerabilities"], "")
        latest = self._latest_of(key)
        if isinstance(latest, str):  # why it could not answer
            return Check(key, version, UNKNOWN, self.description, note=latest)
        latest_version, vulnerabilities = latest
        if _same(latest_version, version):
            note = "PyPI's JSON API answers for the latest release only; this is it"
            return self._answer(key, version, vulnerabilities, note)
        return Check(key, version, UNKNOWN, self.description, note=LATEST_ONLY)

    def _answer(self, key: str, version: str, entries: object, note: str) -> Check:
        found = tuple(
            _pypi_advisory(entry) for entry in _dicts(entries) if not entry.get("withdrawn")
        )
        status = AFFECTED if found else CLEAR
        return Check(key, version, status, self.description, found, note)

    def _latest_of(self, key: str) -> tuple[str, Any] | str:
        if key not in self._latest:
            document = self._get(f"{key}/json")
            if isinstance(document, str):
                self._latest[key] = document
            else:
                info = document.get("info") if isinstance(document, dict) else None
                latest = info.get("version") if isinstance(info, dict) else None
                vulns = document.get("vulnerabilities") if isinstance(document, dict) else None
                if isinstance(latest, str) and isinstance(vulns, list):
                    self._latest[key] = (latest, vulns)
                else:
                    self._latest[key] = "PyPI's JSON answer has no vulnerabilities field"
        return self._latest[key]

    def _get(self, path: str) -> Any:
        """The JSON document at ``base + path``, or a string saying why there is none."""
        if self._unreachable:
            return self._unreachable
        request = urllib.request.Request(
            self.base + path,
            headers={"Accept": "application/json", "User-Agent": f"oxzep7/{__version__}"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read(32 << 20))
        except urllib.error.HTTPError as exc:
            return f"{self.base + path} answered HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            self._unreachable = f"cannot reach {self.base} ({reason})"
            return self._unreachable
        except ValueError:
            return f"{self.base + path} did not answer JSON"


def _pypi_advisory(entry: Mapping[str, Any]) -> Advisory:
    fixed = entry.get("fixed_in")
    return Advisory(
        id=str(entry.get("id", "?")),
        aliases=tuple(str(a) for a in entry.get("aliases") or () if isinstance(a, str)),
        summary=_summary(entry),
        fixed_in=tuple(str(v) for v in fixed if isinstance(v, str))
        if isinstance(fixed, list)
        else (),
        link=str(entry.get("link") or ""),
    )


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def source_for(directory: Path | None, index_url: str | None, *, online: bool) -> Source:
    """The advisory source a command line asks for: a directory, else PyPI's JSON API
    next to the index (when online), else none."""
    if directory is not None:
        return OfflineDatabase(directory)
    if online and index_url:
        return PyPIJson(index_url)
    return NoSource()
