"""Reports for the report tests: sample reports, what a receiver saw, and a Prometheus text
parser; and, as fixtures for every folder (a plugin of tests/conftest.py): sample facts,
the paths, a metrics-on switch, an idempotent HTTP receiver that can fail or stall on
demand, and a real Prometheus Pushgateway on loopback."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from bootstrap.host.facts import Distro, Gpu, HostFacts, Libc
from bootstrap.paths import Paths
from bootstrap.report import TimingReport, host_summary, new_report
from support.promstack import serve
from support.servers import Served, free_port, http_server

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


@pytest.fixture
def facts() -> HostFacts:
    return HostFacts(
        os="linux",
        os_version="24.04",
        arch="x86_64",
        kernel="6.8.0-45-generic",
        distro=Distro("ubuntu", "24.04", ("debian",)),
        libc=Libc("glibc", "2.39"),
        cpu_count=16,
        memory_bytes=33_470_000_000,
        gpus=(
            Gpu(
                "nvidia", "NVIDIA GeForce RTX 4090", driver_version="550.54.14", cuda_version="12.4"
            ),
        ),
    )


@pytest.fixture
def paths() -> Paths:
    return Paths.from_env()


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite turns metrics off by default; tests that exercise sinks turn them on."""
    monkeypatch.delenv("BOOTSTRAP_NO_METRICS", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.seen += 1
                number = state.seen
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
                state.paths.append(self.path)
            state.arrived.set()
            if state.delay:
                time.sleep(state.delay)
            if number <= state.fail_first:
                self._answer(503, b'{"error":"try later"}')
                return
            key = self.headers.get("Idempotency-Key") or f"no-key-{number}"
            with state.lock:
                if key in state.accepted:
                    state.replays[key] = state.replays.get(key, 0) + 1
                else:
                    state.accepted[key] = 1
                    state.bodies[key] = json.loads(body)
            self._answer(200, b'{"ok":true}')

        def _answer(self, code: int, body: bytes) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (budget) or was killed
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    with http_server(Handler) as served:
        state.served = served
        yield state


@pytest.fixture(scope="session")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus Pushgateway (Debian's prometheus-pushgateway) on loopback."""
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        pytest.skip(
            "prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway)"
        )
    port = free_port()
    argv = [
        binary,
        f"--web.listen-address=127.0.0.1:{port}",
        # Debian's build persists to /var/lib/prometheus by default: keep tests in memory.
        "--persistence.file=",
        "--log.level=warn",
    ]
    log = tmp_path_factory.mktemp("pushgateway") / "log.txt"
    with serve(argv, f"http://127.0.0.1:{port}", log, "pushgateway") as url:
        yield url
