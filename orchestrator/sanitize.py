"""Text from outside made safe to show: results, logs and matrix values can hold
terminal control sequences (``ESC[2J`` clears the screen, OSC 8 makes hyperlinks),
NULs and other control characters. Everything oxzep7 prints, or writes into a
report, from such a source goes through :func:`clean` first.

Escape sequences are dropped whole (log tails are full of colour codes, which are
noise out of their terminal); other C0 and C1 control characters and DEL are
dropped; lone surrogates (which cannot be encoded) become U+FFFD. Newlines and
tabs are kept only where a value may span lines (``multiline=True``); elsewhere
every line break becomes a space, so a value can never start a line of its own.
"""

from __future__ import annotations

import re

# CSI (ESC [ or C1 0x9b) ... final byte; OSC (ESC ] or 0x9d) ... BEL or ST; DCS, SOS,
# PM and APC strings (ESC P/X/^/_ or 0x90/0x98/0x9e/0x9f) ... ST; any other ESC + byte.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\t\v\f\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: object, *, multiline: bool = False) -> str:
    """``value`` as text without control sequences or control characters (see the
    module's docstring); one line unless ``multiline``."""
    text = _SEQUENCE.sub("", str(value))
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if multiline:
        return _CONTROL_BUT_LINES.sub("", text.replace("\r\n", "\n"))
    return _CONTROL.sub("", _LINE_BREAK.sub(" ", text))


def first_line(text: str | None) -> str:
    """The first non-empty line of a message (messages may hold a whole log tail),
    cleaned and stripped."""
    for line in clean(text or "", multiline=True).splitlines():
        line = line.replace("\t", " ").strip()
        if line:
            return line
    return ""


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
