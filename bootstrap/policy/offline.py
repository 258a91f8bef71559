"""Check (f): the offline proof.

`bootstrap up --refresh` for the profile, into a new, temporary environment, with no
network at all: on Linux in a new network namespace (``unshare -n`` as root, ``unshare
-rn`` otherwise, where user namespaces are allowed); elsewhere with uv offline and every
proxy pointed at a closed port on 127.0.0.1. It syncs from the cache (or the given
bundle, imported first) and runs the profile's first command. The developer's own
environment is never touched (``UV_PROJECT_ENVIRONMENT`` points into a temporary
directory) and no timing report leaves the machine (``BOOTSTRAP_NO_METRICS``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc

PROOF_TIMEOUT = 1800.0
CLOSED_PORT_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


@dataclass(frozen=True)
class Proof:
    ok: bool
    how: str  # "network namespace" | "offline flags and a closed proxy"
    exit_code: int | None
    tail: tuple[str, ...]  # the last lines of its output
    command: tuple[str, ...]


def isolation() -> tuple[list[str], str]:
    """The prefix that takes the network away, and how it does it."""
    unshare = shutil.which("unshare")
    if sys.platform.startswith("linux") and unshare:
        flags = "-n" if os.geteuid() == 0 else "-rn"
        probe = proc.run([unshare, flags, "true"], timeout=10)
        if probe.ok:
            # Loopback up (it has no route out): a first run may serve on 127.0.0.1.
            return [unshare, flags, "sh", "-c",
                    'ip link set lo up 2>/dev/null || true; exec "$@"', "offline"], (
                "network namespace")  # fmt: skip
    return [], "offline flags and a closed proxy"


def prove(
    profile: str, uv: Path, bundle: str | None = None, env: dict[str, str] | None = None
) -> Proof:
    prefix, how = isolation()
    base = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="bootstrap-offline-proof-") as tmp:
        run_env = {
            **base,
            # Its own state (run records, history, spool), the developer's pinned uv and
            # uv-managed Pythons: the proof leaves no record behind.
            "BOOTSTRAP_HOME": _home(Path(tmp) / "home", base),
            "UV_PROJECT_ENVIRONMENT": str(Path(tmp) / "venv"),
            "BOOTSTRAP_NO_METRICS": "1",
            "BOOTSTRAP_UV": str(uv),
            "UV_OFFLINE": "1",
        }
        if not prefix:
            for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
                run_env[var] = CLOSED_PORT_PROXY
            run_env["NO_PROXY"] = run_env["no_proxy"] = ""
        argv = [*prefix, sys.executable, "-m", "bootstrap", "up", "--profile", profile]
        argv += ["--refresh", "--wait", "0"]
        if bundle:
            argv += ["--cache-bundle", bundle]
        res = proc.run(argv, env=run_env, timeout=PROOF_TIMEOUT)
    lines = (res.stdout + res.stderr).strip().splitlines()
    return Proof(res.ok, how, res.returncode, tuple(lines[-8:]), res.argv)


def _home(home: Path, env: dict[str, str]) -> str:
    from bootstrap.paths import Paths

    data = Paths.from_env(env).data
    home.mkdir()
    if data.is_dir():
        try:
            (home / "data").symlink_to(data, target_is_directory=True)
        except OSError:  # no symlinks here (Windows without the privilege): share the home
            return env.get("BOOTSTRAP_HOME", "")
    return str(home)
