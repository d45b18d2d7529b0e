"""Uses far more memory than oxzep7's integration tests allow (run.memory)."""


def test_needs_half_a_gigabyte():
    data = b"\x01" * (512 * 1024 * 1024)  # bytes of a repeated value: every page is touched
    assert len(data) == 512 * 1024 * 1024
