"""The attempts script, run for real by ``sh`` on this machine (its two fixed paths moved
into a temporary folder): the first attempt, retries of the failed tests while they fail
and retries are left, a timeout never retried; then reading back what it left and
cutting its output into one log per attempt."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from orchestrator.run import attempts
from tests.unit.build.test_layer import tar_bytes

MARK = "[oxzep7 test] attempt"


def run_script(tmp_path: Path, command: str, *, retries: int = 1, timeout: int = 30):
    """The script as the container runs it; returns (exit code, output, out folder)."""
    out = tmp_path / "out"
    freeze = tmp_path / "freeze.txt"
    freeze.write_text("click==8.1.8\n")
    script = attempts.SCRIPT.replace(attempts.OUT_DIR, str(out))
    script = script.replace(attempts.FREEZE_PATH, str(freeze))
    script = script.replace(attempts.PYTEST_CACHE, str(tmp_path / "cache"))
    env = {
        "PATH": "/usr/bin:/bin",
        **attempts.environment(command, timeout, retries, MARK, addopts="-p no:randomly"),
    }
    done = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    return done.returncode, done.stdout + done.stderr, out


def test_a_passing_command_runs_once(tmp_path):
    code, output, out = run_script(tmp_path, "echo run $OXZEP7_ATTEMPT")
    assert (code, output) == (0, "run 1\n")
    files = attempts.read_files(tar_of(out))
    assert files.exit_codes == {1: 0} and files.count == 1
    assert files.freeze == "click==8.1.8\n"


def test_a_failing_command_is_retried_with_last_failed_and_numbered(tmp_path):
    code, output, out = run_script(
        tmp_path, 'echo "attempt $OXZEP7_ATTEMPT: $PYTEST_ADDOPTS"; exit 1', retries=2
    )
    assert code == 1
    logs = attempts.split_log(output, MARK, 3)
    assert [log.split(":")[0] for log in logs] == ["attempt 1", "attempt 2", "attempt 3"]
    assert "--last-failed" not in logs[0] and "--last-failed" in logs[1]
    assert f"--junitxml={out}/junit.2.xml" in logs[1]
    assert logs[0].startswith("attempt 1: -p no:randomly ")  # the project's options first
    assert attempts.read_files(tar_of(out)).exit_codes == {1: 1, 2: 1, 3: 1}


def test_a_retry_that_passes_ends_the_attempts(tmp_path):
    code, _, out = run_script(tmp_path, '[ "$OXZEP7_ATTEMPT" = 2 ]', retries=3)
    assert code == 0
    assert attempts.read_files(tar_of(out)).exit_codes == {1: 1, 2: 0}


@pytest.mark.parametrize("exit_code", [124, 127, 137])
def test_a_timeout_a_signal_or_a_missing_command_is_not_retried(tmp_path, exit_code):
    code, _, out = run_script(tmp_path, f"exit {exit_code}", retries=2)
    assert code == exit_code
    assert attempts.read_files(tar_of(out)).exit_codes == {1: exit_code}


def test_a_hanging_command_is_cut_at_the_timeout(tmp_path):
    code, _, out = run_script(tmp_path, "sleep 30", timeout=1)
    assert code == attempts.TIMED_OUT
    assert attempts.read_files(tar_of(out)).exit_codes == {1: attempts.TIMED_OUT}


def test_no_folder_means_no_attempt_and_odd_files_are_ignored():
    assert attempts.read_files(None).count == 0
    data = tar_bytes(
        {"out/rc.1": b"1\n", "out/rc.x": b"2", "out/junit.1.xml": b"<x/>", "out/rc.2": b"garbage"}
    )
    files = attempts.read_files(data)
    assert files.exit_codes == {1: 1}
    assert files.junit == {1: b"<x/>"}
    assert files.count == 2  # attempt 2 started (it left a file) but has no exit code


def test_a_log_without_the_marks_stays_whole_and_missing_parts_are_empty():
    assert attempts.split_log("all\n", MARK, 1) == ["all\n"]
    assert attempts.split_log("first\n", MARK, 2) == ["first\n", ""]
    text = textwrap.dedent(f"""\
        one
        {MARK} 2
        two
        """)
    assert attempts.split_log(text, MARK, 2) == ["one\n", "two\n"]


def tar_of(folder: Path) -> bytes:
    return tar_bytes({f"out/{p.name}": p.read_bytes() for p in folder.iterdir()})
