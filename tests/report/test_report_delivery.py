"""Delivery: budgets, the spool, exactly-once per sink, opt-outs, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from support.reports import Receiver, make_report
from support.servers import free_port

from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import MetricsConfig, SinkConfig, deliver, flush, history, record
from bootstrap.report import spool as spool_mod
from bootstrap.report.model import SCHEMA_FILE

REPO = Path(__file__).resolve().parents[2]


def _config(*sinks: SinkConfig, enabled: bool = True) -> MetricsConfig:
    return MetricsConfig(enabled=enabled, salt="s", sinks=sinks)


def _http(url: str, timeout: float = 2.0) -> SinkConfig:
    return SinkConfig(kind="http-json", url=url, timeout_seconds=timeout)


@pytest.mark.usefixtures("metrics_on")
def test_fails_twice_then_delivered_exactly_once(
    facts: HostFacts, paths: Paths, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    report = make_report(facts)
    config = _config(_http(receiver.url), _http(receiver.url))  # listed twice: one sink
    first = deliver(report, config, paths)
    assert first.delivered == [] and first.spooled == [f"http-json {receiver.url}"]
    assert "HTTP 503" in first.errors[0]
    assert len(spool_mod.pending(paths)) == 1
    second = flush(paths, config)
    assert second.delivered == [] and second.remaining == 1
    third = flush(paths, config)
    assert third.delivered == [f"http-json {receiver.url} {report.report_id}"]
    assert third.remaining == 0 and spool_mod.pending(paths) == []
    assert not list(paths.spool.glob("*/*.lock"))  # no lock files left behind
    fourth = flush(paths, config)
    assert fourth.delivered == [] and fourth.errors == []
    assert receiver.seen == 3
    assert receiver.accepted == {report.report_id: 1} and receiver.replays == {}


@pytest.mark.usefixtures("metrics_on")
def test_a_down_sink_costs_at_most_the_budget_and_the_next_run_delivers(
    facts: HostFacts, paths: Paths, receiver: Receiver, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/ingest"  # nothing listens: connection refused
    receiver.delay = 1.5  # a stalled server: accepts the connection, answers late
    jsonl = tmp_path / "local.jsonl"
    config = _config(
        _http(dead),
        _http(receiver.url, timeout=10.0),
        SinkConfig(kind="file", path=str(jsonl)),
    )
    report = make_report(facts)
    start = time.monotonic()
    result = record(paths, report, config, budget_seconds=0.5)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, elapsed
    assert result.delivered == [f"file {jsonl}"]
    assert sorted(result.spooled) == sorted([f"http-json {dead}", f"http-json {receiver.url}"])
    assert any("no answer within 0.5s" in e for e in result.errors)
    assert history.load(paths) == [report]  # the history never depends on sinks
    assert len(spool_mod.pending(paths)) == 2
    # The next run (in another process, a moment later): the stalled request gave up at
    # the budget and released its entry. The server may still take that stale request
    # late; the idempotency key keeps it from counting twice.
    time.sleep(0.3)
    receiver.delay = 0.0
    later = flush(paths, _config(_http(receiver.url, timeout=10.0)), budget_seconds=5.0)
    assert later.delivered == [f"http-json {receiver.url} {report.report_id}"]
    assert later.busy == 0
    # The dead sink's entry stays until that sink acknowledges it.
    assert [p.parent.name for p in spool_mod.pending(paths)] == [_http(dead).key]
    time.sleep(1.3)  # the stale request's handler finishes
    assert receiver.accepted == {report.report_id: 1}
    assert sum(receiver.replays.values()) == 1


@pytest.mark.parametrize(
    "case",
    [
        ({"DO_NOT_TRACK": "1"}, True, "DO_NOT_TRACK is set"),
        ({"BOOTSTRAP_NO_METRICS": "1"}, True, "BOOTSTRAP_NO_METRICS is set"),
        ({}, False, "metrics.enabled = false"),
    ],
)
def test_opt_outs_keep_remote_sinks_off_and_the_history_on(
    facts: HostFacts,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[dict[str, str], bool, str],
) -> None:
    env, enabled, reason = case
    paths = Paths.from_env()
    monkeypatch.delenv("BOOTSTRAP_NO_METRICS", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    jsonl = tmp_path / "local.jsonl"
    config = _config(_http(receiver.url), SinkConfig(kind="file", path=str(jsonl)), enabled=enabled)
    report = make_report(facts)
    result = record(paths, report, config)
    assert result.skipped_reason == reason
    assert result.delivered == [f"file {jsonl}"] and result.spooled == []
    assert receiver.seen == 0 and spool_mod.pending(paths) == []
    assert history.load(paths) == [report]


def test_opt_out_holds_spooled_reports_instead_of_sending_them(
    facts: HostFacts, paths: Paths, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOOTSTRAP_NO_METRICS", raising=False)
    report = make_report(facts)
    receiver.fail_first = 1
    deliver(report, _config(_http(receiver.url)), paths)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    held = flush(paths)
    assert held.held == 1 and held.remaining == 1 and receiver.seen == 1
    monkeypatch.delenv("DO_NOT_TRACK")
    assert flush(paths).remaining == 0
    assert receiver.accepted == {report.report_id: 1}


V2_ONLY = (
    "run_kind",
    "first_run_ran",
    "time_to_first_run_seconds",
    "upgraded_from",
    "lock_hash",
    "attempts",
    "since_first_attempt_seconds",
    "projects",
    "projects_green",
    "all_green_seconds",
)


def as_v1(report: dict[str, object]) -> dict[str, object]:
    """The same run as version 1 wrote it: no v2 fields, v1's phases only."""
    v1 = {k: v for k, v in report.items() if k not in V2_ONLY}
    v1["schema_version"] = 1
    v1["phases"] = {"detect": 0.1, "plan": 0.01, "sync": 2.5, "first_run": 1.25}
    return v1


