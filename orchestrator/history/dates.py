"""Upload dates of releases, from the package index the run's plan was resolved on
(PEP 700 ``upload-time``; the index client's cache spares repeated questions)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from orchestrator.errors import PackageIndexError
from orchestrator.history.diff import Lookup
from orchestrator.plan.index import IndexClient


def from_index(url: str, *, offline: bool = False) -> Lookup:
    """A lookup of (distribution, version) -> upload time on the index at ``url``;
    ``offline`` answers from the index cache alone (reports never ask the network)."""
    client = IndexClient(url, offline=offline)

    def lookup(wanted: Collection[tuple[str, str]]) -> Mapping[tuple[str, str], str]:
        names = sorted({name for name, _ in wanted})
        try:
            projects = client.projects(names)
        except PackageIndexError:  # one unknown name (the project itself) spoils the batch
            projects = {}
            for name in names:
                try:
                    projects.update(client.projects([name]))
                except PackageIndexError:
                    continue
        found = {}
        for name, version in wanted:
            project = projects.get(name)
            release = project.release(version) if project else None
            if release is not None and release.uploaded:
                found[(name, version)] = release.uploaded
        return found

    return lookup


def short(stamp: str | None) -> str:
    """``2025-05-20`` from ``2025-05-20T17:39:10.123Z``; "" when unknown."""
    return (stamp or "")[:10]
