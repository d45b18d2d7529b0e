"""How the project enters a cell image: which files, with which metadata, and how its
version is found when it comes from git.

Files: in a git work tree, what ``git ls-files`` sees (tracked, plus untracked files
that are not ignored), so ``.venv/``, ``node_modules/`` or data folders listed in
``.gitignore`` stay out; elsewhere (an unpacked sdist, a plain folder) every file but
the usual caches and virtualenvs. oxzep7's own ``.oxzep7`` folder (runs, caches) never
goes in, ignored or not. Modes and symlinks inside the tree are kept; mtimes
are clamped to 1980 or later, because zip-based build backends (flit_core) reject
earlier ones.

Versions from git: setuptools-scm, hatch-vcs and their kin need ``.git`` and the git
binary, neither of which a cell image has. For such a project in a git work tree, an
sdist is built once on the host (where ``.git`` is), as tox does, and every cell
installs that sdist; the tree is still copied for the tests to run in.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ConfigError

OWN_FOLDER = ".oxzep7"  # oxzep7's runs and caches: never part of the project
# Never shipped into a cell image from a folder that is not a git work tree.
EXCLUDED_NAMES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        OWN_FOLDER,
        ".nox",
        ".tox",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "node_modules",
        "build",
        "dist",
    }
)
MIN_MTIME = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip file can hold
LIMIT_VAR = "OXZEP7_PROJECT_LIMIT_MB"
DEFAULT_LIMIT_MB = 500
# Build requirements and config strings that mean "the version comes from the VCS".
_VCS_VERSIONING = re.compile(
    r"setuptools[-_]scm|hatch[-_]vcs|versioningit|setuptools[-_]git[-_]versioning|"
    r"poetry[-_]dynamic[-_]versioning|dunamai|use_scm_version|source\s*=\s*[\"']scm[\"']",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entry:
    """One file, folder or symlink of the project, relative to its root."""

    path: str
    mode: int
    size: int
    link: str | None = None  # a symlink's target, kept only when it stays inside the tree


@dataclass(frozen=True)
class Tree:
    """The project's files as they will enter the image."""

    root: Path
    entries: tuple[Entry, ...]

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)

    def digest(self) -> str:
        """A hash of names, modes, link targets and contents (not mtimes)."""
        h = hashlib.sha256()
        for entry in self.entries:
            h.update(f"\0{entry.path}\0{entry.mode:o}\0{entry.link or ''}\0".encode())
            if entry.link is None:
                h.update(file_digest(self.root / entry.path))
        return h.hexdigest()


def tree(root: Path) -> Tree:
    """The project's files (see the module doc), checked against the size limit."""
    names = _git_files(root)
    if names is None:
        names = _walk(root)
    # Run from the project's own folder, oxzep7 writes its runs there; a repository
    # that does not ignore them would ship every earlier run into the cells, and a new
    # tree each run would rebuild every image and never reuse a result.
    names = [name for name in names if OWN_FOLDER not in name.split("/")]
    entries = tuple(e for e in (_entry(root, name) for name in sorted(names)) if e is not None)
    found = Tree(root, entries)
    _check_size(found)
    return found


def is_git_work_tree(root: Path) -> bool:
    return _git(root, "rev-parse", "--is-inside-work-tree") == "true"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git binary: treat the project as a plain folder
    return done.stdout.strip() if done.returncode == 0 else None


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under ``root``, or None outside git."""
    if not is_git_work_tree(root):
        return None
    listing = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listing is None:
        return None
    names = [name for name in listing.split("\0") if name]
    # Deleted but still tracked files are listed too; submodules show as folders.
    return [name for name in names if os.path.lexists(root / name)]


def _walk(root: Path) -> list[str]:
    names: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        links = [name for name in dirs if (here / name).is_symlink()]  # kept as links
        dirs[:] = [
            name
            for name in dirs
            if name not in EXCLUDED_NAMES and not name.endswith(".egg-info") and name not in links
        ]
        base = here.relative_to(root)
        names += [(base / name).as_posix() for name in files + links]
    return names


def _entry(root: Path, name: str) -> Entry | None:
    path = root / name
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = os.readlink(path)
        inside = (path.parent / target).resolve().is_relative_to(root.resolve())
        if inside and not os.path.isabs(target):
            return Entry(name, 0o777, 0, link=target)
        if not path.exists():
            return None  # a dangling link to outside the tree: nothing to copy
        info = path.stat()  # a link out of the tree: copy what it points to
    if stat.S_ISDIR(info.st_mode):
        return None  # a submodule or a link to a folder outside: not copied
    if not stat.S_ISREG(info.st_mode):
        return None  # sockets, FIFOs, devices
    return Entry(name, stat.S_IMODE(info.st_mode) & 0o755 | 0o644, info.st_size)


def file_digest(path: Path) -> bytes:
    """The sha256 of a file's content, read a MiB at a time."""
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def _check_size(found: Tree) -> None:
    limit_mb = _limit_mb()
    if found.size <= limit_mb << 20:
        return
    folders: Counter[str] = Counter()
    for entry in found.entries:
        folders[entry.path.split("/", 1)[0] if "/" in entry.path else "."] += entry.size
    biggest = ", ".join(f"{name}/ {size >> 20} MiB" for name, size in folders.most_common(3))
    raise ConfigError(
        f"the project {found.root} holds {found.size >> 20} MiB of files to copy into every "
        f"cell, over the {limit_mb} MiB limit (biggest: {biggest}); list what the tests do not "
        f"need in .gitignore, or raise the limit with {LIMIT_VAR}"
    )


def _limit_mb() -> int:
    text = os.environ.get(LIMIT_VAR, "")
    if not text:
        return DEFAULT_LIMIT_MB
    if not text.isdigit() or len(text) > 7:
        raise ConfigError(f"{LIMIT_VAR} must be a whole number of MiB, got {text[:40]!r}")
    return int(text)


def clamp_mtime(mtime: float) -> int:
    """An mtime a zip file can hold (1980 or later); later times are kept as they are."""
    return max(int(mtime), MIN_MTIME)


# --- Versions from git ---------------------------------------------------------------------


def version_from_git(root: Path) -> bool:
    """Whether the project's build takes its version from git, and it is a git work tree
    without PKG-INFO (an unpacked sdist carries its version in PKG-INFO)."""
    if (root / "PKG-INFO").exists() or not is_git_work_tree(root):
        return False
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        path = root / name
        if path.is_file() and _VCS_VERSIONING.search(path.read_text(errors="replace")[:200_000]):
            return True
    return False


class SdistFailed(Exception):
    """Building the sdist on the host failed; the message holds the log's tail."""


def build_sdist(root: Path, out_dir: Path, log_path: Path, env: dict[str, str]) -> Path:
    """Build the project's sdist with the PyPA ``build`` frontend (isolated, like tox's
    package environment) into ``out_dir``; returns the sdist's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "build", "--sdist", "--outdir", str(out_dir), str(root)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        try:
            done = subprocess.run(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, check=False, timeout=900
            )
        except subprocess.TimeoutExpired:
            raise SdistFailed("building the sdist took over 15 minutes") from None
    built = sorted(out_dir.glob("*.tar.gz"))
    if done.returncode != 0 or len(built) != 1:
        tail = log_path.read_text(errors="replace").splitlines()[-12:]
        raise SdistFailed("\n".join(tail))
    return built[0]
