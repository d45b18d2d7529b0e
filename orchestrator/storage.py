"""Where oxzep7 keeps files, and how it writes them.

- :func:`write_text` / :func:`write_bytes`: the one atomic write. Readers see the
  old file or the new one, never half of one; the new file gets the mode the
  umask gives any new file (0644 under the usual 022), like a plain ``open``
  would, so reports and results stay readable to a web server or another CI user.
- :func:`cache_dir`: the one cache-directory rule, ``$XDG_CACHE_HOME/oxzep7`` when
  the variable is set and non-empty, else ``~/.cache/oxzep7``.
- :func:`exclusive`: the one cross-process lock (a file lock, released however the
  holder ends, even killed).
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_MODE = 0o666  # the umask takes away what it forbids, as for open(path, "w")
_ATTEMPTS = 100


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """oxzep7's cache directory (not created): ``$XDG_CACHE_HOME/oxzep7`` if that is
    set and non-empty, else ``~/.cache/oxzep7``. ``env`` defaults to ``os.environ``."""
    base = (os.environ if env is None else env).get("XDG_CACHE_HOME") or ""
    return (Path(base) if base else Path.home() / ".cache") / "oxzep7"


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Run the block holding an exclusive lock on the file ``path`` (made, with its
    folder, if missing): other processes asking for the same file wait their turn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; creates missing parent folders."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a new file beside it, synced, then
    renamed over it. On any failure the temporary file is removed and ``path`` is
    untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty file next to ``path``, opened for writing. Unlike
    ``tempfile.mkstemp`` (always 0600) it is created with 0666 less the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_ATTEMPTS):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, _MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")
