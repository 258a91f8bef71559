"""Phase timing: monotonic durations per phase, and the wall-clock start of stage 0.

``total`` runs from the moment the user started the installer (install.sh exports
``BOOTSTRAP_STAGE0_START`` as epoch seconds), or, without a stage 0, from this process's
start, to the first run's success. Phase durations use the monotonic clock; only the
spans that cross processes use the wall clock, since nothing else is shared.

Stage 0's own parts are phases too, so that the phases add up to ``total``: install.sh
(and install.ps1) export ``BOOTSTRAP_STAGE0_MARKS``, the wall-clock moments at which each
part ended (``begin=T0 bundle=T1 uv=T2``), and :func:`stage0_phases` turns them into
``handoff`` (seconds a handing-over host spent before this stage 0 began), ``stage0_bundle``,
``stage0_uv`` and ``stage0_tool_env`` (from uv being ready to this process's first line:
the tool's own environment, made by ``uv run`` or from a bundle, and the interpreter's
start), then ``startup`` (imports and option parsing, up to the first timed phase).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

PHASES = (
    "handoff",
    "container",
    "stage0_bundle",
    "stage0_uv",
    "stage0_tool_env",
    "startup",
    "detect",
    "plan",
    "uv",
    "python",
    "cache",
    "sync",
    "first_run",
    "report",
)
STAGE0_MARKS = ("begin", "bundle", "uv")


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
            self.add(name, time.monotonic() - start)

    def add(self, name: str, seconds: float) -> None:
        self.phases[name] = round(self.phases.get(name, 0.0) + seconds, 4)


def _marks(environ: Mapping[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for word in environ.get("BOOTSTRAP_STAGE0_MARKS", "").split():
        name, _, raw = word.partition("=")
        try:
            value = float(raw)
        except ValueError:
            continue
        if name in STAGE0_MARKS and value > 0:
            out[name] = value
    return out


def stage0_phases(
    start: float,
    origin: str,
    process_start: float,
    timed_from: float,
    environ: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """The phases before the timer's first: stage 0's parts (when stage 0 passed its
    marks) and this process's start-up. ``start``: where ``total`` begins (see
    :func:`stage0_start`); ``process_start``: this process's first line (wall clock);
    ``timed_from``: the wall-clock moment the timer took over. Marks out of order (a
    clock step) are dropped rather than turned into negative phases."""
    env = os.environ if environ is None else environ
    out: dict[str, float] = {}
    if origin == "stage0":
        marks = _marks(env)
        begin = marks.get("begin", start)
        at = start
        if begin > start:  # a handoff: the host's seconds before this stage 0 began
            out["handoff"] = begin - start
            at = begin
        for name, phase in (("bundle", "stage0_bundle"), ("uv", "stage0_uv")):
            end = marks.get(name)
            if end is not None and at <= end <= process_start:
                out[phase] = end - at
                at = end
        out["stage0_tool_env"] = max(0.0, process_start - at)
    out["startup"] = max(0.0, timed_from - process_start)
    return {k: round(v, 4) for k, v in out.items()}
