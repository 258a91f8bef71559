"""Shared pieces of the `up` tests (the fixtures are in conftest.py). A uniquely named
module: `from conftest import ...` would find whichever test folder's conftest came first."""

from __future__ import annotations

import os
from pathlib import Path


def fresh_env(root: Path, **extra: str) -> dict[str, str]:
    """A machine that has never run the tool: its own HOME, XDG dirs and uv cache, a
    minimal PATH (the system's, not this venv's), no BOOTSTRAP_HOME."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "BOOTSTRAP_NO_METRICS": "1",
    }
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if var in os.environ:
            env[var] = os.environ[var]
    env.update(extra)
    return env
