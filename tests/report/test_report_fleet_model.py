"""The fleet data model (metrics version 2): one group per machine, profile and run kind;
target, strategy and accel as labels; the lock's hash in the report and on the info
metric."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support.reports import make_report, parse_exposition, scrape

from bootstrap.errors import ConfigError
from bootstrap.host.facts import HostFacts
from bootstrap.report import SinkConfig, TimingReport
from bootstrap.report.model import lock_hash_of
from bootstrap.report.prom import METRICS_VERSION, exposition, grouping_labels
from bootstrap.report.sinks import make_sink


def test_the_grouping_key_is_machine_profile_and_run_kind(facts: HostFacts) -> None:
    report = make_report(facts, target="linux-x86_64-rocm6.2", strategy="devcontainer")
    assert grouping_labels(report) == {
        "profile": "python-service",
        "run_kind": "first",
        "instance": report.host["host_id"][:16],
    }
    samples = parse_exposition(exposition([(report, {})]))
    for _, labels, _ in samples:
        assert labels["accel"] == "rocm6.2"
        assert labels["target"] == "linux-x86_64-rocm6.2"
        assert labels["strategy"] == "devcontainer"
    (info,) = [labels for name, labels, _ in samples if name == "bootstrap_report_info"]
    assert info["metrics_version"] == str(METRICS_VERSION) == "2"
    unplanned = make_report(facts, target=None, strategy=None, error_code="plan.no_lock")
    labels = parse_exposition(exposition([(unplanned, {})]))[0][1]
    assert (labels["accel"], labels["target"], labels["strategy"]) == ("none", "none", "none")


def test_a_machine_that_moves_to_another_target_replaces_its_group(
    facts: HostFacts, pushgateway: str
) -> None:
    """Version 1 kept the old target's group too, and the machine counted twice."""
    sink = make_sink(SinkConfig(kind="pushgateway", url=pushgateway, job="fleet-model"))
    sink.send(make_report(facts, target="linux-x86_64-cu124", total_seconds=30.0))
    sink.send(make_report(facts, target="linux-x86_64-cu126", total_seconds=20.0))
    # A later no-op of the same machine is a group of its own: the onboarding stays.
    sink.send(make_report(facts, run_kind="noop", first_run_ran=False, total_seconds=0.5))
    got = [s for s in scrape(pushgateway) if s[1].get("job") == "fleet-model"]
    ttfr = [(labels, v) for name, labels, v in got if name == "bootstrap_time_to_first_run_seconds"]
    assert [(labels["accel"], v) for labels, v in ttfr] == [("cu126", 20.0)]
    runs = sorted(
        (labels["run_kind"], v) for name, labels, v in got if name == "bootstrap_run_seconds"
    )
    assert runs == [("first", 20.0), ("noop", 0.5)]


def test_the_lock_hash_is_the_lock_files_and_checked_when_read(
    facts: HostFacts, tmp_path: Path
) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_bytes(b"version = 1\n")
    digest = hashlib.sha256(b"version = 1\n").hexdigest()[:16]
    assert lock_hash_of(lock) == digest
    assert lock_hash_of(tmp_path / "missing.lock") is None
    report = make_report(facts, lock_hash=digest)
    assert TimingReport.from_dict(report.to_dict()).lock_hash == digest
    # Something that is not a hash never reaches a report...
    assert make_report(facts, lock_hash="../etc/passwd").lock_hash is None
    # ...and a report that says otherwise is bad input, named.
    bad = {**report.to_dict(), "lock_hash": "XYZ"}
    with pytest.raises(ConfigError, match=r"saved\.json: `lock_hash` must be 16 lower-case hex"):
        TimingReport.from_dict(bad, where="saved.json")
    # A report written before the field existed reads as null.
    old = report.to_dict()
    del old["lock_hash"]
    assert TimingReport.from_dict(old).lock_hash is None
