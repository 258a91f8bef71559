"""``http-json``: POST the report as JSON with ``Idempotency-Key: <report_id>``.

A 409 Conflict means the server already has this key: the report is delivered."""

from __future__ import annotations

from bootstrap.report.config import SinkConfig
from bootstrap.report.model import TimingReport
from bootstrap.report.sinks._http import request


class HttpJsonSink:
    def __init__(self, config: SinkConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout

    def send(self, report: TimingReport) -> None:
        request(
            self.config,
            "POST",
            self.config.url or "",
            body=report.to_json().encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": report.report_id},
            timeout=self.timeout,
            ok_statuses=(409,),
        )
