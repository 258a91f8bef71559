"""Sinks: where reports go besides the local history. One module per kind, one registry.

Every sink meets :class:`Sink`: ``send(report)`` returns only once the destination has
acknowledged the report, and raises :class:`SinkError` otherwise. Sinks are idempotent
by the report id, so a report sent again after a crash is not counted twice.
"""

from __future__ import annotations

from typing import Callable

from bootstrap.report.config import SinkConfig
from bootstrap.report.sinks.base import Sink, SinkError


def _file(config: SinkConfig, timeout: float) -> Sink:
    from bootstrap.report.sinks.file import FileSink

    return FileSink(config)


def _http_json(config: SinkConfig, timeout: float) -> Sink:
    from bootstrap.report.sinks.http_json import HttpJsonSink

    return HttpJsonSink(config, timeout)


def _pushgateway(config: SinkConfig, timeout: float) -> Sink:
    from bootstrap.report.sinks.pushgateway import PushgatewaySink

    return PushgatewaySink(config, timeout)


def _otlp_http(config: SinkConfig, timeout: float) -> Sink:
    from bootstrap.report.sinks.otlp_http import OtlpHttpSink

    return OtlpHttpSink(config, timeout)


# kind -> factory(config, timeout seconds). Modules load only when their kind is used.
SINKS: dict[str, Callable[[SinkConfig, float], Sink]] = {
    "file": _file,
    "http-json": _http_json,
    "pushgateway": _pushgateway,
    "otlp-http": _otlp_http,
}


def make_sink(config: SinkConfig, timeout: float | None = None) -> Sink:
    return SINKS[config.kind](config, config.timeout_seconds if timeout is None else timeout)


__all__ = ["SINKS", "Sink", "SinkError", "make_sink"]
