"""The Sink contract and its error, below the sinks that meet it and the registry
(bootstrap.report.sinks) that makes them: a sink module imports this, never its package."""

from __future__ import annotations

from typing import Protocol

from bootstrap.errors import NetworkError
from bootstrap.report.model import TimingReport


class SinkError(NetworkError):
    """A sink did not acknowledge a report (the report stays spooled)."""

    def __init__(self, message: str, *, code: str = "report.sink_failed") -> None:
        super().__init__(message, code=code)


class Sink(Protocol):
    def send(self, report: TimingReport) -> None: ...
