"""Why a test failed, as its report says (kept per failing test in each cell's result):
the exception type, a bounded one-line message and where it was raised."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.jsonread import Reader, checked_text

MAX_FAILURE_TEXT = 300  # characters of a failure's message (and of its type, its place)


def _bounded(text: str, limit: int = MAX_FAILURE_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Failure:
    """Why one test failed, as its report says: the exception type, the message (one
    line, at most MAX_FAILURE_TEXT characters) and where it was raised (``file:line``),
    each "" when unknown."""

    type: str = ""
    message: str = ""
    where: str = ""

    @classmethod
    def of(cls, type: str = "", message: str = "", where: str = "") -> Failure:
        """A Failure with every part on one line and bounded."""
        return cls(_bounded(type, 120), _bounded(message), _bounded(where, 200))

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "where": self.where}

    @classmethod
    def read(cls, fields: Reader) -> Failure:
        return cls.of(fields.text("type", ""), fields.text("message", ""), fields.text("where", ""))


def failures_of(fields: Reader) -> dict[str, Failure]:
    """``failures``: test id -> its Failure (absent in older results: none)."""
    child = fields.child("failures")
    return {checked_text(t, child.key(t)): Failure.read(child.child(t)) for t in child.data}
