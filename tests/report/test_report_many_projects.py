"""The report of a run over several projects (onboard, restore): its fields, checks and
metrics."""

from __future__ import annotations

import dataclasses

import pytest

from bootstrap.errors import ConfigError
from bootstrap.report.model import TimingReport, new_report
from bootstrap.report.prom import samples


def _report(green: int, total: int) -> TimingReport:
    base = new_report(profile="onboard:team", host={"os": "linux", "arch": "x86_64"}, phases={},
                      total_seconds=12.5, run_kind="onboard",
                      error_code=None if green == total else "onboard.project_failed")  # fmt: skip
    return dataclasses.replace(base, projects=total, projects_green=green,
                               all_green_seconds=12.5 if green == total else None)  # fmt: skip


def test_all_green_round_trips_and_is_a_metric() -> None:
    report = _report(3, 3)
    back = TimingReport.from_dict(report.to_dict())
    assert back == report
    got = {(name, labels.get("state")): value for name, labels, value in samples(report)}
    assert got[("bootstrap_all_green_seconds", None)] == 12.5
    assert got[("bootstrap_projects", "green")] == 3.0
    assert got[("bootstrap_projects", "failed")] == 0.0
    assert ("bootstrap_time_to_first_run_seconds", None) not in got


def test_not_all_green_has_no_all_green_time() -> None:
    report = _report(2, 3)
    names = [name for name, _, _ in samples(report)]
    assert "bootstrap_all_green_seconds" not in names
    assert report.outcome == "failure"
    got = {(n, lab.get("state")): v for n, lab, v in samples(report)}
    assert got[("bootstrap_projects", "failed")] == 1.0


@pytest.mark.parametrize(
    ("key", "value"),
    [("projects", -1), ("projects_green", True), ("all_green_seconds", -0.5),
     ("all_green_seconds", "fast"), ("run_kind", "onboarding")],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_key(key: str, value: object) -> None:
    data = _report(3, 3).to_dict()
    data[key] = value
    with pytest.raises(ConfigError, match=key):
        TimingReport.from_dict(data)


def test_a_single_project_report_keeps_them_null() -> None:
    one = new_report(profile="svc", host={}, phases={}, total_seconds=1.0)
    data = one.to_dict()
    assert (data["projects"], data["projects_green"], data["all_green_seconds"]) == (None,) * 3
    assert not [
        n for n, _, _ in samples(one) if n in ("bootstrap_projects", "bootstrap_all_green_seconds")
    ]


def test_the_otlp_payload_carries_the_time_to_all_green() -> None:
    from bootstrap.report.sinks.otlp_http import payload

    metrics = payload(_report(3, 3))["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
    by_name = {m["name"]: m["gauge"]["dataPoints"] for m in metrics}
    assert by_name["bootstrap.all_green"][0]["asDouble"] == 12.5
    states = {p["attributes"][0]["value"]["stringValue"]: p["asDouble"]
              for p in by_name["bootstrap.projects"]}  # fmt: skip
    assert states == {"green": 3.0, "failed": 0.0}
    assert "bootstrap.all_green" not in {m["name"] for m in payload(_report(1, 3))[
        "resourceMetrics"][0]["scopeMetrics"][0]["metrics"]}  # fmt: skip
