"""Named points where the crash tests kill aimem (tests/reliability/test_crash.py).

``AIMEM_TEST_KILL_AT=name`` (or ``name#n``) makes the process SIGKILL itself the first (n-th)
time it reaches ``killpoint(name)``: a timed kill from outside almost always lands in Python's
start-up, while the windows that matter (between a commit and the state written after it) last
microseconds. Unset, as it always is outside those tests, a point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "AIMEM_TEST_KILL_AT"
# How often each point was reached in this process; only read when the variable is set.
_reached: dict[str, int] = {}


def killpoint(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition("#")
    if target != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
