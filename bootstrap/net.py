"""The one HTTP client.

Every request goes through a client made here: TLS verified, HTTPS required for remote
hosts (plain HTTP only for loopback, as install.sh allows it), short connect timeouts so
an unreachable source fails over fast, a user agent that names the tool and nothing
about the user. httpx is imported lazily: most commands never touch the network.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bootstrap import __version__
from bootstrap.errors import NetworkError

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"bootstrap/{__version__}"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be used, or None: anything but HTTPS is refused, except plain
    HTTP to a loopback address; so is a URL that does not parse or has no host. The
    same rule as install.sh's; profiles and sink flags are checked with it up front."""
    from bootstrap.redact import redact_url

    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"{shown!r} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{shown!r}: only https (or http to 127.0.0.1/localhost) is allowed"
    if not host:
        return f"{shown!r} has no host"
    if parts.scheme == "http" and not is_loopback_host(host):
        return (
            f"{shown!r}: only https (or http to 127.0.0.1/localhost) is allowed; "
            f"use https://{parts.netloc.rpartition('@')[2]}{parts.path}"
        )
    return None


def check_url(url: str) -> None:
    """Refuse anything but HTTPS, except plain HTTP to a loopback address."""
    problem = url_problem(url)
    if problem is not None:
        raise NetworkError(f"refusing {problem}", code="net.insecure_url")


def client(
    *,
    timeout: float | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    retries: int = 2,
) -> httpx.Client:
    """A configured client. ``retries`` retries connection failures only (httpx's
    transport retries); callers that also retry on HTTP 5xx use :func:`with_retries`."""
    import ssl

    import httpx

    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    t = httpx.Timeout(timeout if timeout is not None else READ_TIMEOUT, connect=connect_timeout)
    return httpx.Client(
        timeout=t,
        verify=ctx,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,  # redirects are followed by hand, re-checked by check_url
        transport=httpx.HTTPTransport(retries=retries, verify=ctx),
        trust_env=True,  # honour HTTPS_PROXY / NO_PROXY and SSL_CERT_FILE like curl does
    )


def system_store_trusts(url: str, timeout: float = CONNECT_TIMEOUT) -> bool:
    """Whether a TLS handshake with ``url``'s server verifies against the system's
    certificate store (OpenSSL's default paths, SSL_CERT_FILE / SSL_CERT_DIR included:
    what curl trusts). No request is sent."""
    import socket
    import ssl

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    ctx = ssl.create_default_context()
    try:
        raw = socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout)
        with raw, ctx.wrap_socket(raw, server_hostname=parts.hostname):
            return True
    except (OSError, ValueError):
        return False
