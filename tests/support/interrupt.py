"""Kill a process at a chosen moment of its work, to prove a re-run converges."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence


def kill_when(
    argv: Sequence[str],
    *,
    ready: Callable[[], bool],
    env: Mapping[str, str] | None = None,
    before: Callable[[], None] | None = None,
    sig: int = signal.SIGKILL,
    group: bool = False,
    tries: int = 20,
    timeout: float = 60.0,
) -> bool:
    """Start ``argv`` and send ``sig`` as soon as ``ready()`` is true (to its whole
    process group with ``group``, so children such as uv go too); try again (after
    ``before()``) when the work finished first. True once a run died of ``sig``."""
    for _ in range(tries):
        if before is not None:
            before()
        child = subprocess.Popen(argv, env=env, start_new_session=group)
        deadline = time.monotonic() + timeout
        while child.poll() is None and time.monotonic() < deadline:
            if ready():
                if group:
                    os.killpg(child.pid, sig)
                else:
                    child.send_signal(sig)
                break
            time.sleep(0.0005)
        child.wait()
        if child.returncode == -sig:
            return True
    return False
