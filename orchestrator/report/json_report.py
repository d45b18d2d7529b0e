"""The JSON report: the verdict and the per-test outcome matrix, for other tools.

Its shape is documented by ``orchestrator/resources/verdict.schema.json``
(schema ``oxzep7.verdict/1``); fields are only ever added within a schema version.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from orchestrator.report import Results
from orchestrator.verdict import Verdict

SCHEMA_FILE = "resources/verdict.schema.json"
# JSON escapes C0 controls itself; DEL and C1 controls it may leave raw, and a
# terminal reads C1 (0x9b is CSI) as escape sequences: write them as \u escapes too.
_RAW_CONTROL = re.compile("[\x7f-\x9f]")


def render(results: Results, verdict: Verdict) -> str:
    """The verdict as indented JSON text (``results`` is not needed: the verdict holds
    everything, including the per-test matrix). No control character is left raw."""
    text = json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return _RAW_CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the report follows."""
    text = resources.files("orchestrator").joinpath(SCHEMA_FILE).read_text("utf-8")
    found: dict[str, Any] = json.loads(text)
    return found
