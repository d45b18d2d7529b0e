"""What the command-line modules share: the exit codes' epilog and argument types."""

from __future__ import annotations

import argparse
from typing import Any

from orchestrator.errors import EXIT_CODES

# argparse's _SubParsersAction, which typeshed keeps private: what add_parser is called on.
SubParsers = Any

EPILOG = (
    "exit codes:\n"
    + "".join(f"  {code:<4} {meaning}\n" for code, meaning in EXIT_CODES)
    + "  (run and collate --fail-on regression: 1 only for a regression against the baseline\n"
    "   or a cell that could not be judged; --fail-on new: 1 only for what is worse than the\n"
    "   previous run of the matrix, for nightly schedules)\n"
)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
