"""Debian root filesystems: what each suite's holds, the mmdebstrap command line, the
one-line errors, the tag given only after a clean build, and the mounts an mmdebstrap
cut short leaves in its chroot (detached before the temporary directory is deleted:
deleting through them would reach the host)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker.errors
import pytest

from orchestrator.build import rootfs
from orchestrator.errors import BaseImageError
from orchestrator.plan import interpreters

MIRROR = "http://deb.debian.org/debian"
ID = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        ("bullseye", ["python3.9", "python3.9-venv", "tzdata"]),
        ("bookworm", ["python3.11", "python3.11-venv", "tzdata"]),
        ("trixie", ["python3.13", "python3.13-venv", "tzdata"]),
        ("forky", ["python3.14", "python3.14-venv", "python3.15", "python3.15-venv", "tzdata"]),
        ("sid", ["tzdata"]),  # no interpreter of the table comes from it
    ],
)
def test_a_suites_root_filesystem_holds_its_interpreters_their_venv_and_tzdata(suite, expected):
    assert rootfs.packages(suite) == expected


def test_every_debian_interpreter_is_in_its_suites_root_filesystem():
    for version in interpreters.available("debian"):
        interpreter = interpreters.lookup("debian", version)
        assert isinstance(interpreter, interpreters.DebianInterpreter)
        assert interpreter.package in rootfs.packages(interpreter.suite)


def test_the_mmdebstrap_command_writes_a_slim_tar_to_standard_output():
    cmd = rootfs.command("forky", MIRROR)
    assert cmd[:4] == ["mmdebstrap", "--mode=root", "--variant=minbase", "--format=tar"]
    assert "--include=python3.14,python3.14-venv,python3.15,python3.15-venv,tzdata" in cmd
    assert '--aptopt=Acquire::Check-Valid-Until "false"' in cmd
    assert f"--customize-hook={rootfs.SLIM_HOOK}" in cmd
    assert not [arg for arg in cmd if arg.startswith("--dpkgopt")]  # see SLIM_HOOK
    assert cmd[-3:] == ["forky", "-", MIRROR]  # suite, standard output, mirror


def test_the_slimming_hook_empties_the_folders_and_keeps_later_packages_out(tmp_path):
    for folder in rootfs.SLIM_DIRS:
        (tmp_path / folder / "pkg").mkdir(parents=True)
        (tmp_path / folder / "pkg" / "file").write_text("x")
    (tmp_path / "usr/share/zoneinfo").mkdir(parents=True)
    (tmp_path / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True)
    # as mmdebstrap runs a hook: sh -c HOOK exec ROOT
    subprocess.run(["sh", "-c", rootfs.SLIM_HOOK, "exec", str(tmp_path)], check=True)
    assert all(not any((tmp_path / folder).iterdir()) for folder in rootfs.SLIM_DIRS)
    assert (tmp_path / "usr/share/zoneinfo").is_dir()
    excludes = (tmp_path / "etc/dpkg/dpkg.cfg.d/oxzep7-slim").read_text().splitlines()
    assert excludes == [f"path-exclude=/{folder}/*" for folder in rootfs.SLIM_DIRS]


def test_a_missing_mmdebstrap_is_one_line_naming_the_package(monkeypatch):
    monkeypatch.setattr(rootfs.shutil, "which", lambda _: None)
    with pytest.raises(BaseImageError) as caught:
        rootfs._check_tools()
    assert "apt-get install mmdebstrap" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_being_root_is_one_line_saying_how(monkeypatch):
    monkeypatch.setattr(rootfs.shutil, "which", lambda _: "/usr/bin/mmdebstrap")
    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 1000)
    with pytest.raises(BaseImageError, match="sudo oxzep7 bases MATRIX"):
        rootfs._check_tools()


class _Api:
    """The two calls a root filesystem build makes: import (reading the whole stream,
    as the daemon does) and tag."""

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.received, self.tags, self.removed = fail, b"", [], []

    def import_image_from_data(self, data, changes):
        if self.fail:  # the daemon gives up after the first chunk
            self.received = next(iter(data))
            raise docker.errors.APIError("unexpected EOF", explanation="unexpected EOF")
        self.received = b"".join(data)
        if not self.received:
            raise docker.errors.APIError("unexpected EOF", explanation="unexpected EOF")
        return f'{{"status":"{ID}"}}\r\n'

    def tag(self, image, repository, tag):
        self.tags.append((image, repository, tag))

    def remove_image(self, image, force, noprune):
        self.removed.append(image)


class _Client:
    def __init__(self, api: _Api) -> None:
        self.api = api


def _fake_tool(monkeypatch, tmp_path: Path, script: str) -> None:
    """``rootfs.command`` replaced by a Python script standing in for mmdebstrap."""
    tool = tmp_path / "fake-mmdebstrap"
    tool.write_text(script)
    monkeypatch.setattr(rootfs, "command", lambda suite, mirror: [sys.executable, str(tool)])


def test_a_clean_build_is_tagged_after_the_whole_stream_is_in(monkeypatch, tmp_path):
    _fake_tool(monkeypatch, tmp_path, "import sys; sys.stdout.buffer.write(b'x' * 3_000_000)")
    api = _Api()
    image = rootfs._build(_Client(api), "bookworm", MIRROR, tmp_path / "log")
    assert (image, len(api.received)) == (ID, 3_000_000)
    assert api.tags == [(ID, "oxzep7/debian", "bookworm")]


def test_a_failed_mmdebstrap_tags_nothing_and_says_where_the_log_is(monkeypatch, tmp_path):
    script = "import sys; sys.stdout.buffer.write(b'x' * 1000); sys.exit('E: no python3.99')"
    _fake_tool(monkeypatch, tmp_path, script)
    api = _Api()
    with pytest.raises(BaseImageError) as caught:
        rootfs._build(_Client(api), "forky", MIRROR, tmp_path / "debian-forky.log")
    message = str(caught.value)
    assert message.startswith("building the Debian forky root filesystem: mmdebstrap forky")
    assert "(exit 1)" in message and str(tmp_path / "debian-forky.log") in message
    assert "E: no python3.99" in message  # the log's tail
    assert api.tags == [] and api.removed == [ID]  # the half image is gone


def test_a_failed_import_stops_mmdebstrap_and_tags_nothing(monkeypatch, tmp_path):
    endless = "import sys\nwhile True: sys.stdout.buffer.write(b'x' * 65536)"
    _fake_tool(monkeypatch, tmp_path, endless)
    api = _Api(fail=True)
    with pytest.raises(BaseImageError, match="unexpected EOF"):
        rootfs._build(_Client(api), "trixie", MIRROR, tmp_path / "log")
    assert api.tags == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")
def test_mounts_below_the_chroot_are_detached_deepest_first(tmp_path):
    root = tmp_path / "my root"  # a space: mountinfo escapes it as \040
    (root / "proc").mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "none", str(root / "proc")]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    (root / "proc" / "sys").mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "none", str(root / "proc" / "sys")], check=True)
    assert os.path.ismount(root / "proc" / "sys")
    rootfs._unmount_below(root)
    assert not os.path.ismount(root / "proc")
    assert not any((root / "proc").iterdir())


def test_mountinfo_escapes_are_read_back():
    assert rootfs._unescape(r"/tmp/a\040b\134c") == "/tmp/a b\\c"


def test_mmdebstraps_hangup_of_its_process_group_does_not_reach_oxzep7(monkeypatch, tmp_path):
    """mmdebstrap ends its children on some errors with SIGHUP to its process group."""
    script = "import os, signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
    script += "os.killpg(os.getpgrp(), signal.SIGHUP); raise SystemExit(1)"
    _fake_tool(monkeypatch, tmp_path, script)
    with pytest.raises(BaseImageError, match="exit 1"):
        rootfs._build(_Client(_Api()), "bookworm", MIRROR, tmp_path / "log")
