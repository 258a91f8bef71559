"""Downloads for stage 0's Python twin: :func:`bootstrap.net.download` (timeouts,
retries, redirects checked hop by hop, one overall deadline, a ``.part`` file), with the
``uv.*`` error codes, and the lookup of a file on a simple index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urljoin

from bootstrap import net
from bootstrap.errors import NetworkError


def download(
    url: str,
    dest: Path,
    *,
    accept: str = "*/*",
    environ: Mapping[str, str] | None = None,
) -> str:
    """Stream ``url`` into ``dest``; returns the final URL. Raises NetworkError."""
    return net.download(url, dest, accept=accept, environ=environ, code_prefix="uv")


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
