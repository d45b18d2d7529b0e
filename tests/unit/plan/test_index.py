"""The PEP 691 client against a real HTTP index on 127.0.0.1 (tests/indexserver.py):
parsing, the on-disk cache with ETag revalidation, offline use, and every failure as a
one-line PackageIndexError (exit code 6) naming the distribution."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import EXIT_INDEX, PackageIndexError
from orchestrator.plan import index
from orchestrator.plan.index import IndexClient, parse_project
from tests.indexserver import CP313_ONLY, SAMPLE, IndexServer, release, wheel


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with IndexServer() as running:
        yield running


def client(server: IndexServer, tmp_path: Path, **options: Any) -> IndexClient:
    """A client of ``server`` with its cache in tmp_path and no proxy settings."""
    return IndexClient(server.url, cache_dir=tmp_path / "cache", env={}, **options)


def failure(call: Callable[..., object], *args: object) -> str:
    """The one-line message of the PackageIndexError that ``call(*args)`` raises."""
    with pytest.raises(PackageIndexError) as caught:
        call(*args)
    assert caught.value.exit_code == EXIT_INDEX == 6
    assert "\n" not in str(caught.value)
    return str(caught.value)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- What the index says -------------------------------------------------------------------


def test_releases_files_and_metadata(server: IndexServer, tmp_path: Path) -> None:
    click = client(server, tmp_path).project("Click")
    assert click.name == "click"
    assert [r.version for r in click.releases] == ["7.1.2", "8.1.7", "8.1.8", "8.2.0", "8.2.1"]
    newest = click.releases[-1]
    assert [f.filename for f in newest.files] == [
        "click-8.2.1-py3-none-any.whl",
        "click-8.2.1.tar.gz",
    ]
    assert {f.requires_python for f in newest.files} == {">=3.10"}
    assert [f.is_sdist for f in newest.files] == [False, True]


def test_yanked_pre_releases_and_unparseable_files(server: IndexServer, tmp_path: Path) -> None:
    django = client(server, tmp_path).project("django")
    by_version = {r.version: r for r in django.releases}
    assert by_version["5.1.3"].yanked
    assert "5.1.3" not in django.versions  # selectors never see it ...
    assert django.release("5.1.3") is by_version["5.1.3"]  # ... a pin still finds it
    assert "5.2a1" in django.versions  # pre-releases are the selectors' business
    assert "1.0" not in by_version  # the egg is skipped, as is "django-latest.tar.gz"
    assert django.release("4.2.0") is by_version["4.2"]  # PEP 440 equality


def test_wheel_tags_are_parsed(server: IndexServer, tmp_path: Path) -> None:
    (only,) = client(server, tmp_path).project("speedups").releases[0].files
    assert only.filename == f"speedups-1.0-{CP313_ONLY}.whl"
    assert {str(tag) for tag in only.tags or ()} == {
        "cp313-cp313-manylinux_2_17_x86_64",
        "cp313-cp313-manylinux2014_x86_64",
    }


def test_a_release_is_yanked_only_when_all_its_files_are() -> None:
    files = [wheel("x", "1.0", yanked=True), *release("x", "1.0")[1:]]
    (one,) = parse_project("x", {"files": files}).releases
    assert not one.yanked
    assert [f.filename for f in one.installable_files] == ["x-1.0.tar.gz"]


def test_many_distributions_at_once(server: IndexServer, tmp_path: Path) -> None:
    found = client(server, tmp_path).projects(["click", "Django", "pytest", "speedups", "click"])
    assert sorted(found) == ["click", "django", "pytest", "speedups"]
    assert len(server.requests()) == 4  # the duplicate is asked once


# --- The cache -----------------------------------------------------------------------------


def test_fresh_cache_entries_need_no_request(server: IndexServer, tmp_path: Path) -> None:
    client(server, tmp_path).project("click")
    again = client(server, tmp_path).project("click")  # a new client: only the disk is shared
    assert [s.status for s in server.requests("click")] == [200]
    assert again.releases[-1].version == "8.2.1"


def test_stale_entries_are_revalidated_with_their_etag(server: IndexServer, tmp_path: Path) -> None:
    client(server, tmp_path).project("click")
    stale = client(server, tmp_path, freshness=0)
    assert stale.project("click").releases[-1].version == "8.2.1"
    first, second = server.requests("click")
    assert (first.status, first.if_none_match) == (200, None)
    assert second.status == 304 and second.if_none_match
    entry = json.loads(next((tmp_path / "cache").glob("*/click.json")).read_text())
    assert entry["etag"] == second.if_none_match


def test_a_changed_document_replaces_the_cached_one(server: IndexServer, tmp_path: Path) -> None:
    client(server, tmp_path).project("click")
    server.publish("click", [*SAMPLE["click"], *release("click", "8.3.0", ">=3.10")])
    assert client(server, tmp_path, freshness=0).project("click").releases[-1].version == "8.3.0"
    assert [s.status for s in server.requests("click")] == [200, 200]
    assert client(server, tmp_path).project("click").releases[-1].version == "8.3.0"


def test_offline_uses_the_cache_whatever_its_age(server: IndexServer, tmp_path: Path) -> None:
    online = client(server, tmp_path).projects(["click", "django"])
    offline = client(server, tmp_path, offline=True, freshness=0).projects(["click", "django"])
    assert offline == online
    assert len(server.requests()) == 2


def test_offline_with_a_cold_cache_names_every_missing_package(
    server: IndexServer, tmp_path: Path
) -> None:
    client(server, tmp_path).project("click")
    cold = client(server, tmp_path, offline=True)
    message = failure(cold.projects, ["click", "django", "pytest"])
    assert message.startswith("offline: not in the index cache: django, pytest (cache: ")
    assert message.endswith("run once with network access to fill it")
    assert len(server.requests()) == 1


def test_a_damaged_cache_entry_is_fetched_again(server: IndexServer, tmp_path: Path) -> None:
    client(server, tmp_path).project("click")
    next((tmp_path / "cache").glob("*/click.json")).write_text("{truncated")
    assert client(server, tmp_path).project("click").name == "click"
    assert [s.status for s in server.requests("click")] == [200, 200]


def test_each_index_has_its_own_cache(server: IndexServer, tmp_path: Path) -> None:
    client(server, tmp_path).project("click")
    with IndexServer() as other:
        IndexClient(other.url, cache_dir=tmp_path / "cache", env={}).project("click")
        assert len(other.requests()) == 1
    assert len(list((tmp_path / "cache").iterdir())) == 2


# --- Failures ------------------------------------------------------------------------------


def test_unknown_package(server: IndexServer, tmp_path: Path) -> None:
    message = failure(client(server, tmp_path).project, "no-such-thing")
    assert message == f"no such package on the index {server.url} (HTTP 404): no-such-thing"


def test_malformed_answer_is_not_cached(server: IndexServer, tmp_path: Path) -> None:
    message = failure(client(server, tmp_path).project, "garbage")
    assert message == f"malformed answer from the index {server.url} (not JSON): garbage"
    assert not list((tmp_path / "cache").glob("*/garbage.json"))


def test_every_failure_is_named_at_once(server: IndexServer, tmp_path: Path) -> None:
    message = failure(client(server, tmp_path).projects, ["nope", "click", "garbage", "nada"])
    assert message == (
        f"no such package on the index {server.url} (HTTP 404): nope, nada; "
        f"malformed answer from the index {server.url} (not JSON): garbage"
    )


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"meta": {"api-version": "2.0"}, "files": []}, "simple API version '2.0'"),
        ({"meta": {"api-version": "1.1"}, "name": "x"}, "no 'files' list"),
        (["not", "a", "mapping"], "no 'files' list"),
    ],
)
def test_json_of_the_wrong_shape(
    server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document, problem
) -> None:
    body = json.dumps(document).encode()
    monkeypatch.setattr(server, "answer", lambda path, tag: (200, "application/json", body, None))
    message = failure(client(server, tmp_path).project, "x")
    assert message == f"malformed answer from the index {server.url} ({problem}): x"


def test_an_html_only_index_is_explained(
    server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "answer", lambda path, tag: (200, "text/html", b"<a>", None))
    message = failure(client(server, tmp_path).project, "click")
    assert "answered with HTML, not the JSON simple API (PEP 691): click" in message


def test_connection_refused(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/simple/"
    refused = IndexClient(url, cache_dir=tmp_path, env={})
    message = failure(refused.projects, ["click", "django"])
    assert message == (
        f"cannot reach the index {url} (Connection refused): click, django"
        " (--offline plans from the cache, --no-index from exact pins alone)"
    )


# --- Settings ------------------------------------------------------------------------------


def test_which_index() -> None:
    env = {"PIP_INDEX_URL": "https://mirror.example/simple"}
    assert index.choose_url("https://cli.example/", "https://matrix.example/", env) == (
        "https://cli.example/"
    )
    assert index.choose_url(None, "https://matrix.example/", env) == "https://matrix.example/"
    assert index.choose_url(None, None, env) == "https://mirror.example/simple"
    assert index.choose_url(None, None, {}) == "https://pypi.org/simple/"


def test_default_cache_dir(tmp_path: Path) -> None:
    assert index.default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "oxzep7" / "index"
    )
    assert index.default_cache_dir({}) == Path.home() / ".cache" / "oxzep7" / "index"


def test_credentials_leave_the_url(server: IndexServer, tmp_path: Path) -> None:
    url = server.url.replace("http://", "http://me:s%40cret@")
    with_login = IndexClient(url, cache_dir=tmp_path, env={})
    assert with_login.url == server.url  # so messages and cache paths never show them
    with_login.project("click")
    assert server.requests("click")


def test_proxies_come_from_the_given_environment() -> None:
    env = {"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "internal.example"}
    assert index._proxies("https://pypi.org/simple/", env) == {"https": "http://proxy:3128"}
    assert index._proxies("https://internal.example/simple/", env) == {}
    assert index._proxies("https://pypi.org/simple/", {}) == {}


@pytest.mark.network
def test_real_pypi(tmp_path: Path) -> None:
    """The real PyPI, through whatever TLS interception the host has (its CA bundle)."""
    try:
        iniconfig = IndexClient(cache_dir=tmp_path).project("iniconfig")
    except PackageIndexError as exc:
        if "cannot reach the index" in str(exc):
            pytest.skip(f"PyPI is not reachable: {exc}")
        raise
    assert "2.0.0" in iniconfig.versions
    files = {f.filename for f in iniconfig.release("2.0.0").files}
    assert "iniconfig-2.0.0-py3-none-any.whl" in files
