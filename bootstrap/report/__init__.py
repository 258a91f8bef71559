"""Timing reports: the model, the local history, sinks, the spool and delivery.

What ``up`` calls, in order::

    from bootstrap import report
    report.flush(paths, metrics, budget_seconds=2.0)        # earlier runs' spool first
    ...
    host = report.host_summary(facts, report.resolve_salt(metrics.salt, paths))
    r = report.new_report(profile=..., host=host, phases=timer.phases, total_seconds=...,
                          error=exc_or_None, target=..., strategy=..., ...)
    delivery = report.record(paths, r, metrics, budget_seconds=2.0)  # history + sinks
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.report.config import SINK_KINDS, MetricsConfig, SinkConfig, opted_out
    from bootstrap.report.delivery import Delivery, FlushResult, deliver, flush, record
    from bootstrap.report.model import (
        PHASES,
        SCHEMA_FILE,
        SCHEMA_VERSION,
        TimingReport,
        error_code_for,
        host_summary,
        new_report,
        resolve_salt,
    )

# Each name from the module that defines it, imported when first asked for: a run that
# only appends to the history (the no-op) never loads the sinks and the spool.
_HOMES = {
    **dict.fromkeys(("SINK_KINDS", "MetricsConfig", "SinkConfig", "opted_out"), "config"),
    **dict.fromkeys(("Delivery", "FlushResult", "deliver", "flush", "record"), "delivery"),
    **dict.fromkeys(
        (
            "PHASES",
            "SCHEMA_FILE",
            "SCHEMA_VERSION",
            "TimingReport",
            "error_code_for",
            "host_summary",
            "new_report",
            "resolve_salt",
        ),
        "model",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "PHASES",
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "SINK_KINDS",
    "Delivery",
    "FlushResult",
    "MetricsConfig",
    "SinkConfig",
    "TimingReport",
    "deliver",
    "error_code_for",
    "flush",
    "host_summary",
    "new_report",
    "opted_out",
    "record",
    "resolve_salt",
]
