"""An HTTPS server on 127.0.0.1 with a throw-away self-signed certificate (openssl)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_MADE: dict[str, tuple[Path, Path]] = {}


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made once per session (keygen is slow)."""
    if "cert" in _MADE and _MADE["cert"][0].exists():
        return _MADE["cert"]
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    _MADE["cert"] = (cert, key)
    return cert, key


@contextmanager
def serve_tls(directory: Path, redirect_base: str) -> Iterator[tuple[str, Path]]:
    """Serve HTTPS that answers every GET with a redirect to ``redirect_base`` + path's
    tail. Yields (base URL, CA file to trust)."""
    cert, key = make_cert(directory)

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            tail = self.path.split("/mirror", 1)[-1]
            self.send_response(302)
            self.send_header("Location", redirect_base + tail)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
