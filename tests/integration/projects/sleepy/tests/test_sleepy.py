"""A suite that hangs with iniconfig 2.0.0 and passes quickly otherwise.

oxzep7's integration tests use it for the per-cell timeout and for Ctrl-C.
"""

import importlib.metadata
import time


def test_finishes_unless_old_iniconfig():
    if importlib.metadata.version("iniconfig") == "2.0.0":
        time.sleep(3600)
    assert True
