"""Which uv the policy commands run: the one stage 0 handed over (``UV``, set by
``uv run``), else the pinned uv, installed and verified like `bootstrap uv ensure`."""

from __future__ import annotations

import os
from pathlib import Path


def policy_uv(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    handed = os.environ.get("UV")
    if handed and Path(handed).is_file():
        return Path(handed)
    from bootstrap.paths import Paths
    from bootstrap.uv import ensure

    return ensure(Paths.from_env()).path
