"""Leaves a daemon behind, as careless suites do: the container must still go away."""

import subprocess


def test_starts_a_daemon_and_forgets_it():
    subprocess.Popen(
        ["sleep", "1000"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
