"""The terminal table prints values from project files as text: markup and control
characters cannot reach the terminal."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

from rich.console import Console

from orchestrator.assess.advisories import NoSource
from orchestrator.assess.assessment import build
from orchestrator.assess.projectfiles import Declared, Facts, Pinned, PythonMention
from orchestrator.assess.show import print_assessment, to_json


def test_hostile_values_print_as_text(tmp_path: Path):
    facts = Facts(
        root=tmp_path,
        name="[bold red]evil[/]\x1b[2J",
        declared=(Declared("click", ">=7", "runtime", "requirements.txt [link=http://x]"),),
        pins={"click": Pinned("click", "7.1.2", "lock\x1b]8;;http://x\x07file")},
        pythons=(PythonMention("3.9", ".python-version"),),
    )
    found = build(
        facts, {}, NoSource(), family="debian", today=datetime.date(2026, 11, 26), problems={}
    )
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, markup=False, emoji=False, color_system=None)
    print_assessment(console, found)
    text = buffer.getvalue()
    assert "[bold red]evil[/]" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "unknown" in text  # no advisory source: said plainly
    assert json.loads(to_json(found))["name"] == "[bold red]evil[/]\x1b[2J"  # JSON keeps data
