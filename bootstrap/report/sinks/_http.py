"""The one request helper the HTTP sinks share: net.client(), a bearer token read from
the environment at send time (never stored), and "2xx or it did not happen"."""

from __future__ import annotations

import os

from bootstrap import net
from bootstrap.report.config import SinkConfig
from bootstrap.report.sinks import SinkError


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
        with net.client(timeout=timeout, connect_timeout=timeout, retries=0) as client:
            response = client.request(method, url, content=body, headers=all_headers)
    except httpx.HTTPError as exc:
        raise SinkError(
            f"{config.label}: {type(exc).__name__}: {exc}", code="report.sink_unreachable"
        ) from None
    if 200 <= response.status_code < 300 or response.status_code in ok_statuses:
        return
    detail = response.text.strip().splitlines()[:1]
    raise SinkError(
        f"{config.label}: HTTP {response.status_code}" + (f": {detail[0][:200]}" if detail else ""),
        code="report.sink_rejected",
    )
