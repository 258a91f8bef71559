"""The one HTTP client, and the one way to download a file.

Every request goes through a client made here: TLS verified, HTTPS required for remote
hosts (plain HTTP only for loopback, as install.sh allows it), short connect timeouts so
an unreachable source fails over fast, a user agent that names the tool and nothing
about the user. httpx is imported lazily: most commands never touch the network.

:func:`download` is what the uv installer and ``cache import URL`` share: redirects
followed by hand (each hop checked, never from https to http), server errors and broken
transfers retried with backoff, one overall deadline for the whole download
(``BOOTSTRAP_DOWNLOAD_DEADLINE``, as install.sh: a server trickling a few bytes a second
never trips a read timeout), and a ``.part`` file that takes the final name only when
complete and is removed whatever happens.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bootstrap import __version__
from bootstrap.errors import BootstrapError, NetworkError

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"bootstrap/{__version__}"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0
DOWNLOAD_DEADLINE = 600.0  # seconds for one download, retries included
MAX_REDIRECTS = 5


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


@dataclass(frozen=True)
class DownloadSettings:
    """install.sh's variables, read the same way: connect and read timeouts, attempts,
    the first backoff, and the overall deadline of one download."""

    connect: float = 5.0
    read: float = READ_TIMEOUT
    retries: int = 3
    delay: float = 1.0
    deadline: float = DOWNLOAD_DEADLINE

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DownloadSettings:
        def num(key: str, default: float) -> float:
            try:
                value = float(environ.get(key, "") or default)
            except ValueError:
                return default
            return value if math.isfinite(value) and value >= 0 else default

        raw = environ.get("BOOTSTRAP_DOWNLOAD_DEADLINE", "")
        if raw and not (raw.isdigit() and int(raw) > 0):
            from bootstrap.errors import UserError

            raise UserError(
                f"BOOTSTRAP_DOWNLOAD_DEADLINE must be a whole number of seconds above 0, "
                f"not {raw!r}",
                fix="unset it (600 s) or set it to e.g. 1800",
                code="net.bad_deadline",
            )
        return cls(
            connect=num("BOOTSTRAP_CONNECT_TIMEOUT", 5.0),
            read=num("BOOTSTRAP_READ_TIMEOUT", READ_TIMEOUT),
            retries=max(1, int(num("BOOTSTRAP_RETRIES", 3))),
            delay=num("BOOTSTRAP_RETRY_DELAY", 1.0),
            deadline=float(raw) if raw else DOWNLOAD_DEADLINE,
        )


class _Retryable(Exception):
    pass


def no_space(directory: Path) -> BootstrapError:
    """The error for a full filesystem while writing under ``directory``."""
    return BootstrapError(
        f"no space left on {directory}",
        fix="free some space there (or point BOOTSTRAP_HOME elsewhere), then run again",
        code="disk.no_space",
    )


def is_no_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def download(
    url: str,
    dest: Path,
    *,
    accept: str = "*/*",
    environ: Mapping[str, str] | None = None,
    code_prefix: str = "net",
) -> str:
    """Stream ``url`` into ``dest`` (through ``.<name>.<pid>.part``); returns the final
    URL. Raises NetworkError (codes ``<code_prefix>.*``), or the no-space error."""
    import httpx

    cfg = DownloadSettings.from_env(os.environ if environ is None else environ)
    until = time.monotonic() + cfg.deadline
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    late = NetworkError(
        f"{url} did not finish downloading within {cfg.deadline:g}s (BOOTSTRAP_DOWNLOAD_DEADLINE)",
        fix="use a faster source, or raise BOOTSTRAP_DOWNLOAD_DEADLINE",
        code=f"{code_prefix}.download_deadline",
    )
    attempt, delay = 1, cfg.delay
    try:
        with client(timeout=cfg.read, connect_timeout=cfg.connect, retries=0) as http:
            while True:
                try:
                    final = _get(http, url, part, accept, _Limits(until, late, code_prefix, cfg))
                    part.replace(dest)
                    return final
                except _Retryable as exc:
                    if attempt >= cfg.retries:
                        raise NetworkError(
                            f"{exc} (gave up after {attempt} attempts)",
                            code=f"{code_prefix}.download_failed",
                        ) from None
                    if time.monotonic() + delay >= until:
                        raise late from None
                    time.sleep(delay)
                    delay *= 2
                    attempt += 1
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise NetworkError(
            f"cannot connect to {url}: {exc}", code=f"{code_prefix}.source_unreachable"
        ) from None
    except httpx.TimeoutException:
        if time.monotonic() >= until:
            raise late from None
        raise NetworkError(
            f"no answer from {url} within the timeout "
            f"(connect {cfg.connect:g}s, read {cfg.read:g}s)",
            code=f"{code_prefix}.source_timeout",
        ) from None
    except OSError as exc:
        if is_no_space(exc):
            raise no_space(dest.parent) from None
        raise
    finally:
        part.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Limits:
    until: float  # time.monotonic() of the deadline
    late: NetworkError  # raised when it passes
    prefix: str  # of the error codes
    cfg: DownloadSettings


def _get(http: httpx.Client, url: str, part: Path, accept: str, lim: _Limits) -> str:
    import httpx

    until, late, prefix, cfg = lim.until, lim.late, lim.prefix, lim.cfg

    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current)
        left = until - time.monotonic()
        if left <= 0:
            raise late
        # No single wait may outlast the deadline either.
        timeout = httpx.Timeout(min(cfg.read, left), connect=min(cfg.connect, left))
        try:
            with http.stream("GET", current, headers={"Accept": accept}, timeout=timeout) as r:
                if r.is_redirect:
                    target = urljoin(current, r.headers.get("location", ""))
                    if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                        raise NetworkError(
                            f"refused {url}: it redirected to {target}, which is not https",
                            code=f"{prefix}.insecure_redirect",
                        )
                    if urlsplit(current).scheme == "http":
                        raise NetworkError(
                            f"refused a redirect (HTTP {r.status_code}) from {current}",
                            code=f"{prefix}.insecure_redirect",
                        )
                    current = target
                    continue
                if r.status_code >= 500 or r.status_code == 429:
                    raise _Retryable(f"HTTP {r.status_code} from {current}")
                if r.status_code != 200:
                    raise NetworkError(
                        f"HTTP {r.status_code} from {current}", code=f"{prefix}.http_error"
                    )
                with part.open("wb") as fh:
                    # Chunks as they arrive (no fixed size), so a trickle is checked too.
                    for chunk in r.iter_bytes():
                        fh.write(chunk)
                        if time.monotonic() >= until:
                            raise late
                return current
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retryable(f"transfer from {current} broke off: {exc}") from None
    raise NetworkError(f"too many redirects from {url}", code=f"{prefix}.too_many_redirects")


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
