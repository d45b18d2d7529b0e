"""Takes FAULTS_SLOW seconds with iniconfig 2.0.0 (then passes), none otherwise:
the one cell still running while the test breaks something."""

import importlib.metadata
import os
import time


def test_slow_with_old_iniconfig():
    if importlib.metadata.version("iniconfig") == "2.0.0":
        time.sleep(float(os.environ.get("FAULTS_SLOW", "20")))
