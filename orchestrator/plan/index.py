"""A client for a package index's JSON simple API (PEP 691), with an on-disk cache.

Selectors and pruning need to know which releases of a distribution exist, which are
yanked, what each file's Requires-Python is and which wheels it ships. That is exactly
what ``GET <index>/<name>/`` with ``Accept: application/vnd.pypi.simple.v1+json`` says.

Caching (one JSON file per index and distribution under ``~/.cache/oxzep7/index/``):
within ``FRESHNESS`` seconds (10 minutes) of the last answer a cached entry is used
without any request; after that the index is asked again with ``If-None-Match`` and a
``304 Not Modified`` reuses the entry. ``offline=True`` uses the cache alone, whatever
its age. Only the standard library talks HTTP (urllib honours the proxy variables); TLS
trusts the host's CA bundle, as builds do, so a TLS-intercepting proxy works.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import http.client
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.utils import (
    canonicalize_name,
)

from orchestrator import __version__, environment, storage
from orchestrator.errors import ConfigError, PackageIndexError
from orchestrator.plan.releases import File, Project, Release, parse_project

__all__ = ["File", "IndexClient", "Project", "Release", "choose_url", "parse_project"]

DEFAULT_URL = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
FRESHNESS = 600.0  # seconds a cached answer is used without asking the index again
# Seconds the index may take to accept a connection or to send the next bytes: an index
# that never answers is reported after this long, not after a minute.
TIMEOUT = 10.0
DEADLINE = 120.0  # seconds one answer may take in all (an index that sends a byte a second)
MAX_BODY = 64 << 20  # bytes of one answer; the largest projects on PyPI need a few MiB
WORKERS = 8  # distributions fetched at once


# --- The client --------------------------------------------------------------------------


class IndexClient:
    """Fetches distributions' file lists from one index, through the on-disk cache."""

    timeout = TIMEOUT  # limits, per client (a test sets them on an instance)
    deadline = DEADLINE
    workers = WORKERS

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        cache_dir: Path | str | None = None,
        offline: bool = False,
        freshness: float = FRESHNESS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.url, self._auth = _split_credentials(url.rstrip("/") + "/")
        self.offline = offline
        self.freshness = freshness
        # One folder per index: two indexes may list different files for one name.
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir(env)
        self.cache_dir = root / hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self._opener = _opener(self.url, env)

    def offline_copy(self) -> IndexClient:
        """The same index and cache, never asking the network (for replays)."""
        replay = copy.copy(self)
        replay.offline = True
        return replay

    def project(self, name: str) -> Project:
        """One distribution's releases (see ``projects``)."""
        return self.projects([name])[canonicalize_name(name)]

    def projects(self, names: Iterable[str]) -> dict[str, Project]:
        """The releases of each distribution, keyed by normalized name, fetched at once.

        Raises PackageIndexError naming every distribution that failed, grouped by
        problem: offline and not cached, unknown to the index, unreachable index, or a
        malformed answer.
        """
        wanted = list(dict.fromkeys(str(canonicalize_name(name)) for name in names))
        if self.offline:
            return self._from_cache_only(wanted)
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(wanted)))) as pool:
            outcomes = dict(zip(wanted, pool.map(self._outcome, wanted), strict=True))
        failed = {name: o.problem for name, o in outcomes.items() if isinstance(o, _Failed)}
        if failed:  # every failure at once: fixing them one run at a time would be tedious
            raise PackageIndexError(_grouped(failed))
        return {name: o for name, o in outcomes.items() if isinstance(o, Project)}

    def _from_cache_only(self, names: list[str]) -> dict[str, Project]:
        entries = {name: self._cached(name) for name in names}
        found = {name: entry for name, entry in entries.items() if entry is not None}
        missing = {name: "not in the index cache" for name in names if name not in found}
        if missing:
            raise PackageIndexError(
                f"offline: {_grouped(missing)} (cache: {self.cache_dir}); "
                "run once with network access to fill it"
            )
        return {name: parse_project(name, entry["document"]) for name, entry in found.items()}

    def _outcome(self, name: str) -> Project | _Failed:
        try:
            return self._fetch(name)
        except _Failed as failure:
            return failure

    def _fetch(self, name: str) -> Project:
        """A fresh cache entry, or the index's answer (a 304 renews the cached one)."""
        cached = self._cached(name)
        if cached is not None and time.time() - cached["fetched_at"] < self.freshness:
            return parse_project(name, cached["document"])
        etag = cached.get("etag") if cached else None
        document, etag = self._request(name, etag, cached)
        self._store(name, {"etag": etag, "fetched_at": time.time(), "document": document})
        return parse_project(name, document)

    def _request(
        self, name: str, etag: str | None, cached: dict[str, Any] | None
    ) -> tuple[Any, str | None]:
        """The JSON document for ``name`` and its ETag; raises _Failed saying what went wrong."""
        headers = {"Accept": ACCEPT, "User-Agent": f"oxzep7/{__version__}", **self._auth}
        if etag and cached is not None:
            headers["If-None-Match"] = etag
        request = urllib.request.Request(self.url + urllib.parse.quote(name) + "/", headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = self._body(response)
                kind, etag = response.headers.get_content_type(), response.headers.get("ETag")
        except urllib.error.HTTPError as answer:
            if answer.code == 304 and cached is not None:
                return cached["document"], etag
            raise _Failed(self._http_problem(answer)) from None
        except (urllib.error.URLError, OSError) as exc:  # refused, DNS, TLS, timeout
            raise _Failed(f"{UNREACHABLE} {self.url} ({self._reason(exc)})") from None
        except http.client.HTTPException as exc:  # a malformed status line or headers
            problem = type(exc).__name__
            raise _Failed(f"malformed answer from the index {self.url} ({problem})") from None
        return self._decode(name, body, kind), etag

    def _body(self, response: http.client.HTTPResponse) -> bytes:
        """The answer's bytes, at most MAX_BODY of them and within ``deadline`` seconds."""
        chunks: list[bytes] = []
        size, deadline = 0, time.monotonic() + self.deadline
        while chunk := response.read(1 << 16):
            size += len(chunk)
            if size > MAX_BODY:
                raise _Failed(f"the index {self.url} sent more than {MAX_BODY >> 20} MiB")
            if time.monotonic() > deadline:
                raise _Failed(f"the index {self.url} took more than {self.deadline:g} s to answer")
            chunks.append(chunk)
        return b"".join(chunks)

    def _reason(self, exc: Exception) -> str:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or str(reason) == "timed out":
            return f"no answer within {self.timeout:g} s"
        return _reason(exc)

    def _decode(self, name: str, body: bytes, kind: str) -> Any:
        """The JSON document of a 200 answer; what came instead raises _Failed."""
        where = f"the index {self.url}"
        if kind.endswith("html"):  # a PEP 503-only index, or a login page
            raise _Failed(f"{where} answered with HTML, not the JSON simple API (PEP 691)")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise _Failed(f"malformed answer from {where} (not JSON)") from None
        meta = document.get("meta") if isinstance(document, dict) else None
        version = meta.get("api-version", "1.0") if isinstance(meta, dict) else "1.0"
        if not isinstance(version, str) or not version.startswith("1."):
            raise _Failed(f"malformed answer from {where} (simple API version {version!r})")
        try:
            parse_project(name, document)  # fail now, before a bad answer is cached
        except PackageIndexError:
            raise _Failed(f"malformed answer from {where} (no 'files' list)") from None
        return document

    def _http_problem(self, answer: urllib.error.HTTPError) -> str:
        if answer.code == 404:
            return f"no such package on the index {self.url} (HTTP 404)"
        return f"the index {self.url} answered HTTP {answer.code} {answer.reason}"

    # The cache: one JSON file per distribution, written atomically.

    def _path(self, name: str) -> Path:
        return self.cache_dir / f"{name}.json"

    def _cached(self, name: str) -> dict[str, Any] | None:
        """The cache entry for ``name``; an unreadable or damaged one counts as absent."""
        try:
            entry = json.loads(self._path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("fetched_at"), (int, float)):
            return None
        return entry if "document" in entry else None

    def _store(self, name: str, entry: dict[str, Any]) -> None:
        """Write the entry atomically; a cache that cannot be written only costs speed."""
        try:
            storage.write_text(self._path(name), json.dumps(entry))
        except OSError:
            return


class _Failed(Exception):
    """Why one distribution could not be fetched; ``projects`` groups these into one error."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


UNREACHABLE = "cannot reach the index"


def _grouped(failed: Mapping[str, str]) -> str:
    """One clause per distinct problem, naming its distributions: "problem: a, b; other: c"."""
    names: dict[str, list[str]] = {}
    for name, problem in failed.items():
        names.setdefault(problem, []).append(name)
    text = "; ".join(f"{problem}: {', '.join(group)}" for problem, group in names.items())
    if any(problem.startswith(UNREACHABLE) for problem in names):
        text += " (--offline plans from the cache, --no-index from exact pins alone)"
    return text


def _reason(exc: Exception) -> str:
    """The short reason ("Connection refused"), not urllib's "<urlopen error [Errno 111] ...>"."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/oxzep7/index``, by default ``~/.cache/oxzep7/index``."""
    return storage.cache_dir(env) / "index"


def choose_url(
    cli: str | None = None, matrix: str | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Which index to ask: ``--index-url``, else the matrix's ``index``, else
    ``PIP_INDEX_URL`` (what the builds' pip will use), else PyPI.

    Raises ConfigError naming the option or variable when the URL chosen is not one.
    """
    env = os.environ if env is None else env
    given = (("--index-url", cli), ("index", matrix), ("PIP_INDEX_URL", env.get("PIP_INDEX_URL")))
    for where, url in given:
        if url:
            problem = url_problem(url)
            if problem is not None:
                raise ConfigError(problem, key=where)
            return url
    return DEFAULT_URL


def url_problem(text: str) -> str | None:
    """Why ``text`` cannot be an index URL (http or https, with a host), or None."""
    shown = text if len(text) <= 100 else text[:97] + "..."
    problem = f"expected an http(s) URL with a host, like 'https://pypi.org/simple/', got {shown!r}"
    if len(text) > 2000 or not text.isprintable() or any(char.isspace() for char in text):
        return problem
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # a port that is not a number, or out of range, raises
    except ValueError:
        return problem
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem
    return None


# --- HTTP plumbing -----------------------------------------------------------------------


def _opener(url: str, env: Mapping[str, str]) -> urllib.request.OpenerDirector:
    """urllib trusting the host CA bundle (for TLS-intercepting proxies) and using the
    proxy that ``env`` names for the index's host, unless NO_PROXY exempts it."""
    bundle = environment.host_ca_bundle(env)
    context = ssl.create_default_context(cafile=str(bundle) if bundle else None)
    https = urllib.request.HTTPSHandler(context=context)
    return urllib.request.build_opener(urllib.request.ProxyHandler(_proxies(url, env)), https)


def _proxies(url: str, env: Mapping[str, str]) -> dict[str, str]:
    """The proxies from ``env`` (as urllib reads them from os.environ, but from the
    mapping given, so a client's environment is explicit)."""
    found = {
        scheme: value
        for scheme in ("http", "https")
        if (value := env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY"))
    }
    exempt = env.get("no_proxy") or env.get("NO_PROXY")
    host = urllib.parse.urlsplit(url).hostname or ""
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if exempt and bypass(host, {"no": exempt}):
        return {}
    return found


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without ``user:password@`` and the Basic auth header it stood for, so
    credentials reach neither error messages nor cache paths."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # IPv6 literals keep their brackets
    netloc = f"{host}:{parts.port}" if parts.port else host
    secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    header = {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), header
