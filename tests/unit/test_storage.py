"""storage: the one atomic write and the one cache-directory rule."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator import storage
from orchestrator.build import rootfs
from orchestrator.plan import index
from orchestrator.run import rundir


@pytest.fixture
def umask():
    def set_to(value: int) -> None:
        os.umask(value)

    old = os.umask(0o022)
    yield set_to
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_get_the_umasks_mode(tmp_path, umask, mask, mode):
    umask(mask)
    target = tmp_path / "deep" / "report.html"
    storage.write_text(target, "<p>hi</p>")
    assert target.read_text() == "<p>hi</p>"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    rundir.write_json(tmp_path / "results.json", {"a": 1})  # the run directory's writer too
    assert stat.S_IMODE((tmp_path / "results.json").stat().st_mode) == mode


def test_a_rewrite_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "results.json"
    storage.write_text(target, "old")
    storage.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out"
    target.mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(IsADirectoryError):
        storage.write_text(target, "text")
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_CACHE_HOME": "/var/cache/ci"}, Path("/var/cache/ci/oxzep7")),
        ({"XDG_CACHE_HOME": ""}, Path.home() / ".cache" / "oxzep7"),
        ({}, Path.home() / ".cache" / "oxzep7"),
    ],
    ids=["set", "empty", "unset"],
)
def test_one_cache_directory_rule(env, expected, monkeypatch):
    assert storage.cache_dir(env) == expected
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert storage.cache_dir() == expected
    # The index cache and the rootfs lock directory follow the same rule.
    assert index.default_cache_dir(env) == expected / "index"
    monkeypatch.setattr(Path, "mkdir", lambda *args, **kwargs: None)
    assert rootfs.lock_dir() == expected
