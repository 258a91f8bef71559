"""The spool is capped (issue 15, item 3): a sink down for 200 runs no longer leaves
600 entries, 600 lock files and a flush of seconds. Drops are the oldest first, with
their lock files, a warning, and a counter the next report carries."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import cli
from support.reports import Receiver, make_report
from support.servers import free_port

from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import MetricsConfig, SinkConfig, TimingReport, deliver, flush
from bootstrap.report import spool as spool_mod

DAY = 86400.0


def _http(url: str) -> SinkConfig:
    return SinkConfig(kind="http-json", url=url, timeout_seconds=0.5)


def _fill(paths: Paths, facts: HostFacts, sinks: list[SinkConfig], runs: int) -> list[str]:
    """``runs`` failed runs' reports spooled for every sink, one minute apart (oldest
    first), as deliver() leaves them when the sinks are down. Returns the report ids."""
    ids = []
    start = time.time() - runs * 60
    for i in range(runs):
        report = make_report(facts)
        ids.append(report.report_id)
        for sink in sinks:
            claim = spool_mod.add(paths, sink, report)
            assert claim is not None
            claim.release()
            data = spool_mod.entry_path(paths, sink, report.report_id)
            os.utime(data, (start + i * 60, start + i * 60))
    return ids


def _ids(paths: Paths) -> set[str]:
    return {p.stem for p in spool_mod.pending(paths)}


@pytest.mark.usefixtures("metrics_on")
def test_a_spool_filled_past_its_cap_drops_the_oldest_with_their_locks(
    facts: HostFacts, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = [_http(f"http://127.0.0.1:{free_port()}/ingest{i}") for i in range(3)]
    ids = _fill(paths, facts, dead, runs=60)  # 180 entries, 180 lock files
    assert len(spool_mod.pending(paths)) == 180
    assert len(list(paths.spool.glob("*/*.lock"))) == 180
    monkeypatch.setenv("BOOTSTRAP_SPOOL_MAX_ENTRIES", "30")

    start = time.monotonic()
    result = flush(paths, MetricsConfig(salt="s", sinks=tuple(dead)), budget_seconds=5)
    elapsed = time.monotonic() - start

    assert result.dropped == 150
    assert result.warnings == [
        "the metrics spool was over its cap (30 entries, 30 days): dropped the 150 oldest "
        "report(s); the next report counts them (spool_dropped)"
    ]
    assert result.remaining == 30
    assert _ids(paths) == set(ids[-10:])  # the newest 10 runs x 3 sinks
    # Every lock file went with its entry (the 30 kept were released by the flush).
    locks = {p.with_suffix(".json") for p in paths.spool.glob("*/*.lock")}
    assert locks <= set(spool_mod.pending(paths))
    assert elapsed < 5
    assert spool_mod.dropped_count(paths) == 150


@pytest.mark.usefixtures("metrics_on")
def test_entries_older_than_the_age_cap_are_dropped(
    facts: HostFacts, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _http(f"http://127.0.0.1:{free_port()}/ingest")
    ids = _fill(paths, facts, [dead], runs=4)
    old = spool_mod.entry_path(paths, dead, ids[0])
    os.utime(old, (time.time() - 31 * DAY, time.time() - 31 * DAY))
    assert spool_mod.prune(paths, spool_mod.Limits()) == 1  # default: 100 entries, 30 days
    assert _ids(paths) == set(ids[1:])
    assert not old.with_suffix(".lock").exists()
    monkeypatch.setenv("BOOTSTRAP_SPOOL_MAX_AGE_DAYS", "0.0001")  # about 9 seconds
    assert spool_mod.prune(paths, spool_mod.Limits.from_env()) == 3
    assert spool_mod.pending(paths) == []
    assert spool_mod.dropped_count(paths) == 4


@pytest.mark.usefixtures("metrics_on")
def test_deliver_keeps_the_cap_and_the_next_report_counts_the_drops(
    facts: HostFacts, paths: Paths, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _http(f"http://127.0.0.1:{free_port()}/ingest")
    monkeypatch.setenv("BOOTSTRAP_SPOOL_MAX_ENTRIES", "3")
    config = MetricsConfig(salt="s", sinks=(dead,))
    results = [deliver(make_report(facts), config, paths, budget_seconds=1) for _ in range(5)]
    assert [r.dropped for r in results] == [0, 0, 0, 1, 1]
    assert len(spool_mod.pending(paths)) == 3
    assert "dropped the 1 oldest report(s)" in results[-1].warnings[0]

    # The next run's report says how many were dropped, and the counter starts again.
    from bootstrap.report.model import new_report

    taken = spool_mod.take_dropped(paths)
    nxt = make_report(facts, spool_dropped=taken)
    assert nxt.spool_dropped == 2
    assert spool_mod.take_dropped(paths) == 0
    assert TimingReport.from_dict(nxt.to_dict()) == nxt
    assert new_report(profile="p", host={}, phases={}, total_seconds=1).spool_dropped == 0
    # A sink that is back receives the report with the count.
    good = MetricsConfig(salt="s", sinks=(_http(receiver.url),))
    assert deliver(nxt, good, paths).delivered == [f"http-json {receiver.url}"]
    body = receiver.bodies[nxt.report_id]
    assert body.get("report", body)["spool_dropped"] == 2


def test_old_reports_without_the_field_still_read() -> None:
    from bootstrap.report.model import new_report

    d = new_report(profile="p", host={}, phases={}, total_seconds=1).to_dict()
    del d["spool_dropped"]
    assert TimingReport.from_dict(d).spool_dropped == 0
    d["spool_dropped"] = -1
    with pytest.raises(Exception, match="spool_dropped"):
        TimingReport.from_dict(d)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("BOOTSTRAP_SPOOL_MAX_ENTRIES", "0"),
        ("BOOTSTRAP_SPOOL_MAX_ENTRIES", "many"),
        ("BOOTSTRAP_SPOOL_MAX_ENTRIES", "1.5"),
        ("BOOTSTRAP_SPOOL_MAX_AGE_DAYS", "-1"),
        ("BOOTSTRAP_SPOOL_MAX_AGE_DAYS", "nan"),
    ],
)
def test_a_bad_limit_is_one_line_and_exit_2(key: str, value: str, tmp_path: Path) -> None:
    env = {**os.environ, key: value}
    res = cli.bootstrap("report", "flush", env=env, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert f"{key} must be" in res.stderr and repr(value) in res.stderr


@pytest.mark.usefixtures("metrics_on")
def test_a_bad_limit_never_costs_a_report(
    facts: HostFacts, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_SPOOL_MAX_ENTRIES", "lots")
    dead = _http(f"http://127.0.0.1:{free_port()}/ingest")
    result = deliver(make_report(facts), MetricsConfig(salt="s", sinks=(dead,)), paths)
    assert result.spooled == [dead.label]
    assert result.warnings[0].startswith("BOOTSTRAP_SPOOL_MAX_ENTRIES must be a whole number")
    assert len(spool_mod.pending(paths)) == 1
