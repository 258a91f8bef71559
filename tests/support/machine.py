"""A machine that never ran the tool (its environment for a subprocess), and a copy of
this checkout to run the tool from."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support import REPO


def fresh_env(root: Path, **extra: str) -> dict[str, str]:
    """A machine that has never run the tool: its own HOME, XDG dirs and uv cache, a
    minimal PATH (the system's, not this venv's), no BOOTSTRAP_HOME, and its own TMPDIR:
    a project's first run that is a pytest session (the real shapes) must not share
    ``/tmp/pytest-of-<user>`` with this test session, whose end-of-session cleanup of
    old numbered directories would otherwise delete (and wait on) other sessions'."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "TMPDIR": str(tmp),
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


def copy_tree(dest: Path) -> Path:
    """What git tracks or would track in this checkout, copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        rel = raw.decode()
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest
