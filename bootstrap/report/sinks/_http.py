"""The one request helper the HTTP sinks share: net.client(), a bearer token read from
the environment at send time (never stored), and "2xx or it did not happen"."""

from __future__ import annotations

import os

from bootstrap import net
from bootstrap.report.config import SinkConfig
from bootstrap.report.sinks.base import SinkError

BODY_LIMIT = 4096  # of an error answer's body: enough for its first line


def token_header(config: SinkConfig) -> dict[str, str]:
    if not config.token_env:
        return {}
    token = os.environ.get(config.token_env, "")
    if not token:
        raise SinkError(
            f"{config.label}: the token variable {config.token_env} is not set",
            code="report.sink_token_missing",
        )
    return {"Authorization": f"Bearer {token}"}


def request(
    config: SinkConfig,
    method: str,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    ok_statuses: tuple[int, ...] = (),
) -> None:
    """Send and wait for the answer; any status outside 2xx (and ``ok_statuses``) or a
    transport failure raises :class:`SinkError`, naming the sink but not the token."""
    import httpx

    try:
        net.check_url(url)
    except Exception as exc:
        raise SinkError(f"{config.label}: {exc}", code="report.sink_url") from None
    all_headers = {**headers, **token_header(config)}
    try:
        with net.client(timeout=timeout, connect_timeout=timeout, retries=0) as client:  # noqa: SIM117 - Python 3.9
            with client.stream(method, url, content=body, headers=all_headers) as response:
                status = response.status_code
                # The answer's body is read only to quote its first line, and at most
                # BODY_LIMIT bytes of it: a sink answering with gigabytes costs nothing.
                head = b""
                if not (200 <= status < 300 or status in ok_statuses):
                    for chunk in response.iter_bytes(BODY_LIMIT):
                        head += chunk
                        if len(head) >= BODY_LIMIT:
                            break
    except httpx.HTTPError as exc:
        raise SinkError(
            f"{config.label}: {type(exc).__name__}: {exc}",
            code="report.sink_unreachable",
        ) from None
    if 200 <= status < 300 or status in ok_statuses:
        return
    from bootstrap.sanitize import clean_line

    detail = head[:BODY_LIMIT].decode(errors="replace").strip().splitlines()[:1]
    raise SinkError(
        f"{config.label}: HTTP {status}" + (f": {clean_line(detail[0], 200)}" if detail else ""),
        code="report.sink_rejected",
    )
