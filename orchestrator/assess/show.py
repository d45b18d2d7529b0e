"""An assessment as people read it (a rich table and a few lines) or as JSON.

Every value comes from the project's files, the index or an advisory record: each goes
through :func:`orchestrator.report.terminal.line` (cleaned, never read as markup).
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orchestrator.assess.advisories import AFFECTED, UNKNOWN
from orchestrator.assess.assessment import Assessment, DependencyReport
from orchestrator.report.terminal import line


def to_json(assessment: Assessment) -> str:
    return json.dumps(assessment.to_dict(), indent=2)


def print_assessment(console: Console, assessment: Assessment) -> None:
    facts = assessment.facts
    title = facts.name or facts.root.name
    console.print(line((f"{title}", "bold"), f"  ({facts.root})"))
    console.print(line("read: ", ", ".join(facts.files) or "no project file"))
    for text in _python_lines(assessment):
        console.print(text)
    console.print(dependency_table(assessment))
    for text in _detail_lines(assessment):
        console.print(text)


def _python_lines(assessment: Assessment) -> list[Text]:
    python = assessment.python
    lines = []
    if python.in_use is None:
        lines.append(line("Python in use: unknown (no .python-version, CI, tox or nox file)"))
    else:
        eol = python.end_of_life or "unknown"
        if python.supported is False:
            state: tuple[str, str] = (f"end of life since {eol}", "red")
        elif python.supported:
            state = (f"supported until {eol}", "green")
        else:
            state = ("end of life unknown", "yellow")
        lines.append(
            line("Python in use: ", (python.in_use, "bold"), f" ({python.source}), ", state)
        )
    if python.newer:
        newer = ", ".join(
            f"{n.version} (until {n.end_of_life or '?'})"
            + ("" if n.supported is not False else " end of life")
            for n in python.newer
        )
        lines.append(line(f"newer in image family {assessment.family!r}: {newer}"))
    others = [f"{v} ({s})" for v, s in python.mentions[1:]]
    if others:
        lines.append(line("also named: ", ", ".join(others)))
    if python.baseline and python.baseline != python.in_use:
        lines.append(line(f"the matrix's baseline uses Python {python.baseline}"))
    return lines


def dependency_table(assessment: Assessment) -> Table:
    table = Table(title=line("direct dependencies"), title_justify="left")
    for header in (
        "dependency",
        "kind",
        "declared",
        "in use",
        "latest allowed",
        "latest",
        "behind",
        "vulnerabilities",
        "notes",
    ):
        table.add_column(line(header))
    for dep in assessment.dependencies:
        table.add_row(
            line((dep.name, "bold")),
            line(dep.kind),
            line(dep.declared or "any"),
            _in_use(dep),
            line(dep.latest_allowed or ("?" if dep.latest is None else "none final")),
            line(dep.latest or "?"),
            line(_behind(dep)),
            _vulnerabilities(dep),
            line(_notes(dep)),
        )
    return table


def _in_use(dep: DependencyReport) -> Text:
    if dep.in_use:
        text = line(dep.in_use, f" ({dep.in_use_source})")
        if dep.yanked:
            text.append_text(line((" YANKED", "bold red")))
        return text
    if dep.fresh:
        return line(("not pinned", "dim"), f"; fresh install: {dep.fresh}")
    return line(("not pinned", "dim"))


def _behind(dep: DependencyReport) -> str:
    if dep.problem:
        return "?"
    if not dep.outdated:
        return "up to date" if dep.baseline else "?"
    parts = []
    if dep.majors_behind:
        parts.append(f"{dep.majors_behind} major")
    if dep.minors_behind:
        parts.append(f"{dep.minors_behind} minor")
    if dep.releases_behind:
        parts.append(f"{dep.releases_behind} releases")
    if dep.days_behind is not None:
        parts.append(f"{dep.days_behind} days")
    return ", ".join(parts)


def _vulnerabilities(dep: DependencyReport) -> Text:
    check = dep.vulnerabilities
    if check is None:
        return line(("unknown", "yellow"))
    if check.status == AFFECTED:
        items = [
            f"{a.id} (fixed in {', '.join(a.fixed_in) or 'no release yet'})"
            for a in check.advisories
        ]
        return line(("; ".join(items), "bold red"))
    if check.status == UNKNOWN:
        return line(("unknown", "yellow"))
    return line(("none known", "green"))


def _notes(dep: DependencyReport) -> str:
    notes = []
    if dep.problem:
        notes.append(dep.problem)
    for drop in dep.python_drops:
        notes.append(f"{drop.release} drops Python {drop.python} ({drop.requires_python})")
    if dep.latest and dep.latest_allowed and dep.latest != dep.latest_allowed:
        notes.append(f"declared {dep.declared} holds it below {dep.latest}")
    if dep.selector is not None:
        notes.append(f"axis: {', '.join(dep.picks)}")
    return "; ".join(notes)


def _detail_lines(assessment: Assessment) -> list[Text]:
    lines = [line(f"advisories: {assessment.advisory_source}")]
    unknown_notes = {
        d.vulnerabilities.note
        for d in assessment.dependencies
        if d.vulnerabilities and d.vulnerabilities.status == UNKNOWN and d.vulnerabilities.note
    }
    for note in sorted(unknown_notes):
        lines.append(line(("  unknown: ", "yellow"), note))
    for dep in assessment.dependencies:
        check = dep.vulnerabilities
        if check and check.status == AFFECTED:
            for advisory in check.advisories:
                aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
                lines.append(
                    line(
                        (f"  {dep.name} {check.version}: ", "bold"),
                        (advisory.id, "bold red"),
                        aliases,
                        f": {advisory.summary}",
                    )
                )
    for note in assessment.notes:
        lines.append(line(("note: ", "yellow"), note))
    return lines
