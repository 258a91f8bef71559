"""``otlp-http``: OTLP/HTTP with the JSON encoding, POSTed to ``<base>/v1/metrics``.

The payload is an ``ExportMetricsServiceRequest`` in OTLP's JSON mapping (lowerCamelCase
fields, 64-bit integers as strings): one resource (service.name "bootstrap", the hashed
host id, OS and arch in semantic-convention names, the profile, target and strategy),
and gauges for the total, each phase, success and the budget."""

from __future__ import annotations

import json
from typing import Any

from bootstrap.report.config import SinkConfig
from bootstrap.report.model import PHASES, TimingReport, parse_time
from bootstrap.report.sinks._http import request

# Semantic-convention values for os.type and host.arch.
_OS_TYPE = {"linux": "linux", "macos": "darwin", "windows": "windows"}
_HOST_ARCH = {"x86_64": "amd64", "arm64": "arm64"}


def metrics_url(config: SinkConfig) -> str:
    base = (config.url or "").rstrip("/")
    return base if base.endswith("/v1/metrics") else base + "/v1/metrics"


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _gauge(
    name: str, unit: str, description: str, points: list[tuple[float, dict[str, Any]]], ts: str
) -> dict[str, Any]:
    return {
        "name": name,
        "unit": unit,
        "description": description,
        "gauge": {
            "dataPoints": [
                {
                    "timeUnixNano": ts,
                    "asDouble": float(value),
                    "attributes": [_attr(k, v) for k, v in attrs.items()],
                }
                for value, attrs in points
            ]
        },
    }


def payload(report: TimingReport) -> dict[str, Any]:
    host = report.host
    resource = {
        "service.name": "bootstrap",
        "service.version": report.tool_version,
        "host.id": host.get("host_id", ""),
        "host.arch": _HOST_ARCH.get(str(host.get("arch")), str(host.get("arch"))),
        "os.type": _OS_TYPE.get(str(host.get("os")), str(host.get("os"))),
        "os.version": host.get("os_version", ""),
        "bootstrap.user_id": host.get("user_id", ""),
        "bootstrap.profile": report.profile,
        "bootstrap.target": report.target or "none",
        "bootstrap.strategy": report.strategy or "none",
        "bootstrap.report_id": report.report_id,
    }
    if report.uv_version:
        resource["bootstrap.uv_version"] = report.uv_version
    if report.lock_hash:
        resource["bootstrap.lock_hash"] = report.lock_hash
    ts = str(int(parse_time(report.created_at).timestamp() * 1e9))
    run = {"outcome": report.outcome}
    if report.error_code:
        run["error.type"] = report.error_code
    metrics = []
    if report.time_to_first_run_seconds is not None:
        # Only a new environment's first successful run is a time to first run.
        metrics.append(
            _gauge(
                "bootstrap.time_to_first_run",
                "s",
                "Seconds from stage 0's start to a new environment's first successful run.",
                [(report.time_to_first_run_seconds, run)],
                ts,
            )
        )
    metrics += [
        _gauge(
            "bootstrap.run.duration",
            "s",
            "Seconds from stage 0's start to the end of the run, by run kind.",
            [(report.total_seconds, {**run, "bootstrap.run_kind": report.run_kind})],
            ts,
        ),
        _gauge(
            "bootstrap.phase.duration",
            "s",
            "Seconds spent in each phase of the run.",
            [
                (value, {"phase": phase})
                for phase in PHASES
                if (value := report.phases.get(phase)) is not None
            ],
            ts,
        ),
        _gauge(
            "bootstrap.success",
            "1",
            "1 if the run reached a successful first run, else 0.",
            [(1.0 if report.outcome == "success" else 0.0, {})],
            ts,
        ),
        _gauge(
            "bootstrap.over_budget",
            "1",
            "1 if the run took longer than the profile's budget, else 0.",
            [(1.0 if report.over_budget else 0.0, {})],
            ts,
        ),
    ]
    if report.budget_seconds is not None:
        metrics.append(
            _gauge(
                "bootstrap.budget", "s", "The profile's budget.", [(report.budget_seconds, {})], ts
            )
        )
    if report.all_green_seconds is not None:
        metrics.append(
            _gauge(
                "bootstrap.all_green",
                "s",
                "Seconds from the start of an onboarding or a restore to its last project green.",
                [(report.all_green_seconds, {"bootstrap.run_kind": report.run_kind})],
                ts,
            )
        )
    if report.projects is not None:
        green = report.projects_green or 0
        metrics.append(
            _gauge(
                "bootstrap.projects",
                "{project}",
                "Projects in an onboarding or a restore, by state.",
                [
                    (float(green), {"state": "green"}),
                    (float(report.projects - green), {"state": "failed"}),
                ],
                ts,
            )
        )
    if report.spool_dropped:
        metrics.append(
            _gauge(
                "bootstrap.spool.dropped",
                "{report}",
                "Undelivered reports this machine dropped from its full spool before this one.",
                [(float(report.spool_dropped), {})],
                ts,
            )
        )
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": [_attr(k, v) for k, v in resource.items()]},
                "scopeMetrics": [
                    {
                        "scope": {"name": "bootstrap.report", "version": report.tool_version},
                        "metrics": metrics,
                    }
                ],
            }
        ]
    }


class OtlpHttpSink:
    def __init__(self, config: SinkConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout

    def send(self, report: TimingReport) -> None:
        request(
            self.config,
            "POST",
            metrics_url(self.config),
            body=json.dumps(payload(report), separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
        )
