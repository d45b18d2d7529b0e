"""One stable, one flaky and one broken test, for oxzep7's retry handling.

The flaky test fails on the first attempt only; oxzep7 numbers attempts in
OXZEP7_ATTEMPT, which makes the flakiness deterministic.
"""

import os


def test_stable():
    assert 1 + 1 == 2


def test_flaky():
    assert os.environ.get("OXZEP7_ATTEMPT") != "1", "fails on the first attempt only"


def test_broken():
    assert "broken" == "fixed"