@pytest.mark.usefixtures("metrics_on")
def test_a_version_1_report_in_the_spool_is_delivered_as_version_2(
    facts: HostFacts, paths: Paths, receiver: Receiver
) -> None:
    import jsonschema

    receiver.fail_first = 1
    report = make_report(facts)
    deliver(report, _config(_http(receiver.url)), paths)
    (entry,) = spool_mod.pending(paths)
    body = json.loads(entry.read_text())
    body["report"] = as_v1(body["report"])
    old_schema = json.loads((REPO / "bootstrap/report/timing-report-v1.schema.json").read_text())
    jsonschema.validate(body["report"], old_schema)  # what version 1 really wrote
    entry.write_text(json.dumps(body))
    paths.history.parent.mkdir(parents=True, exist_ok=True)
    with paths.history.open("a") as fh:  # and a version 1 line in the history
        fh.write(json.dumps(as_v1({**report.to_dict(), "report_id": str(uuid.uuid4())})) + "\n")
    result = flush(paths)
    assert result.delivered == [f"http-json {receiver.url} {report.report_id}"], result
    sent = receiver.bodies[report.report_id]
    assert sent["schema_version"] == 2 and sent["upgraded_from"] == 1
    assert sent["run_kind"] == "first" and sent["time_to_first_run_seconds"] == 7.5
    jsonschema.validate(sent, json.loads(SCHEMA_FILE.read_text()))
    (old,) = history.load(paths)[-1:]
    assert old.upgraded_from == 1 and old.schema_version == 2


