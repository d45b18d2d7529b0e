"""A base session's record of the base: the run's bases phase writes it when it builds the
base, and the cells' own base sessions, which then find the base, leave it as it is."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

from orchestrator.build import bases
from orchestrator.models import Cell
from orchestrator.run import rundir, sessions
from tests.unit.run.test_cache import make_plan

CELL = Cell("py3.11-click7.1.2", "3.11", {"click": "7.1.2"}, baseline=True)


def run_base_session(monkeypatch, run_path, built: bool) -> dict:
    plan = replace(make_plan(run_path.parent), cells=(CELL,))
    context = sessions.Context(plan, run_path, existing=True)
    base = bases.BaseImage("3.11", "oxzep7/base:py3.11-x", "sha256:x", built)
    monkeypatch.setattr(sessions, "_connect_and_base", lambda *args, **kwargs: (None, base))
    session = SimpleNamespace(log=lambda _: None, error=lambda message: None)
    sessions._base_session(context, "3.11")(session)  # type: ignore[arg-type]
    return json.loads(rundir.RunDir(run_path).base_done("3.11").read_text())


def test_a_base_found_later_in_the_run_keeps_the_record_of_its_build(monkeypatch, tmp_path):
    run_path = tmp_path / "run"
    assert run_base_session(monkeypatch, run_path, built=True)["built"] is True
    assert run_base_session(monkeypatch, run_path, built=False)["built"] is True


def test_a_base_found_at_once_is_recorded_as_reused(monkeypatch, tmp_path):
    assert run_base_session(monkeypatch, tmp_path / "run", built=False)["built"] is False
