"""Failure clusters: a cell's failing tests grouped by *signature*, the exception type
and message with their volatile parts (numbers, hex addresses, temporary paths,
object reprs, long quoted values) made uniform, so 140 tests broken by one removed
keyword argument are one line, not 140. The same signature in several cells is one
**cause**, shown once with the cells it appears in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.models import Failure

UNKNOWN = "(no failure message recorded)"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[^<>]*? (?:object )?at 0x[0-9a-fA-F]+>"), "<…>"),  # <Foo object at 0x7f..>
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
    (re.compile(r"(?:/private)?/(?:tmp|var/folders|var/tmp)/[^\s'\",:)\]]*"), "<tmp>"),
    (re.compile(r"[A-Za-z]:\\[^\s'\",:)\]]*\\Temp\\[^\s'\",:)\]]*"), "<tmp>"),
    (re.compile(r"'[^'\n]{41,}'|\"[^\"\n]{41,}\""), "'…'"),  # long quoted reprs
    (re.compile(r"\b[0-9a-f]{12,}\b"), "…"),  # ids, hashes
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.])"), "N"),  # numbers (and 1.2.3)
    (re.compile(r"\s+"), " "),
)


def normalise(text: str) -> str:
    """``text`` with what varies from test to test made uniform."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


def signature(failure: Failure | None) -> str:
    """``TypeError: ... unexpected keyword argument 'method_whitelist'``: a failure's
    type and normalised message; UNKNOWN without one."""
    if failure is None or not (failure.type or failure.message):
        return UNKNOWN
    head = ": ".join(p for p in (failure.type, normalise(failure.message)) if p)
    return head[:300]


@dataclass(frozen=True)
class Cluster:
    """Failing tests of one cell that share a signature (``tests`` in report order)."""

    signature: str
    where: str  # file:line it is raised from (of the first test that says), or ""
    tests: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature, "where": self.where, "tests": list(self.tests)}


def cell_clusters(
    failing: Sequence[str], failures: Mapping[str, Failure], log_failure: Failure | None = None
) -> tuple[Cluster, ...]:
    """A cell's failing tests by signature, largest cluster first; a cell that failed
    without per-test data but with an exception in its log gets one cluster of no test."""
    groups: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for test in failing:
        failure = failures.get(test)
        key = signature(failure)
        groups.setdefault(key, []).append(test)
        if failure is not None and failure.where and not where.get(key):
            where[key] = failure.where
    found = [Cluster(key, where.get(key, ""), tuple(tests)) for key, tests in groups.items()]
    if not failing and log_failure is not None:
        found.append(Cluster(signature(log_failure), log_failure.where, ()))
    return tuple(sorted(found, key=lambda c: -len(c.tests)))


@dataclass(frozen=True)
class Cause:
    """One signature across cells: where it appears (cell -> its tests there), the
    distinct tests it fails, and whether it fails in the baseline too."""

    signature: str
    where: str
    cells: tuple[str, ...]  # highest first
    tests: tuple[str, ...]  # distinct, first-seen order
    per_cell: Mapping[str, int]  # cell -> how many of its failing tests have it
    in_baseline: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "where": self.where,
            "cells": list(self.cells),
            "tests": list(self.tests),
            "per_cell": dict(self.per_cell),
            "in_baseline": self.in_baseline,
        }


def causes(cells: Iterable[tuple[str, bool, Sequence[Cluster]]]) -> tuple[Cause, ...]:
    """The causes across ``cells`` ((id, is baseline, clusters), highest first): new
    causes (not failing the baseline) first, then by how many tests they fail."""
    tests: dict[str, dict[str, None]] = {}
    per_cell: dict[str, dict[str, int]] = {}
    where: dict[str, str] = {}
    baseline: set[str] = set()
    for cell_id, is_baseline, clusters in cells:
        for cluster in clusters:
            key = cluster.signature
            tests.setdefault(key, {}).update(dict.fromkeys(cluster.tests))
            per_cell.setdefault(key, {})[cell_id] = len(cluster.tests)
            where[key] = where.get(key) or cluster.where
            if is_baseline:
                baseline.add(key)
    found = [
        Cause(
            key, where[key], tuple(per_cell[key]), tuple(tests[key]), per_cell[key], key in baseline
        )
        for key in tests
    ]
    return tuple(sorted(found, key=lambda c: (c.in_baseline, -len(c.tests), -len(c.cells))))