@pytest.mark.usefixtures("metrics_on")
def test_a_corrupt_spool_entry_is_moved_aside_not_deleted(
    facts: HostFacts, paths: Paths, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    good = make_report(facts)
    deliver(good, _config(_http(receiver.url)), paths)
    (entry,) = spool_mod.pending(paths)
    broken = entry.with_name("0f0f0f0f-0000-4000-8000-000000000000.json")
    broken.write_bytes(b'{"spool_version": 1, "sink": {"kind": "http-json"')
    mangled = entry.with_name("1f0f0f0f-0000-4000-8000-000000000000.json")
    mangled.write_text(json.dumps({"spool_version": 1, "sink": {"kind": "carrier-pigeon"}}))
    result = flush(paths)
    assert result.delivered == [f"http-json {receiver.url} {good.report_id}"]
    assert len(result.corrupt) == 2
    assert any("not readable JSON" in c for c in result.corrupt)
    assert any("carrier-pigeon" in c for c in result.corrupt)
    kept = sorted(p.name for p in spool_mod.corrupt_files(paths))
    assert kept == [f"{entry.parent.name}-{broken.name}", f"{entry.parent.name}-{mangled.name}"]
    assert (paths.spool / "corrupt" / kept[0]).read_bytes().startswith(b'{"spool_version": 1')
    assert spool_mod.pending(paths) == []


@pytest.mark.usefixtures("metrics_on")
def test_two_flushes_at_once_never_send_a_report_twice(
    facts: HostFacts, paths: Paths, receiver: Receiver
) -> None:
    receiver.fail_first = 6
    reports = [make_report(facts) for _ in range(6)]
    config = _config(_http(receiver.url))
    for r in reports:
        deliver(r, config, paths)
    assert len(spool_mod.pending(paths)) == 6
    receiver.delay = 0.2
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(flush(paths, config))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = [d for r in results for d in r.delivered]
    assert len(delivered) == len(set(delivered)) == 6
    assert receiver.accepted == {r.report_id: 1 for r in reports}
    assert receiver.replays == {}
    assert receiver.seen == 6 + 6  # six failures, then each report sent once
    assert spool_mod.pending(paths) == []


@pytest.mark.usefixtures("metrics_on")
def test_kill_9_during_a_flush_loses_nothing_and_duplicates_nothing(
    facts: HostFacts, paths: Paths, receiver: Receiver
) -> None:
    receiver.fail_first = 4
    reports = [make_report(facts) for _ in range(4)]
    config = _config(_http(receiver.url, timeout=10.0))
    for r in reports:
        deliver(r, config, paths)
    receiver.delay = 1.0
    receiver.arrived.clear()
    env = {**os.environ, "BOOTSTRAP_HOME": str(paths.state.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bootstrap", "report", "flush"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.arrived.wait(20), "the flush never reached the server"
        time.sleep(0.3)  # requests are in flight: the server has them, no answer yet
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    in_flight = receiver.seen - 4
    assert in_flight >= 1
    time.sleep(1.0)  # let the server finish handling the killed client's requests
    assert len(spool_mod.pending(paths)) == 4  # nothing acknowledged: all still spooled
    receiver.delay = 0.0
    result = flush(paths, config)
    assert result.remaining == 0 and len(result.delivered) == 4
    # Every report arrived exactly once as far as the idempotent server is concerned;
    # the ones the killed flush had already sent came again and were recognised.
    assert receiver.accepted == {r.report_id: 1 for r in reports}
    assert sum(receiver.replays.values()) == in_flight
    assert not list(paths.spool.glob("*/*.lock"))


@pytest.mark.usefixtures("metrics_on")
def test_the_spool_never_holds_a_token(
    facts: HostFacts, paths: Paths, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_TOKEN", "tok-123456")
    receiver.fail_first = 1
    sink = SinkConfig(kind="http-json", url=receiver.url, token_env="INGEST_TOKEN")  # noqa: S106
    deliver(make_report(facts), _config(sink), paths)
    (entry,) = spool_mod.pending(paths)
    text = entry.read_text()
    assert "tok-123456" not in text and '"token_env":"INGEST_TOKEN"' in text
    assert flush(paths).remaining == 0
    assert receiver.headers[-1]["authorization"] == "Bearer tok-123456"


@pytest.mark.usefixtures("metrics_on")
def test_a_spool_that_cannot_be_written_still_sends(
    facts: HostFacts, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "spool").write_text("not a directory")
    paths = Paths(data=tmp_path / "data", state=state, cache=tmp_path / "cache")
    result = deliver(make_report(facts), _config(_http(receiver.url)), paths)
    assert result.delivered == [f"http-json {receiver.url}"]
    assert len(receiver.accepted) == 1


@pytest.mark.usefixtures("metrics_on")
def test_flush_stops_at_its_budget(facts: HostFacts, paths: Paths, receiver: Receiver) -> None:
    receiver.fail_first = 5
    config = _config(_http(receiver.url, timeout=10.0))
    for _ in range(5):
        deliver(make_report(facts), config, paths)
    receiver.delay = 3.0
    start = time.monotonic()
    result = flush(paths, config, budget_seconds=0.5)
    assert time.monotonic() - start < 1.0
    assert result.delivered == [] and result.remaining == 5


@pytest.mark.netns
def test_a_machine_with_no_network_waits_no_longer_than_the_budget(tmp_path: Path) -> None:
    """A laptop that is offline: no interfaces at all, not even loopback. Remote sinks
    fail fast or time out inside the budget; the reports are spooled for later."""
    from support.network import netns_available, offline

    if not netns_available():
        pytest.skip("`unshare -n` is not available here")
    script = """
import json, sys, time
from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import MetricsConfig, SinkConfig, host_summary, new_report, record
facts = HostFacts(os="linux", os_version="24.04", arch="x86_64", kernel="6.8")
r = new_report(profile="p", host=host_summary(facts, "s"), phases={}, total_seconds=1.0)
sinks = (
    SinkConfig(kind="pushgateway", url="https://pushgateway.example.com"),
    SinkConfig(kind="http-json", url="http://127.0.0.1:9/ingest"),
    SinkConfig(kind="otlp-http", url="https://[2001:db8::1]:4318"),
)
t = time.monotonic()
d = record(Paths.from_env(), r, MetricsConfig(sinks=sinks), budget_seconds=1.5)
print(json.dumps({"seconds": time.monotonic() - t, "spooled": len(d.spooled)}))
"""
    env = {**os.environ, "BOOTSTRAP_HOME": str(tmp_path / "home")}
    env.pop("BOOTSTRAP_NO_METRICS", None)
    env.pop("DO_NOT_TRACK", None)
    proc = subprocess.run(
        offline([sys.executable, "-c", script]),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["spooled"] == 3 and out["seconds"] < 2.0
    paths = Paths.from_env(env)
    assert len(spool_mod.pending(paths)) == 3
    assert len(history.load(paths)) == 1


@pytest.mark.usefixtures("metrics_on")
def test_a_report_that_can_be_neither_spooled_nor_sent_is_named(
    facts: HostFacts, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "spool").write_text("not a directory")
    paths = Paths(data=tmp_path / "data", state=state, cache=tmp_path / "cache")
    dead = f"http://127.0.0.1:{free_port()}/ingest"
    result = record(paths, make_report(facts), _config(_http(dead)), budget_seconds=1.0)
    assert result.delivered == [] and result.spooled == []
    assert any("not delivered and not spooled" in e for e in result.errors)
    assert len(history.load(paths)) == 1
