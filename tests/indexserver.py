"""A real package index for tests: PEP 691 JSON documents served over HTTP on 127.0.0.1.

``IndexServer`` runs ``http.server`` in a thread on an ephemeral port. It answers
``GET /simple/<name>/`` with a JSON document and an ETag, ``304 Not Modified`` when the
request's If-None-Match matches, 404 for unknown names, and records every request so
tests can assert what the client asked (and what its cache spared).

``SAMPLE`` is a small index shaped like the real one where it matters: click's
Requires-Python boundary (8.1.8 needs >=3.7, 8.2.x needs >=3.10), a Django history with
a yanked release, a pre-release and unparseable file names, a distribution that ships
only a CPython 3.13 wheel, pytest for constraints, and ``garbage``, whose answer is not
JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON = "application/vnd.pypi.simple.v1+json"
CP313_ONLY = "cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64"
MALFORMED = b"<this is not JSON>"


def wheel(
    name: str,
    version: str,
    tag: str = "py3-none-any",
    requires_python: str | None = None,
    yanked: bool | str = False,
) -> dict[str, Any]:
    """A ``files`` entry for a wheel (``tag`` is python-abi-platform)."""
    return _file(f"{name}-{version}-{tag}.whl", requires_python, yanked)


def sdist(
    name: str, version: str, requires_python: str | None = None, yanked: bool | str = False
) -> dict[str, Any]:
    """A ``files`` entry for an sdist."""
    return _file(f"{name}-{version}.tar.gz", requires_python, yanked)


def release(
    name: str, version: str, requires_python: str | None = None, yanked: bool | str = False
) -> list[dict[str, Any]]:
    """A pure-Python release: a universal wheel and an sdist."""
    return [
        wheel(name, version, requires_python=requires_python, yanked=yanked),
        sdist(name, version, requires_python=requires_python, yanked=yanked),
    ]


def _file(filename: str, requires_python: str | None, yanked: bool | str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": filename,
        "url": f"../../files/{filename}",
        "hashes": {"sha256": hashlib.sha256(filename.encode()).hexdigest()},
        "yanked": yanked,
    }
    if requires_python is not None:
        entry["requires-python"] = requires_python
    return entry


def _django() -> list[dict[str, Any]]:
    files = []
    for version in ("4.1", "4.1.13", "4.2", "4.2.15", "4.2.16"):
        files += release("Django", version, ">=3.8")
    for version in ("5.0", "5.0.8", "5.0.9", "5.1", "5.1.2"):
        files += release("Django", version, ">=3.10")
    files += release("Django", "5.1.3", ">=3.10", yanked="security regression")
    files += release("Django", "5.2a1", ">=3.10")
    files += release("Django", "6.0", ">=3.12")
    # What real indexes also list, and selectors must skip: an egg, a name without a version.
    files += [_file(name, None, False) for name in ("Django-1.0-py2.5.egg", "django-latest.tar.gz")]
    return files


SAMPLE: dict[str, list[dict[str, Any]]] = {
    "click": [
        *release("click", "7.1.2", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"),
        *release("click", "8.1.7", ">=3.7"),
        *release("click", "8.1.8", ">=3.7"),
        *release("click", "8.2.0", ">=3.10"),
        *release("click", "8.2.1", ">=3.10"),
    ],
    "django": _django(),
    # Only a compiled wheel for CPython 3.13 and no sdist: installable nowhere else.
    "speedups": [wheel("speedups", "1.0", CP313_ONLY)],
    "pytest": release("pytest", "8.3.5", ">=3.8"),
}


@dataclass(frozen=True)
class Seen:
    """One request the server answered."""

    path: str
    status: int
    if_none_match: str | None


class IndexServer:
    """A running index: ``with IndexServer() as index: ... index.url ...``."""

    def __init__(
        self,
        projects: Mapping[str, Sequence[Mapping[str, Any]]] = SAMPLE,
        host: str = "127.0.0.1",
        files: Mapping[str, bytes] | None = None,
    ) -> None:
        """``files`` are served at ``/files/<name>`` (real wheels, for pip in a build);
        ``host`` is where to listen (a Docker bridge's address reaches builds)."""
        self._projects = {name: list(files) for name, files in projects.items()}
        self._files = dict(files or {})
        self._lock = threading.Lock()
        self.seen: list[Seen] = []
        self.host = host
        self._http = ThreadingHTTPServer((host, 0), _Handler)
        self._http.index = self  # type: ignore[attr-defined]  # how handlers find us
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._http.server_port}/simple/"

    def __enter__(self) -> IndexServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def requests(self, name: str | None = None) -> list[Seen]:
        """The requests answered so far, or those for distribution ``name``."""
        with self._lock:
            return [s for s in self.seen if name is None or s.path == f"/simple/{name}/"]

    def publish(self, name: str, files: Sequence[Mapping[str, Any]]) -> None:
        """Replace a distribution's files (its ETag changes with them)."""
        with self._lock:
            self._projects[name] = list(files)

    def answer(self, path: str, if_none_match: str | None) -> tuple[int, str, bytes, str | None]:
        """(status, content type, body, ETag) for a GET of ``path``."""
        name = path.removeprefix("/simple/").strip("/")
        with self._lock:
            files = self._projects.get(name)
            served = self._files.get(path.removeprefix("/files/"))
        if path.startswith("/files/") and served is not None:
            return 200, "application/octet-stream", served, None
        if name == "garbage":
            return 200, JSON, MALFORMED, None
        if files is None or not path.startswith("/simple/"):
            return 404, "text/plain", b"not found", None
        body = json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": files}).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if if_none_match == etag:
            return 304, JSON, b"", etag
        return 200, JSON, body, etag

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


class _Handler(BaseHTTPRequestHandler):
    """Answers GETs from the IndexServer's documents."""

    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        # uv asks HEAD of a wheel (for range requests) before it downloads it.
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        index: IndexServer = self.server.index  # type: ignore[attr-defined]
        tag = self.headers.get("If-None-Match")
        status, kind, body, etag = index.answer(self.path, tag)
        index.record(Seen(self.path, status, tag))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean
