"""pip requirements files: the ``==`` pins of the runtime requirements files
(pip-tools output with ``--hash`` and ``# via`` annotations included) and, for an
application that declares nothing else, their direct requirements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.requirements import InvalidRequirement, Requirement

from orchestrator.assess.facts import RUNTIME
from orchestrator.assess.reader import Reader

RUNTIME_REQUIREMENTS = ("requirements.txt", "requirements/base.txt", "requirements/prod.txt")
_VIA = re.compile(r"^\s*#\s+via\b\s*(.*)$")
_VIA_MORE = re.compile(r"^\s*#\s{2,}(\S.*)$")


def requirements(reader: Reader, *, declare: bool) -> None:
    """``==`` pins of the runtime requirements files; for a project that declares nothing
    else, their direct requirements (pip-compile's ``# via -r ...`` marks them) too."""
    inputs = {}
    for name in ("requirements.in", "requirements/base.in"):
        text = reader.text(name)
        if text is not None:
            inputs[name] = text
    for name in RUNTIME_REQUIREMENTS:
        text = reader.text(name)
        if text is None:
            continue
        entries = list(requirement_lines(text))
        annotated = any(via is not None for _, via in entries)
        for line, via in entries:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            pinned = [s for s in requirement.specifier if s.operator in ("==", "===")]
            if len(pinned) == 1 and "*" not in pinned[0].version:
                reader.pin(requirement.name, pinned[0].version, name)
            direct = not annotated or any(_is_direct(source) for source in via or ())
            if declare and direct and not inputs:
                reader.declare(line, RUNTIME, name)
    for name, text in inputs.items():
        if declare:
            for line, _ in requirement_lines(text):
                reader.declare(line, RUNTIME, name)


def _is_direct(source: str) -> bool:
    """Whether a pip-compile ``# via`` source is an input file or the project itself."""
    return source.startswith(("-r", "-c")) or any(
        marker in source for marker in ("pyproject.toml", "setup.cfg", "setup.py", ".in")
    )


def requirement_lines(text: str) -> Iterator[tuple[str, list[str] | None]]:
    """(requirement, via sources or None) of a pip requirements file: continuations
    joined, ``--hash`` and other options dropped, pip-compile's ``# via`` annotations
    (one line, or a ``# via`` line followed by ``#   source`` lines) gathered."""
    current: list[str] | None = None
    pending: str | None = None
    buffer = ""
    for raw in text.splitlines():
        via = _VIA.match(raw)
        if via and pending is not None:
            current = [via.group(1).strip()] if via.group(1).strip() else []
            continue
        more = _VIA_MORE.match(raw)
        if more and current is not None:
            current.append(more.group(1).strip())
            continue
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if buffer or line.endswith("\\"):
            buffer += line.rstrip("\\") + " "
            if line.endswith("\\"):
                continue
            line, buffer = buffer.strip(), ""
        line = re.sub(r"\s--hash[=\s]\S+", "", " " + line).strip()
        if not line:
            continue
        if pending is not None:
            yield pending, current
        pending, current = None, None
        if line.startswith("-"):
            continue
        pending = line
    if pending is not None:
        yield pending, current
