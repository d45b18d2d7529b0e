"""A cell's attempts at its tests, all in one container: the first, then each retry.

A retry used to be a container of its own: on this kind of engine a container costs
about 0.7 s to start and stop, more than a small suite. Now the container runs
:data:`SCRIPT`: the test command, then, while it fails (exit 1-123: tests failed,
pytest could not collect, ...) and retries are left, the command again with pytest's
``--last-failed`` (pytest's cache lives on the /tmp tmpfs, so attempt 1 writes the list
of failures and attempt 2 reads it; a suite that is not pytest runs whole again). An
exit of 124 or more (a timeout, a signal, a missing command) is never retried.

Each attempt is bounded by coreutils ``timeout`` (``run.timeout``, then SIGKILL 10 s
later) and leaves, in /project/.oxzep7 (the container's anonymous volume), its JUnit
report and its exit code; the whole folder is copied out in one ``get_archive``. The
attempts' output is one log, cut where the script prints the run's marker line.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass

OUT_DIR = "/project/.oxzep7"
FREEZE_PATH = "/etc/oxzep7/freeze.txt"  # the package set the image builder wrote
PYTEST_CACHE = "/tmp/.oxzep7-pytest-cache"  # pytest's own cache: --last-failed reads it
# coreutils timeout's exit status when the command ran out of time (also when it had
# to follow SIGTERM with SIGKILL)
TIMED_OUT = 124
KILL_GRACE = 10  # seconds between timeout's SIGTERM and its SIGKILL
# Reads the variables of environment(); the project's PYTEST_ADDOPTS is kept and extended.
SCRIPT = f"""\
out={OUT_DIR}
mkdir -p "$out" && {{ cp {FREEZE_PATH} "$out/freeze.txt" 2>/dev/null || true; }}
n=1
while :; do
  opts="$OXZEP7_PYTEST_ADDOPTS --junitxml=$out/junit.$n.xml -o cache_dir={PYTEST_CACHE}"
  if [ "$n" -gt 1 ]; then opts="$opts --last-failed"; echo "$OXZEP7_MARK $n"; fi
  PYTEST_ADDOPTS="$opts" OXZEP7_ATTEMPT=$n \\
    timeout -k {KILL_GRACE} "$OXZEP7_TIMEOUT" sh -c "$OXZEP7_COMMAND"
  rc=$?
  echo "$rc" > "$out/rc.$n"
  if [ "$rc" -eq 0 ] || [ "$rc" -ge {TIMED_OUT} ] || [ "$n" -gt "$OXZEP7_RETRIES" ]; then
    exit "$rc"
  fi
  n=$((n + 1))
done
"""
MAX_FILE_BYTES = 256 << 20  # a JUnit report larger than this is not read


@dataclass(frozen=True)
class Files:
    """What the attempts left in /project/.oxzep7: per attempt number, the exit code
    and the JUnit report; and the image's package set."""

    exit_codes: Mapping[int, int]
    junit: Mapping[int, bytes]
    freeze: str | None = None
    count: int = 0  # attempts that started: those that finished, and one cut short


def environment(
    command: str, timeout: int, retries: int, mark: str, addopts: str = ""
) -> dict[str, str]:
    """The variables :data:`SCRIPT` reads; ``addopts`` is the project's own
    PYTEST_ADDOPTS, which each attempt extends with its own options."""
    return {
        "OXZEP7_COMMAND": command,
        "OXZEP7_PYTEST_ADDOPTS": addopts,
        "OXZEP7_TIMEOUT": str(timeout),
        "OXZEP7_RETRIES": str(retries),
        "OXZEP7_MARK": mark,
    }


_NAME = re.compile(r"(?:.*/)?(rc|junit)\.(\d{1,3})(?:\.xml)?$")


def read_files(tar_bytes: bytes | None) -> Files:
    """The files of the attempts, from ``get_archive`` of :data:`OUT_DIR` (None: the
    folder was never made, so no attempt started)."""
    if tar_bytes is None:
        return Files({}, {})
    codes: dict[int, int] = {}
    reports: dict[int, bytes] = {}
    freeze = None
    count = 0
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        for member in archive:
            if not member.isfile() or member.size > MAX_FILE_BYTES:
                continue
            handle = archive.extractfile(member)
            data = handle.read() if handle else b""
            if member.name.endswith("/freeze.txt"):
                freeze = data.decode("utf-8", errors="replace")
            elif found := _NAME.match(member.name):
                kind, number = found.group(1), int(found.group(2))
                count = max(count, number)
                if kind == "junit":
                    reports[number] = data
                elif data.strip().isdigit():
                    codes[number] = int(data.strip())
    return Files(codes, reports, freeze, count)


def split_log(log: str, mark: str, count: int) -> list[str]:
    """The container's output cut into one log per attempt (``count`` of them), where
    the script printed ``MARK N`` before attempt N."""
    parts = [log]
    for number in range(2, count + 1):
        head, sep, rest = parts[-1].partition(f"{mark} {number}\n")
        if not sep:
            break
        parts[-1:] = [head, rest]
    return parts + [""] * (count - len(parts))
