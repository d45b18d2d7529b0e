"""Fatal errors, each with its own exit code.

Anything that stops oxzep7 as a whole raises one of these; the CLI prints the
message on one line (no traceback) and exits with ``exit_code``. Failures that
belong to a single cell (a build that fails, a suite that hangs) are *results*
of that cell, never exceptions that escape the run.
"""

from __future__ import annotations

from pathlib import Path

# Exit codes, in one place so the CLI, the docs and the tests agree.
EXIT_OK = 0
EXIT_CELLS_FAILED = 1
EXIT_CONFIG = 2
EXIT_DOCKER = 3
EXIT_BASE_IMAGE = 4
EXIT_RUN = 5
EXIT_INDEX = 6
EXIT_DAMAGED = 7
EXIT_DOCKER_LOST = 8
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # stdout closed early (`oxzep7 plan --json | head -1`): 128 + SIGPIPE

# What each code means, in the order --help (and the README) list them.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "every cell passed"),
    (EXIT_CELLS_FAILED, "some cell failed, errored or timed out"),
    (EXIT_CONFIG, "the matrix file or the command line is wrong"),
    (EXIT_DOCKER, "the Docker daemon cannot be reached"),
    (EXIT_BASE_IMAGE, "a base image could not be built"),
    (EXIT_RUN, "the run itself could not proceed (e.g. its disk is full)"),
    (EXIT_INDEX, "the package index could not answer"),
    (EXIT_DAMAGED, "a run directory or results file is damaged or unreadable"),
    (EXIT_DOCKER_LOST, "the Docker daemon went away mid-run (finished cells are kept; --resume)"),
    (EXIT_INTERRUPTED, "interrupted (finished results are kept)"),
    (EXIT_BROKEN_PIPE, "the output was closed early (e.g. piped into head)"),
)

# How the message of a cell cut short by the daemon's disappearance begins.
DOCKER_LOST = "the Docker daemon went away"


class Oxzep7Error(Exception):
    """Base class: a message a person can act on, and the exit code to leave with."""

    exit_code = EXIT_RUN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(Oxzep7Error):
    """The matrix file (or a command-line value) is wrong; points at file:line when known."""

    exit_code = EXIT_CONFIG

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        what = f"{key}: " if key else ""
        super().__init__(f"{where}{what}{message}")


class DockerUnavailableError(Oxzep7Error):
    """The Docker daemon cannot be reached."""

    exit_code = EXIT_DOCKER


class DockerLostError(Oxzep7Error):
    """The Docker daemon went away while the run was using it. Finished cells are kept;
    ``oxzep7 run --resume RUN_DIR`` runs the others once it is back. Cells it cut short
    carry this message (see DOCKER_LOST), which is how a resume knows to run them again."""

    exit_code = EXIT_DOCKER_LOST

    def __init__(self, reason: str) -> None:
        super().__init__(f"{DOCKER_LOST}: {reason}")


class BaseImageError(Oxzep7Error):
    """A base image (Debian root filesystem or interpreter base) could not be made."""

    exit_code = EXIT_BASE_IMAGE


class RunError(Oxzep7Error):
    """The run itself could not proceed (run directory, nox, plan file)."""

    exit_code = EXIT_RUN


class PackageIndexError(Oxzep7Error):
    """The package index could not answer (unknown package, network, bad response, offline)."""

    exit_code = EXIT_INDEX


class DamagedResultsError(Oxzep7Error):
    """A run directory or results file cannot be read or does not hold what it should
    (not JSON, a cell of the wrong shape, too large, not a regular file)."""

    exit_code = EXIT_DAMAGED
