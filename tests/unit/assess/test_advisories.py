"""Advisory sources: an offline PyPA advisory-database directory (real records), PyPI's
JSON API (a local stand-in that answers like pypi.org does here), and none."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from orchestrator.assess.advisories import (
    AFFECTED,
    CLEAR,
    UNKNOWN,
    NoSource,
    OfflineDatabase,
    PyPIJson,
    affecting,
    source_for,
)
from tests.unit.assess.conftest import ADVISORIES


@pytest.mark.parametrize(
    ("version", "ids"),
    [
        ("2.25.1", ["PYSEC-2023-74"]),  # 2.3.0 <= v < 2.31.0
        ("2.19.1", ["PYSEC-2018-28", "PYSEC-2023-74"]),
        ("2.2.1", ["PYSEC-2018-28"]),  # before 2.3.0: only the older one
        ("2.31.0", []),
        ("2.32.5", []),
    ],
)
def test_real_requests_advisories(version: str, ids: list[str]):
    check = OfflineDatabase(ADVISORIES).check("Requests", version)
    assert [a.id for a in check.advisories] == ids
    assert check.status == (AFFECTED if ids else CLEAR)


def test_an_affected_release_names_the_fix_and_aliases():
    check = OfflineDatabase(ADVISORIES).check("requests", "2.25.1")
    (advisory,) = check.advisories
    assert advisory.fixed_in == ("2.31.0",)
    assert "CVE-2023-32681" in advisory.aliases
    assert advisory.link.endswith("GHSA-j8r2-6x86-q33q")


def test_a_package_without_records_is_none_known_never_no_vulnerabilities():
    check = OfflineDatabase(ADVISORIES).check("click", "7.1.2")
    assert check.status == CLEAR
    assert check.words.startswith("none known (advisory directory")


def test_nothing_answers_unknown():
    check = NoSource().check("requests", "2.25.1")
    assert check.status == UNKNOWN
    assert check.words == "unknown"


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "PYSEC-TEST-1",
        "affected": [
            {
                "package": {"name": "demo", "ecosystem": "PyPI"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "1.0"}, {"last_affected": "1.4"}],
                    }
                ],
            }
        ],
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("version", "hit"), [("0.9", False), ("1.0", True), ("1.4", True), ("1.4.1", False)]
)
def test_last_affected_is_included(version: str, hit: bool):
    assert (affecting(_record(), "demo", version) is not None) is hit


def test_withdrawn_records_and_other_ecosystems_do_not_count():
    assert affecting(_record(withdrawn="2024-01-01T00:00:00Z"), "demo", "1.2") is None
    other = _record()
    other["affected"][0]["package"]["ecosystem"] = "npm"
    assert affecting(other, "demo", "1.2") is None


def test_damaged_records_are_skipped_and_named(tmp_path: Path):
    folder = tmp_path / "vulns" / "demo"
    folder.mkdir(parents=True)
    (folder / "PYSEC-1.yaml").write_text("id: [unclosed")
    (folder / "PYSEC-2.json").write_text(json.dumps(_record()))
    database = OfflineDatabase(tmp_path)
    assert [a.id for a in database.check("demo", "1.1").advisories] == ["PYSEC-TEST-1"]
    assert any("PYSEC-1.yaml" in problem for problem in database.problems)


# --- PyPI's JSON API, as it answers on this network: per-release 404, latest only -------


class _PyPI(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, Any]] = {
        "/pypi/requests/json": {
            "info": {"version": "2.32.5"},
            "vulnerabilities": [],
        },
        "/pypi/jinja2/json": {
            "info": {"version": "3.1.4"},
            "vulnerabilities": [
                {
                    "id": "GHSA-q2x7-8rv6-6q7h",
                    "aliases": ["CVE-2024-56201"],
                    "summary": "Jinja has a sandbox breakout",
                    "fixed_in": ["3.1.5"],
                    "link": "https://osv.dev/vulnerability/GHSA-q2x7-8rv6-6q7h",
                    "withdrawn": None,
                }
            ],
        },
    }

    def do_GET(self) -> None:
        document = self.documents.get(self.path)
        body = json.dumps(document).encode() if document else b"not found"
        self.send_response(200 if document else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pypi() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PyPI)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/simple/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_pypi_json_answers_for_the_latest_release_only(pypi: str):
    source = PyPIJson(pypi)
    latest = source.check("requests", "2.32.5")
    assert latest.status == CLEAR
    assert "latest release only" in latest.note
    older = source.check("requests", "2.25.1")
    assert older.status == UNKNOWN
    assert "latest release only" in older.note and "--advisories DIR" in older.note


def test_pypi_json_vulnerabilities_of_the_latest(pypi: str):
    check = PyPIJson(pypi).check("Jinja2", "3.1.4")
    assert check.status == AFFECTED
    assert check.advisories[0].fixed_in == ("3.1.5",)


def test_unreachable_pypi_is_unknown():
    check = PyPIJson("http://127.0.0.1:9/simple/").check("requests", "2.25.1")
    assert check.status == UNKNOWN
    assert "cannot reach" in check.note


def test_source_choice():
    assert isinstance(source_for(ADVISORIES, None, online=True), OfflineDatabase)
    assert isinstance(source_for(None, "https://pypi.org/simple/", online=True), PyPIJson)
    assert isinstance(source_for(None, "https://pypi.org/simple/", online=False), NoSource)
