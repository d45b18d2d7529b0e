"""A diff between two runs as a report section: lines for the terminal, Markdown, an HTML
fragment and JSON data (``report.render`` adds it to each format). Every value from the
runs goes through :func:`orchestrator.sanitize.clean` (and HTML escaping)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from orchestrator.history.dates import short
from orchestrator.history.diff import RunDiff
from orchestrator.models import state_word
from orchestrator.sanitize import clean

TITLE = "Since the previous run"


@dataclass(frozen=True)
class DiffSection:
    """The ``diff`` section of every report."""

    diff: RunDiff
    key: str = "diff"

    @property
    def title(self) -> str:
        return f"{TITLE} ({clean(self.diff.before)} -> {clean(self.diff.after)})"

    def groups(self) -> list[tuple[str, list[str]]]:
        """(heading, items) for each kind of change that has any."""
        d = self.diff
        groups = [
            ("Cells whose status changed", [_status(c) for c in d.statuses]),
            (
                "Tests that newly fail",
                [f"{t.cell}: {test}" for t in d.tests for test in t.newly_failing],
            ),
            (
                "Tests that newly pass",
                [f"{t.cell}: {test}" for t in d.tests for test in t.newly_passing],
            ),
            ("Resolved versions that changed", [_version(v) for v in d.versions]),
            (
                "New upstream releases (through selectors)",
                [f"{r.axis} {r.version}{_uploaded(r.uploaded)}" for r in d.releases],
            ),
        ]
        return [(title, [clean(i) for i in items]) for title, items in groups if items]

    def text(self) -> list[str]:
        lines = [self.title + ":"]
        for title, items in self.groups():
            lines.append(f"  {title}:")
            lines += [f"    {item}" for item in items]
        if self.diff.empty:
            lines.append("  nothing changed")
        lines += [f"  ({clean(note)})" for note in self.diff.notes]
        news = self.diff.news()
        if news:
            lines.append(f"  worse than the previous run: {len(news)}")
        return lines

    def markdown(self) -> str:
        out = [f"## {_md(self.title)}", ""]
        for title, items in self.groups():
            out += [f"**{title}**", "", *(f"- {_md(item)}" for item in items), ""]
        if self.diff.empty:
            out += ["Nothing changed.", ""]
        out += [f"_{_md(clean(note))}_" for note in self.diff.notes]
        return "\n".join(out).rstrip() + "\n"

    def html(self) -> str:
        out = [f'<section id="diff"><h2>{html.escape(self.title)}</h2>']
        for title, items in self.groups():
            out.append(f"<h3>{html.escape(title)}</h3><ul>")
            out += [f"<li>{html.escape(item)}</li>" for item in items]
            out.append("</ul>")
        if self.diff.empty:
            out.append("<p>Nothing changed.</p>")
        out += [f"<p><em>{html.escape(clean(note))}</em></p>" for note in self.diff.notes]
        out.append("</section>")
        return "\n".join(out) + "\n"

    def data(self) -> dict[str, Any]:
        return self.diff.to_dict()


def _status(change: Any) -> str:
    return f"{change.label}: {state_word(change.before)} -> {state_word(change.after)}"


def _version(change: Any) -> str:
    before = change.before or "(not installed)"
    after = change.after or "(not installed)"
    return f"{change.cell}: {change.package} {before} -> {after}{_uploaded(change.uploaded)}"


def _uploaded(stamp: str | None) -> str:
    return f" (uploaded {short(stamp)})" if stamp else ""


def _md(text: str) -> str:
    """Markdown with its markup characters escaped."""
    for char in "\\`*_[]<#|":
        text = text.replace(char, "\\" + char)
    return text
