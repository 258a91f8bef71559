"""Fixtures for reports: sample facts, a metrics-on switch, an idempotent HTTP receiver
that can fail or stall on demand, and a real Prometheus Pushgateway on loopback."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from support.promstack import serve
from support.reports import Receiver
from support.servers import free_port, http_server

from bootstrap.host.facts import Distro, Gpu, HostFacts, Libc
from bootstrap.paths import Paths


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
