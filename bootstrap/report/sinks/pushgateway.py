"""``pushgateway``: PUT the report's metrics to a Prometheus Pushgateway.

The grouping key is job, profile, run kind and the hashed instance (metrics version 2,
see bootstrap.report.prom), so a new run of the same machine and kind replaces its
previous metrics (PUT semantics) and a re-sent report changes nothing: the push is
idempotent by construction."""

from __future__ import annotations

from bootstrap.report.config import SinkConfig
from bootstrap.report.model import TimingReport
from bootstrap.report.prom import exposition, grouping_labels, grouping_path
from bootstrap.report.sinks._http import request

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def push_url(config: SinkConfig, report: TimingReport) -> str:
    base = (config.url or "").rstrip("/")
    return base + grouping_path(config.job, grouping_labels(report))


class PushgatewaySink:
    def __init__(self, config: SinkConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout

    def send(self, report: TimingReport) -> None:
        request(
            self.config,
            "PUT",
            push_url(self.config, report),
            body=exposition([(report, {})]).encode(),
            headers={"Content-Type": CONTENT_TYPE},
            timeout=self.timeout,
        )
