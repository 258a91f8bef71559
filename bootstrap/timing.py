"""Phase timing: monotonic durations per phase, and the wall-clock start of stage 0.

``total`` runs from the moment the user started the installer (install.sh exports
``BOOTSTRAP_STAGE0_START`` as epoch seconds), or, without a stage 0, from this process's
start, to the first run's success. Phase durations use the monotonic clock; only the
span that crosses processes uses the wall clock, since nothing else is shared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

PHASES = ("detect", "plan", "handoff", "container", "uv", "python", "cache", "sync", "first_run")


def stage0_start(environ: Mapping[str, str] | None = None) -> tuple[float, str]:
    """(epoch seconds, where it came from)."""
    env = os.environ if environ is None else environ
    raw = env.get("BOOTSTRAP_STAGE0_START", "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        # Ignore a start in the future or more than a day old: an inherited, stale value.
        if 0 < time.time() - value < 86400:
            return value, "stage0"
    from bootstrap import STARTED_AT

    return STARTED_AT, "process"


class Timer:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = round(self.phases.get(name, 0.0) + time.monotonic() - start, 4)
