"""`oxzep7 assess` on three real projects (uv.lock, poetry.lock, Pipfile.lock, as
published) against the real PyPI: each field checked against the project's own files
and against what PyPI says."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.conftest import oxzep7
from tests.unit.assess.conftest import ADVISORIES, PIPENV, POETRY, UV

pytestmark = pytest.mark.network


def assessed(path: Path, *options: str) -> dict[str, Any]:
    done = oxzep7("assess", str(path), "--json", *options, env={**os.environ})
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def deps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in data["dependencies"]}


def check_against_index(dep: dict[str, Any]) -> None:
    assert dep["problem"] == ""
    latest, base = Version(dep["latest"]), Version(dep["baseline"])
    assert latest >= Version(dep["latest_allowed"]) or dep["latest_allowed"] is None
    assert dep["outdated"] == (latest > base)
    assert dep["majors_behind"] == latest.major - base.major
    assert dep["baseline_released"] <= dep["latest_released"]
    if dep["outdated"]:
        assert dep["releases_behind"] >= 1 and dep["days_behind"] >= 0


def test_uv_project():
    found = deps(assessed(UV))
    assert {n: d["in_use"] for n, d in found.items()} == {
        "diskcache": "5.6.3",
        "requests": "2.32.5",
        "xmltodict": "1.0.2",
    }
    for dep in found.values():
        assert dep["in_use_source"] == "uv.lock"
        check_against_index(dep)
    assert found["diskcache"]["baseline_released"] == "2023-08-31"  # uv.lock's upload-time
    assert found["requests"]["baseline_released"] == "2025-08-18"


def test_poetry_project_with_offline_advisories():
    data = assessed(POETRY, "--advisories", str(ADVISORIES))
    found = deps(data)
    requests = found["requests"]
    assert (requests["in_use"], requests["in_use_source"]) == ("2.25.1", "poetry.lock")
    assert requests["declared"] == "<3.0.0,>=2.25.1"
    assert Version(requests["latest_allowed"]) < Version("3")
    check_against_index(requests)
    assert requests["baseline_released"] == "2020-12-16"
    vulns = requests["vulnerabilities"]
    assert vulns["status"] == "affected"
    assert [a["id"] for a in vulns["advisories"]] == ["PYSEC-2023-74"]
    assert data["python"]["in_use"] == "3.9"


def test_pipenv_project_and_pypi_json_latest_only():
    data = assessed(PIPENV)
    found = deps(data)
    django = found["django"]
    assert (django["in_use"], django["in_use_source"]) == ("3.0.4", "Pipfile.lock")
    check_against_index(django)
    assert django["majors_behind"] >= 2
    # Python 3.8 is in use (Pipfile); Django 5.0 was the first release to require 3.10.
    drops = {d["python"]: d for d in django["python_drops"]}
    assert Version(drops["3.8"]["release"]) >= Version("5.0")
    # PyPI's JSON API answers for the latest release only: an old pin is unknown.
    assert django["vulnerabilities"]["status"] == "unknown"
    assert "latest release only" in django["vulnerabilities"]["note"]
    assert data["python"]["in_use"] == "3.8" and data["python"]["supported"] is False
    assert data["python"]["baseline"] == "3.9"  # the debian family's nearest
