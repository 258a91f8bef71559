"""Shared test helpers: a loopback HTTP server and the no-network namespace check."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable


@functools.lru_cache(maxsize=1)
def netns_available() -> bool:
    """True when `unshare -n` can make a namespace with no network at all."""
    if not shutil.which("unshare"):
        return False
    try:
        argv = ["unshare", "-n", "true"]
        probe = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        return probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def offline(argv: list[str]) -> list[str]:
    """Wrap ``argv`` to run with no network interfaces (not even a live loopback)."""
    return ["unshare", "-n", *argv]


class Served:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[tuple[str, str]] = []  # (method, path), in arrival order

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def http_server(
    handler: type[BaseHTTPRequestHandler],
) -> Iterator[Served]:
    """Run ``handler`` on 127.0.0.1 at a free port in a background thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    served = Served(server)
    server.served = served  # type: ignore[attr-defined]  # handlers record requests here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_directory(
    root: Path,
    *,
    hook: Callable[[BaseHTTPRequestHandler], bool] | None = None,
) -> Iterator[Served]:
    """Serve ``root`` over HTTP on loopback. ``hook(handler)`` runs first on every GET and
    returns True when it has answered the request itself (fault injection)."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            self.server.served.requests.append(("GET", self.path))  # type: ignore[attr-defined]
            if hook is not None and hook(self):
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with http_server(Handler) as served:
        yield served


def pypi_reachable() -> bool:
    """True when PyPI answers a TCP connect within 3 s (tests marked `network` need it)."""
    import socket

    try:
        with socket.create_connection(("pypi.org", 443), timeout=3):
            return True
    except OSError:
        return False
