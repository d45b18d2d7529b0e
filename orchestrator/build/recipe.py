"""The Dockerfiles oxzep7 renders, read back as a recipe a single container can follow.

The classic builder spends seconds on every step, even one that runs nothing (ENV,
COPY, WORKDIR, USER, LABEL each make a layer). oxzep7's templates use a small subset
of the Dockerfile language, so the same text can instead be carried out in one
container (``oneshot.py``) and made into one layer. This module parses that subset:

    FROM image            ENV k=v k2="quoted \\"value\\""      ARG NAME[=default]
    COPY [--chown=U:G] src... dest                            RUN shell command
    WORKDIR /abs/path     USER name                           LABEL k=v ...

Comments and ``\\`` line continuations as Docker reads them. Anything else is refused,
so a template that grows a new instruction fails loudly instead of building wrongly.
The rendered Dockerfile stays the description of the image, whichever way it is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CHOWN = re.compile(r"^--chown=(\d+):(\d+)$")


class RecipeError(ValueError):
    """The Dockerfile uses something the one-container builder does not carry out."""


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]
    dest: str
    owner: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Run:
    command: str


@dataclass(frozen=True)
class Env:
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Workdir:
    path: str


Step = Copy | Run | Env | Workdir


@dataclass(frozen=True)
class Recipe:
    """A parsed Dockerfile: its parent image, the steps in order, and the final config."""

    parent: str
    steps: tuple[Step, ...]
    args: tuple[str, ...] = ()
    user: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """Every ENV value, later ones winning: what the image's config adds."""
        return {k: v for step in self.steps if isinstance(step, Env) for k, v in step.values}

    @property
    def workdir(self) -> str:
        return next((s.path for s in reversed(self.steps) if isinstance(s, Workdir)), "")

    @property
    def commands(self) -> list[str]:
        """The RUN commands, in order."""
        return [s.command for s in self.steps if isinstance(s, Run)]


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuations joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue  # Docker drops comment lines, even inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip():
            continue
        word, _, rest = line.strip().partition(" ")
        found.append((word.upper(), rest.strip()))
    if pending.strip():
        word, _, rest = pending.strip().partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def parse(dockerfile: str) -> Recipe:
    parent = ""
    steps: list[Step] = []
    args: list[str] = []
    user = ""
    labels: dict[str, str] = {}
    for word, rest in instructions(dockerfile):
        if word == "FROM":
            if parent:
                raise RecipeError("more than one FROM (multi-stage builds)")
            parent = rest
        elif not parent:
            raise RecipeError(f"{word} before FROM")
        elif user and word in ("RUN", "COPY"):
            raise RecipeError(f"{word} after USER (steps run as root here)")
        elif word == "ENV":
            steps.append(Env(tuple(_pairs(rest))))
        elif word == "ARG":
            if " " in rest or "$" in rest:
                raise RecipeError(f"ARG with several names or a variable: {rest!r}")
            args.append(rest)  # NAME or NAME=default
        elif word == "COPY":
            steps.append(_copy(rest))
        elif word == "RUN":
            if rest.startswith("["):
                raise RecipeError("RUN in exec form")
            steps.append(Run(rest))
        elif word == "WORKDIR":
            if not rest.startswith("/") or "$" in rest:
                raise RecipeError(f"WORKDIR must be an absolute path: {rest!r}")
            steps.append(Workdir(rest))
        elif word == "USER":
            user = rest
        elif word == "LABEL":
            labels.update(_pairs(rest))
        else:
            raise RecipeError(f"unsupported instruction {word}")
    if not parent:
        raise RecipeError("no FROM")
    return Recipe(parent, tuple(steps), tuple(args), user, labels)


def _copy(rest: str) -> Copy:
    words = rest.split()
    owner = (0, 0)
    while words and words[0].startswith("--"):
        flag = _CHOWN.match(words.pop(0))
        if flag is None:
            raise RecipeError(f"COPY flag not supported: {rest!r}")
        owner = (int(flag.group(1)), int(flag.group(2)))
    if len(words) < 2 or words[0].startswith("["):
        raise RecipeError(f"COPY needs sources and a destination: {rest!r}")
    *sources, dest = words
    if len(sources) > 1 and not dest.endswith("/"):
        raise RecipeError(f"COPY of several sources needs a folder destination: {rest!r}")
    return Copy(tuple(sources), dest, owner)


def _pairs(text: str) -> list[tuple[str, str]]:
    """``k=v`` words as Docker reads them: double quotes, backslash escapes; ``$`` must be
    escaped (Docker would expand it; the templates never ask for that)."""
    pairs: list[tuple[str, str]] = []
    for word in _words(text):
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise RecipeError(f"expected key=value, got {word!r}")
        pairs.append((key, value))
    return pairs


def _words(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            started, i = True, i + 2
            continue
        if char == "$":
            raise RecipeError(f"unescaped $ (variable expansion) in {text!r}")
        if char == '"':
            quoted, started = not quoted, True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if quoted:
        raise RecipeError(f"unterminated quote in {text!r}")
    if started:
        words.append("".join(current))
    return words
