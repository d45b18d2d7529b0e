"""A debootstrap cut short leaves mounts in its chroot; they are detached before the
temporary directory is deleted (deleting through them would reach the host)."""

from __future__ import annotations

import os
import subprocess

import pytest

from orchestrator.build import rootfs


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
