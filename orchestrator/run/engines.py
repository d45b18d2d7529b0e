"""Several Docker engines for one run (``--engine URL``, repeatable): the cells are spread
over them, and each engine builds what its cells need (bases, cell images) itself.

An engine is named as DOCKER_HOST names one: ``unix:///path/docker.sock``,
``tcp://host:2376`` (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS), ``ssh://user@host``.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import docker

from orchestrator.build import engine
from orchestrator.errors import ConfigError
from orchestrator.models import Cell

SCHEMES = ("unix", "tcp", "http", "https", "ssh", "npipe")


@dataclass(frozen=True)
class Engine:
    """One engine of the run: its URL (None: DOCKER_HOST or the local socket) and client."""

    url: str | None
    client: docker.DockerClient

    @property
    def name(self) -> str:
        return self.url or os.environ.get("DOCKER_HOST") or "the local engine"

    @property
    def env(self) -> dict[str, str]:
        """What a process talking to this engine needs in its environment."""
        return {"DOCKER_HOST": self.url} if self.url else {}


def check_url(text: str) -> str:
    """``text`` if it names an engine the way DOCKER_HOST does; else a ConfigError."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in SCHEMES or not (parts.netloc or parts.path) or not text.isprintable():
        raise ConfigError(
            f"--engine {text[:100]!r}: expected an engine URL as DOCKER_HOST takes it, "
            "e.g. unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host"
        )
    return text


def connect_all(urls: Sequence[str]) -> tuple[Engine, ...]:
    """A checked connection to each engine (one, the default, when none is named)."""
    if not urls:
        return (Engine(None, engine.connect()),)
    return tuple(Engine(url, engine.connect(host=url)) for url in dict.fromkeys(urls))


def assign(cells: Sequence[Cell], count: int) -> list[list[Cell]]:
    """``cells`` spread over ``count`` engines, in plan order on each. Cells of one
    interpreter stay together where that still balances the load (each engine builds the
    bases of its cells); with fewer interpreters than engines, they are split evenly."""
    count = max(1, min(count, len(cells))) if cells else 1
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.python, []).append(cell)
    shares: list[list[Cell]] = [[] for _ in range(count)]
    if len(groups) >= count:
        for group in sorted(groups.values(), key=len, reverse=True):
            min(shares, key=len).extend(group)
    else:
        ordered = [cell for group in groups.values() for cell in group]
        size, extra = divmod(len(ordered), count)
        start = 0
        for i in range(count):
            end = start + size + (1 if i < extra else 0)
            shares[i] = ordered[start:end]
            start = end
    order = {cell.id: i for i, cell in enumerate(cells)}
    return [sorted(share, key=lambda c: order[c.id]) for share in shares]
