"""Numbers for ``bootstrap report show``: recent runs and p50/p90 per profile."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bootstrap.report.model import TimingReport


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def by_profile(reports: Sequence[TimingReport]) -> dict[str, dict[str, Any]]:
    """Per profile: runs, successes, failures, and p50/p90 of the time to a successful
    first run -- over the runs that are one (``time_to_first_run_seconds``: run_kind
    "first", the first-run command ran, success), never re-syncs, no-ops or refreshes --
    and how many runs were over budget."""
    out: dict[str, dict[str, Any]] = {}
    for profile in sorted({r.profile for r in reports}):
        runs = [r for r in reports if r.profile == profile]
        successes = sum(1 for r in runs if r.outcome == "success")
        firsts = [
            r.time_to_first_run_seconds for r in runs if r.time_to_first_run_seconds is not None
        ]
        p50, p90 = percentile(firsts, 0.5), percentile(firsts, 0.9)
        out[profile] = {
            "runs": len(runs),
            "successes": successes,
            "first_runs": len(firsts),
            "failures": len(runs) - successes,
            "p50_seconds": None if p50 is None else round(p50, 3),
            "p90_seconds": None if p90 is None else round(p90, 3),
            "over_budget": sum(1 for r in runs if r.over_budget),
            "budget_seconds": runs[-1].budget_seconds,
        }
    return out
