"""Waiting, with a bound, for something a background process or thread will do."""

from __future__ import annotations

import time


def wait_until(check, timeout: float = 30.0, explain=""):
    """``check()``'s first truthy result; fails after ``timeout`` s with ``explain``, a
    message or a function that makes one (so it can show the state at that moment)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, explain() if callable(explain) else explain
        time.sleep(0.1)
    return result
