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
