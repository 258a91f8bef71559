"""Each sink against a real receiver: files, a loopback HTTP server, a real Pushgateway,
and OTLP payloads parsed by the OTLP protobuf classes."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import pytest
from support.reports import Receiver, make_report, scrape

from bootstrap.errors import ConfigError
from bootstrap.host.facts import HostFacts
from bootstrap.report import SinkConfig
from bootstrap.report.prom import grouping_labels, grouping_path
from bootstrap.report.sinks import SinkError, make_sink
from bootstrap.report.sinks.otlp_http import payload


def test_file_sink_jsonl_appends_once_per_report(facts: HostFacts, tmp_path: Path) -> None:
    target = tmp_path / "out" / "reports.jsonl"
    sink = make_sink(SinkConfig(kind="file", path=str(target)))
    a, b = make_report(facts), make_report(facts)
    sink.send(a)
    sink.send(a)  # a retry after a lost acknowledgement
    sink.send(b)
    lines = [json.loads(x) for x in target.read_text().splitlines()]
    assert [x["report_id"] for x in lines] == [a.report_id, b.report_id]


def test_file_sink_directory_holds_one_file_per_report(facts: HostFacts, tmp_path: Path) -> None:
    sink = make_sink(SinkConfig(kind="file", path=str(tmp_path / "reports")))
    a = make_report(facts)
    sink.send(a)
    sink.send(a)
    files = list((tmp_path / "reports").iterdir())
    assert [f.name for f in files] == [f"{a.report_id}.json"]
    assert json.loads(files[0].read_text()) == a.to_dict()


def test_file_sink_failure_raises(facts: HostFacts, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SinkError, match="file "):
        make_sink(SinkConfig(kind="file", path=str(blocker / "reports.jsonl"))).send(
            make_report(facts)
        )


def test_http_json_sends_key_and_token_from_env(
    facts: HostFacts, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-token")
    report = make_report(facts)
    config = SinkConfig(kind="http-json", url=receiver.url + "/ingest", token_env="METRICS_TOKEN")  # noqa: S106
    make_sink(config).send(report)
    headers = receiver.headers[0]
    assert headers["idempotency-key"] == report.report_id
    assert headers["authorization"] == "Bearer s3cret-token"
    assert headers["content-type"] == "application/json"
    assert receiver.bodies[report.report_id] == report.to_dict()
    assert "s3cret" not in json.dumps(config.to_dict())  # only the variable's name is kept


def test_http_json_missing_token_and_rejections_raise(
    facts: HostFacts, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    report = make_report(facts)
    with pytest.raises(SinkError, match="NOPE_TOKEN is not set") as err:
        make_sink(SinkConfig(kind="http-json", url=receiver.url, token_env="NOPE_TOKEN")).send(  # noqa: S106
            report
        )
    assert err.value.code == "report.sink_token_missing"
    receiver.fail_first = 1
    with pytest.raises(SinkError, match="HTTP 503"):
        make_sink(SinkConfig(kind="http-json", url=receiver.url)).send(report)


def test_remote_http_is_refused_when_configured() -> None:
    # Refused where it is configured (validate, --url), not only when a report is sent.
    with pytest.raises(
        ConfigError, match=r"only https \(or http to 127\.0\.0\.1/localhost\) is allowed"
    ):
        SinkConfig(kind="http-json", url="http://metrics.example.com/x")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "kafka", "url": "x"}, "metrics sink kind 'kafka' is unknown"),
        ({"kind": "file"}, "needs `path`"),
        ({"kind": "pushgateway"}, "needs `url`"),
        ({"kind": "http-json", "url": "https://x", "token": "abc"}, "unknown key(s) token"),
        ({"kind": "http-json", "url": "https://x", "timeout_seconds": "2"}, "must be a number"),
        ({"kind": "http-json", "url": "https://x", "timeout_seconds": 0}, "must be > 0"),
    ],
)
def test_sink_config_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SinkConfig.from_dict(raw, where="profile default: metrics.sinks[0]")
    assert message in err.value.message


# -- OTLP --------------------------------------------------------------------------------


def test_otlp_payload_is_a_valid_export_request(facts: HostFacts) -> None:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    report = make_report(facts, error_code="sync.offline_miss")
    # Parse rejects unknown fields and wrongly typed values: the payload is real OTLP/JSON.
    msg = json_format.Parse(json.dumps(payload(report)), ExportMetricsServiceRequest())
    (rm,) = msg.resource_metrics
    attrs = {a.key: a.value for a in rm.resource.attributes}
    assert attrs["service.name"].string_value == "bootstrap"
    assert attrs["host.id"].string_value == report.host["host_id"]
    assert attrs["os.type"].string_value == "linux"
    assert attrs["host.arch"].string_value == "amd64"
    assert attrs["bootstrap.profile"].string_value == "python-service"
    metrics = {m.name: m for m in rm.scope_metrics[0].metrics}
    assert "bootstrap.time_to_first_run" not in metrics  # a failure is no first run
    run = metrics["bootstrap.run.duration"]
    assert run.unit == "s"
    (point,) = run.gauge.data_points
    assert point.as_double == report.total_seconds
    assert {a.key: a.value.string_value for a in point.attributes} == {
        "outcome": "failure",
        "error.type": "sync.offline_miss",
        "bootstrap.run_kind": "first",
    }
    for kind, ran, counted in (
        ("first", True, True),
        ("first", False, False),
        ("resync", True, False),
        ("noop", False, False),
        ("refresh", True, False),
    ):
        sent = payload(make_report(facts, run_kind=kind, first_run_ran=ran))
        names = {m["name"] for m in sent["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]}
        assert ("bootstrap.time_to_first_run" in names) is counted, (kind, ran)
    assert point.time_unix_nano > 1_700_000_000 * 10**9
    phases = {
        next(a.value.string_value for a in p.attributes if a.key == "phase"): p.as_double
        for p in metrics["bootstrap.phase.duration"].gauge.data_points
    }
    assert phases == {k: v for k, v in report.phases.items() if v is not None}
    assert metrics["bootstrap.success"].gauge.data_points[0].as_double == 0.0


def test_otlp_sink_posts_to_v1_metrics(facts: HostFacts, receiver: Receiver) -> None:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    make_sink(SinkConfig(kind="otlp-http", url=receiver.url)).send(make_report(facts))
    make_sink(SinkConfig(kind="otlp-http", url=receiver.url + "/v1/metrics")).send(
        make_report(facts)
    )
    assert receiver.paths == ["/v1/metrics", "/v1/metrics"]
    assert receiver.headers[0]["content-type"] == "application/json"
    for body in receiver.bodies.values():
        json_format.ParseDict(body, ExportMetricsServiceRequest())


# -- Pushgateway ---------------------------------------------------------------------------


def _group(
    samples: list[tuple[str, dict[str, str], float]], job: str
) -> list[tuple[str, dict[str, str], float]]:
    return [s for s in samples if s[1].get("job") == job]


def test_pushgateway_receives_values_and_labels(facts: HostFacts, pushgateway: str) -> None:
    report = make_report(facts)
    make_sink(SinkConfig(kind="pushgateway", url=pushgateway, job="onboarding-a")).send(report)
    samples = _group(scrape(pushgateway), "onboarding-a")
    by_name: dict[str, list[tuple[dict[str, str], float]]] = {}
    for name, labels, value in samples:
        by_name.setdefault(name, []).append((labels, value))
    (ttfr,) = by_name["bootstrap_time_to_first_run_seconds"]
    assert ttfr[1] == 7.5
    assert ttfr[0] == {
        "job": "onboarding-a",
        "profile": "python-service",
        "run_kind": "first",
        "instance": report.host["host_id"][:16],
        "os": "linux",
        "arch": "x86_64",
        "accel": "cu124",
        "target": "linux-x86_64-cu124",
        "strategy": "native",
        "outcome": "success",
    }
    phases = {labels["phase"]: value for labels, value in by_name["bootstrap_phase_seconds"]}
    assert phases == report.phases
    assert by_name["bootstrap_success"][0][1] == 1.0
    assert by_name["bootstrap_over_budget"][0][1] == 0.0
    stamp = by_name["bootstrap_report_timestamp_seconds"][0][1]
    from bootstrap.report.model import parse_time

    assert stamp == pytest.approx(parse_time(report.created_at).timestamp(), abs=1e-3)
    (info,) = by_name["bootstrap_report_info"]
    assert info[0]["report_id"] == report.report_id and info[0]["uv_version"] == "0.13.9"
    assert "push_time_seconds" in by_name  # the gateway accepted the push as a group


def test_pushgateway_replaces_a_machines_group_and_encodes_odd_values(
    facts: HostFacts, pushgateway: str
) -> None:
    config = SinkConfig(kind="pushgateway", url=pushgateway, job="team/onboarding")
    first = make_report(facts, profile="ml/training", total_seconds=30.0)
    second = make_report(facts, profile="ml/training", total_seconds=12.0, error_code="sync.x")
    make_sink(config).send(first)
    make_sink(config).send(second)
    samples = _group(scrape(pushgateway), "team/onboarding")
    ttfr = [(lab, v) for n, lab, v in samples if n == "bootstrap_run_seconds"]
    assert len(ttfr) == 1  # the same machine's group was replaced, not added to
    assert ttfr[0][0]["profile"] == "ml/training"
    assert ttfr[0][1] == 12.0 and ttfr[0][0]["outcome"] == "failure"
    assert not [n for n, _, _ in samples if n == "bootstrap_time_to_first_run_seconds"]
    path = grouping_path(config.job, grouping_labels(second))
    encoded = base64.urlsafe_b64encode(b"ml/training").decode()
    assert f"/profile@base64/{encoded}/" in path and path.startswith("/metrics/job@base64/")


def test_pushgateway_rejects_nothing_we_send_for_empty_values(
    facts: HostFacts, pushgateway: str
) -> None:
    report = make_report(facts, target=None, strategy=None, error_code="plan.no_lock")
    make_sink(SinkConfig(kind="pushgateway", url=pushgateway, job="empty-values")).send(report)
    samples = _group(scrape(pushgateway), "empty-values")
    labels = next(lab for n, lab, _ in samples if n == "bootstrap_success")
    assert labels["target"] == "none" and labels["strategy"] == "none"
    # and the gateway can be told to delete it again (cleanup for the next test)
    req = urllib.request.Request(
        pushgateway + grouping_path("empty-values", grouping_labels(report)), method="DELETE"
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status in (200, 202)


def test_metrics_config_from_profile_settings() -> None:
    from bootstrap.report import MetricsConfig

    table = {
        "enabled": True,
        "salt": "acme",
        "sinks": [
            {"kind": "pushgateway", "url": "https://pg.example.com", "job": "laptops"},
            {"kind": "file", "path": "~/reports.jsonl"},
        ],
    }
    config = MetricsConfig.from_settings(table)
    assert config.salt == "acme" and [s.kind for s in config.sinks] == ["pushgateway", "file"]
    assert config.sinks[0].job == "laptops" and config.sinks[0].timeout_seconds == 2.0

    class Sink:
        def __init__(self, **kw: object) -> None:
            self.kw = kw

        def to_dict(self) -> dict[str, object]:
            return dict(self.kw)

    class Settings:
        enabled = False
        salt = ""
        sinks = (Sink(kind="otlp-http", url="https://otel.example.com"),)

    assert MetricsConfig.from_settings(Settings()) == MetricsConfig(
        enabled=False, sinks=(SinkConfig(kind="otlp-http", url="https://otel.example.com"),)
    )
    assert MetricsConfig.from_settings(None) == MetricsConfig()
    with pytest.raises(ConfigError, match=r"metrics.sinks\[1\]: metrics sink 'file' needs"):
        MetricsConfig.from_settings({"sinks": [table["sinks"][0], {"kind": "file"}]})
    with pytest.raises(ConfigError, match=r"metrics\.enabled must be true or false, found 'yes'"):
        MetricsConfig.from_settings({"enabled": "yes"})


def test_sinks_from_the_environment() -> None:
    from bootstrap.report import MetricsConfig

    base = MetricsConfig(salt="acme", sinks=(SinkConfig(kind="file", path="/tmp/r.jsonl"),))
    env = {"BOOTSTRAP_METRICS_SINKS": '[{"kind": "http-json", "url": "https://m.example.com"}]'}
    merged = base.with_env(env)
    assert [s.kind for s in merged.sinks] == ["file", "http-json"] and merged.salt == "acme"
    assert base.with_env({}) is base
    with pytest.raises(ConfigError, match="BOOTSTRAP_METRICS_SINKS is not JSON"):
        base.with_env({"BOOTSTRAP_METRICS_SINKS": "pushgateway"})
    with pytest.raises(ConfigError, match=r"BOOTSTRAP_METRICS_SINKS\[0\]: missing `kind`"):
        base.with_env({"BOOTSTRAP_METRICS_SINKS": '[{"url": "https://x"}]'})


def test_reports_dropped_from_a_full_spool_reach_the_fleet(
    facts: HostFacts, pushgateway: str
) -> None:
    """The count the next report carries is a metric where the team looks (Pushgateway
    and OTLP), and absent when nothing was dropped."""
    from bootstrap.report.sinks.otlp_http import payload

    report = make_report(facts, spool_dropped=3)
    make_sink(SinkConfig(kind="pushgateway", url=pushgateway, job="dropped")).send(report)
    dropped = [s for s in _group(scrape(pushgateway), "dropped") if "spool_dropped" in s[0]]
    assert [(name, value) for name, _, value in dropped] == [
        ("bootstrap_spool_dropped_reports", 3.0)
    ]
    metrics = payload(report)["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
    (otlp,) = [m for m in metrics if m["name"] == "bootstrap.spool.dropped"]
    assert otlp["gauge"]["dataPoints"][0]["asDouble"] == 3.0
    clean = payload(make_report(facts))["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
    assert "bootstrap.spool.dropped" not in {m["name"] for m in clean}
