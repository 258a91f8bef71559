"""First run: start the service on a free loopback port, call it twice, stop, exit 0.

`python -m service --serve` keeps it running instead.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from service import default_app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _get(base: str, path: str) -> dict[str, object]:
    with urllib.request.urlopen(base + path, timeout=10) as resp:  # noqa: S310
        body: dict[str, object] = json.loads(resp.read())
        return body


def main(argv: list[str]) -> int:
    if "--serve" in argv:
        make_server("127.0.0.1", 8080, default_app()).serve_forever()
        return 0
    server: WSGIServer = make_server("127.0.0.1", 0, default_app(), handler_class=_Quiet)
    # A short poll interval: shutdown() waits for the next poll (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        health = _get(base, "/health")
        who = _get(base, f"/whoami/{health['token']}")
    finally:
        server.shutdown()
    if health.get("status") != "ok" or who != {"user": "probe"}:
        print(f"service answered unexpectedly: {health} {who}", file=sys.stderr)
        return 1
    print(f"service ok on port {server.server_port}: /health -> ok, token -> {who}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
