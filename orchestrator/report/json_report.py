"""The JSON report: the verdict and the per-test outcome matrix, for other tools.

Its shape is documented by ``orchestrator/resources/verdict.schema.json``
(schema ``oxzep7.verdict/1``); fields are only ever added within a schema version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from orchestrator.verdict.judge import Verdict

SCHEMA_FILE = "resources/verdict.schema.json"


def render(results: Mapping[str, Any], verdict: Verdict) -> str:
    """The verdict as indented JSON text (``results`` is not needed: the verdict holds
    everything, including the per-test matrix)."""
    return json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the report follows."""
    text = resources.files("orchestrator").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)
