"""Downloads for stage 0's Python twin: streamed to disk through the one HTTP client.

Redirects are followed by hand so each hop is checked (https only, http only to
loopback, never a downgrade from https to http). Server errors (5xx, 429) and broken
transfers are retried with backoff; an unreachable host (DNS, connect refused, connect
timeout) fails at once so the next source is tried quickly.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from bootstrap import net
from bootstrap.errors import NetworkError

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5


def _settings(environ: Mapping[str, str]) -> tuple[float, float, int, float]:
    def num(key: str, default: float) -> float:
        try:
            return float(environ.get(key, "") or default)
        except ValueError:
            return default

    return (
        num("BOOTSTRAP_CONNECT_TIMEOUT", 5.0),
        num("BOOTSTRAP_READ_TIMEOUT", 30.0),
        int(num("BOOTSTRAP_RETRIES", 3)),
        num("BOOTSTRAP_RETRY_DELAY", 1.0),
    )


def download(
    url: str,
    dest: Path,
    *,
    accept: str = "*/*",
    environ: Mapping[str, str] | None = None,
) -> str:
    """Stream ``url`` into ``dest``; returns the final URL. Raises NetworkError."""
    import httpx

    env = os.environ if environ is None else environ
    connect, read, retries, delay = _settings(env)
    attempt = 1
    try:
        with net.client(timeout=read, connect_timeout=connect, retries=0) as client:
            while True:
                try:
                    return _get(client, url, dest, accept)
                except _Retryable as exc:
                    if attempt >= retries:
                        raise NetworkError(
                            f"{exc} (gave up after {attempt} attempts)",
                            code="uv.download_failed",
                        ) from None
                    time.sleep(delay)
                    delay *= 2
                    attempt += 1
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        dest.unlink(missing_ok=True)
        raise NetworkError(
            f"cannot connect to {url}: {exc}", code="uv.source_unreachable"
        ) from None
    except httpx.TimeoutException:
        dest.unlink(missing_ok=True)
        raise NetworkError(
            f"no answer from {url} within the timeout (connect {connect:g}s, read {read:g}s)",
            code="uv.source_timeout",
        ) from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


class _Retryable(Exception):
    pass


def _get(client: httpx.Client, url: str, dest: Path, accept: str) -> str:
    import httpx

    current = url
    for _ in range(MAX_REDIRECTS + 1):
        net.check_url(current)
        try:
            with client.stream("GET", current, headers={"Accept": accept}) as resp:
                if resp.is_redirect:
                    target = urljoin(current, resp.headers.get("location", ""))
                    if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                        raise NetworkError(
                            f"refused {url}: it redirected to {target}, which is not https",
                            code="uv.insecure_redirect",
                        )
                    if urlsplit(current).scheme == "http":
                        raise NetworkError(
                            f"refused a redirect (HTTP {resp.status_code}) from {current}",
                            code="uv.insecure_redirect",
                        )
                    current = target
                    continue
                if resp.status_code >= 500 or resp.status_code == 429:
                    raise _Retryable(f"HTTP {resp.status_code} from {current}")
                if resp.status_code != 200:
                    raise NetworkError(
                        f"HTTP {resp.status_code} from {current}", code="uv.http_error"
                    )
                with dest.open("wb") as fh:
                    for chunk in resp.iter_bytes(1 << 20):
                        fh.write(chunk)
                return current
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retryable(f"transfer from {current} broke off: {exc}") from None
    raise NetworkError(f"too many redirects from {url}", code="uv.too_many_redirects")


_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def index_url_for(
    index: str, project: str, filename: str, workdir: Path, environ: Mapping[str, str] | None = None
) -> str:
    """The URL of ``filename`` on a simple index (PEP 691 JSON or PEP 503 HTML)."""
    import json

    page = index.rstrip("/") + f"/{project}/"
    out = workdir / "index.page"
    final = download(
        page,
        out,
        accept="application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        environ=environ,
    )
    body = out.read_text(encoding="utf-8", errors="replace")
    out.unlink()
    if body.lstrip().startswith("{"):
        try:
            files = json.loads(body).get("files", [])
        except ValueError:
            files = []
        for entry in files:
            if isinstance(entry, dict) and entry.get("filename") == filename:
                return str(urljoin(final, str(entry.get("url", ""))))
    else:
        for href in _HREF.findall(body):
            clean = href.replace("&amp;", "&").split("#", 1)[0]
            if clean.rsplit("/", 1)[-1] == filename:
                return str(urljoin(final, clean))
    raise NetworkError(f"{filename} is not listed on {page}", code="uv.not_on_index")
