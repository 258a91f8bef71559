"""Local servers: any handler, or a directory (with fault injection), over HTTP on 127.0.0.1.

The HTTPS twin is tls.py; real Pushgateway/Prometheus/Alertmanager are in promstack.py."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on (at the time of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
