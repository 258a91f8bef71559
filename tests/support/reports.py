"""Reports for the report tests: sample reports, what a receiver saw, and a Prometheus text
parser."""

from __future__ import annotations

import re
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.report import TimingReport, host_summary, new_report
from support.servers import Served

SALT = "test-org-salt"


def make_report(facts: HostFacts, **overrides: Any) -> TimingReport:
    args: dict[str, Any] = {
        "profile": "python-service",
        "host": host_summary(facts, SALT),
        "phases": {"detect": 0.12, "plan": 0.01, "uv": 0.3, "sync": 2.5, "first_run": 1.25},
        "total_seconds": 7.5,
        "target": "linux-x86_64-cu124",
        "strategy": "native",
        "uv_version": "0.13.9",
        "budget_seconds": 60.0,
        "run_kind": "first",
        "first_run_ran": True,
    }
    args.update(overrides)
    return new_report(**args)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text exposition: (name, labels, value)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = {
            k: v.encode().decode("unicode_escape") for k, v in _LABEL.findall(m.group(2) or "")
        }
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        return parse_exposition(r.read().decode())


@dataclass
class Receiver:
    """What an idempotent ingest endpoint saw. ``accepted`` counts first deliveries per
    Idempotency-Key; ``replays`` counts keys it had already accepted."""

    fail_first: int = 0  # answer 503 to this many requests
    delay: float = 0.0  # seconds to wait before answering (a slow or stalled server)
    accepted: dict[str, int] = field(default_factory=dict)
    replays: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, Any] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    seen: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    served: Served | None = None

    @property
    def url(self) -> str:
        assert self.served is not None
        return self.served.url
