"""SIGTERM handled like Ctrl-C, so cleanup code runs either way."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt instead of ending Python
    without cleanup. nox stops a parallel session with SIGTERM, and a cancelled CI job
    or ``kill`` sends it too: the ``finally`` blocks that unmount a chroot, stop nox and
    remove a run's containers must still run. Only the main thread can set a handler;
    elsewhere the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
