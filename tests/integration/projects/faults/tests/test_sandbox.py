"""What a suite may and may not do in oxzep7's hardened container.

Each passes only when the container is set up as the README's "Containers"
paragraph says: run with `python -m pytest -q tests/test_sandbox.py`.
"""

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def _status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(field)


def test_runs_as_an_unprivileged_user():
    assert os.getuid() != 0 and os.geteuid() != 0


def test_has_no_capabilities_and_cannot_gain_privileges():
    assert int(_status("CapEff"), 16) == 0
    assert int(_status("CapBnd"), 16) == 0
    assert _status("NoNewPrivs") == "1"


def test_the_root_filesystem_is_read_only():
    for path in ("/usr/oxzep7-probe", "/etc/oxzep7-probe", sys.prefix + "/oxzep7-probe"):
        with pytest.raises(OSError):
            Path(path).write_text("x")


def test_project_tmp_and_home_are_writable():
    Path("written-by-the-suite.txt").write_text("ok")  # the working directory: /project
    assert Path("/project/written-by-the-suite.txt").read_text() == "ok"
    with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir()) as handle:
        handle.write(b"ok")
    home = Path(os.environ["HOME"])
    (home / ".config").mkdir(exist_ok=True)
    (home / ".config" / "probe").write_text("ok")


def test_tmp_allows_running_what_the_suite_writes():
    script = Path(tempfile.gettempdir()) / "probe.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o755)
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout == "ran\n"


def test_has_no_network():
    assert sorted(os.listdir("/sys/class/net")) == ["lo"]
    with pytest.raises(OSError):
        socket.create_connection(("1.1.1.1", 53), timeout=2)
