"""The PromQL in docs/report.md, run by a real Prometheus against a real Pushgateway.

Skipped where Debian's `prometheus` package is not installed (it is optional: the
Pushgateway tests cover the pushed data; this checks the documented fleet queries)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import promstack

from bootstrap.host.facts import HostFacts
from bootstrap.report import SinkConfig, host_summary, new_report
from bootstrap.report.sinks import make_sink

DOC = Path(__file__).resolve().parents[2] / "docs" / "report.md"


def _doc_queries() -> list[str]:
    text = DOC.read_text()
    fleet = text[text.index("## The fleet view") :]
    blocks = re.findall(r"```promql\n(.*?)```", fleet, re.S)
    return [q.strip() for block in blocks for q in block.strip().split("\n\n")]


@pytest.fixture
def prometheus(pushgateway: str, tmp_path: Path) -> Iterator[str]:
    with promstack.prometheus(tmp_path / "prometheus", pushgateway) as url:
        yield url


_query = promstack.query


@pytest.mark.slow
def test_documented_fleet_queries(pushgateway: str, prometheus: str) -> None:
    queries = _doc_queries()
    assert len(queries) == 5, queries
    sink = make_sink(SinkConfig(kind="pushgateway", url=pushgateway, job="fleet-docs"))
    lin = HostFacts(os="linux", os_version="24.04", arch="x86_64", kernel="6.8")
    mac = HostFacts(os="macos", os_version="15.1", arch="arm64", kernel="24.1")
    for i, total in enumerate([10, 20, 30, 40, 100]):
        host = host_summary(lin, "s", hostname=f"linux-{i}", username="u")
        target = "linux-x86_64-cpu"
        sink.send(
            new_report(
                profile="fleet-docs",
                host=host,
                phases={"sync": total / 2},
                total_seconds=total,
                target=target,
                strategy="native",
                first_run_ran=True,
                lock_hash="a" * 16,
            )
        )
    for i, total in enumerate([5, 15]):
        host = host_summary(mac, "s", hostname=f"mac-{i}", username="u")
        sink.send(
            new_report(
                profile="fleet-docs",
                host=host,
                phases={"sync": 1.0},
                total_seconds=total,
                target="macos-arm64-cpu",
                strategy="native",
                first_run_ran=True,
                lock_hash="b" * 16,
            )
        )
    host = host_summary(lin, "s", hostname="broken", username="u")
    sink.send(
        new_report(
            profile="fleet-docs",
            host=host,
            phases={"sync": 1.0},
            total_seconds=3,
            target="linux-x86_64-cpu",
            strategy="native",
            error_code="sync.offline_miss",
        )
    )

    deadline = time.monotonic() + 30
    while True:  # until Prometheus has scraped the gateway once
        p90 = [r for r in _query(prometheus, queries[0]) if r[0].get("profile") == "fleet-docs"]
        if len(p90) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    by_os = {m["os"]: v for m, v in p90}
    # Linear interpolation, as `bootstrap report show` computes it: 10..100 -> 76.
    assert by_os == {"linux": 76.0, "macos": 14.0}
    recent = {m["os"]: v for m, v in _query(prometheus, queries[1]) if m["profile"] == "fleet-docs"}
    assert recent == by_os
    failed = {m["profile"]: v for m, v in _query(prometheus, queries[2])}
    assert failed["fleet-docs"] == pytest.approx(1 / 8)
    (slowest,) = [(m, v) for m, v in _query(prometheus, queries[3]) if m["profile"] == "fleet-docs"]
    assert slowest[0]["phase"] == "sync"
    by_lock = {
        m["lock_hash"]: v for m, v in _query(prometheus, queries[4]) if m["profile"] == "fleet-docs"
    }
    assert by_lock == {"a" * 16: 76.0, "b" * 16: 14.0}
