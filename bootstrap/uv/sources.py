"""Where the pinned uv may come from, in the configured order.

The same four sources and environment variables as install.sh:

- ``local``   ``BOOTSTRAP_UV_LOCAL``: a directory holding the artifact, or the file itself
- ``mirror``  ``BOOTSTRAP_UV_MIRROR_URL``: ``<base>/<version>/uv-<triple>.tar.gz|.zip``
- ``index``   ``BOOTSTRAP_UV_INDEX_URL`` (else ``UV_INDEX_URL``, ``PIP_INDEX_URL``, PyPI):
              a PEP 503 / PEP 691 simple index serving the ``uv`` wheel
- ``release`` ``BOOTSTRAP_UV_RELEASE_URL``: the official release layout

A source that is not configured, or whose artifact has no pinned checksum, is skipped
with a reason. The checksum is always the pinned one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bootstrap.errors import UserError

NAMES = ("local", "mirror", "index", "release")
DEFAULT_ORDER = ("local", "mirror", "index", "release")
DEFAULT_INDEX = "https://pypi.org/simple"
DEFAULT_RELEASE = "https://releases.astral.sh/github/uv/releases/download"


@dataclass(frozen=True)
class Source:
    name: str
    location: str  # a URL (mirror, index, release) or a path (local)


def order(
    names: Sequence[str] | str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    env = os.environ if environ is None else environ
    raw: Sequence[str] | str = (
        names if names else env.get("BOOTSTRAP_UV_SOURCES", "") or DEFAULT_ORDER
    )
    items = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else list(raw)
    items = [n for n in items if n]
    bad = [n for n in items if n not in NAMES]
    if bad or not items:
        raise UserError(
            f"unknown uv source {', '.join(bad) or '(empty list)'}: "
            f"expected a comma-separated list of {', '.join(NAMES)}",
            fix="e.g. BOOTSTRAP_UV_SOURCES=local,index",
            code="uv.bad_sources",
        )
    return tuple(items)


def configured(name: str, environ: Mapping[str, str] | None = None) -> Source | None:
    """The source's location, or None when it is not configured here."""
    env = os.environ if environ is None else environ
    if name == "local":
        loc = env.get("BOOTSTRAP_UV_LOCAL", "")
    elif name == "mirror":
        loc = env.get("BOOTSTRAP_UV_MIRROR_URL", "")
    elif name == "index":
        loc = (
            env.get("BOOTSTRAP_UV_INDEX_URL")
            or env.get("UV_INDEX_URL")
            or env.get("PIP_INDEX_URL")
            or DEFAULT_INDEX
        )
    else:
        loc = env.get("BOOTSTRAP_UV_RELEASE_URL") or DEFAULT_RELEASE
    return Source(name, loc) if loc else None
