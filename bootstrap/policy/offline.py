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
    uv: str = ""  # where the proof's pinned uv came from (or why the running one was not used)
    timing: tuple[str, ...] = ()  # its "time to first successful run" line, when it ran


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
        home, uv_note = _home(Path(tmp) / "home", base, uv)
        run_env = {
            **base,
            # Its own state (run records, history, spool), the developer's pinned uv and
            # uv-managed Pythons: the proof leaves no record behind.
            "BOOTSTRAP_HOME": home,
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
    timing = tuple(t.strip() for t in lines if "time to first successful run" in t)
    return Proof(res.ok, how, res.returncode, tuple(lines[-8:]), res.argv, uv_note, timing)


def _home(home: Path, env: dict[str, str], uv: Path) -> tuple[str, str]:
    """The proof's BOOTSTRAP_HOME, and where its pinned uv comes from. It shares the
    developer's data dir (the pinned uv, uv-managed Pythons): linked, not copied. When
    that holds no pinned uv (a CI job's fresh BOOTSTRAP_HOME), the uv running the check
    takes its place if :func:`bootstrap.policy.uvbin.verify` ties it to the pin, so the
    proof needs no network to install it; else `up` installs one (or the bundle's)."""
    from bootstrap.paths import Paths
    from bootstrap.uv import check_present, load
    from bootstrap.uv.platform import detect_triple

    data = Paths.from_env(env).data
    pin = load(env)
    triple = detect_triple(env)
    home.mkdir()
    if check_present(data / "uv" / pin.version, pin, triple)[0]:
        return _linked(home, data, env), "the pinned uv installed in BOOTSTRAP_HOME"
    from bootstrap.policy.uvbin import running_uv

    running = running_uv(env, uv)
    if not running.ok:
        return _linked(home, data, env), f"the running uv is not reused: {running.why}"
    # A data dir of its own: the developer's entries linked, the verified uv beside them.
    mine = home / "data"
    mine.mkdir()
    if data.is_dir():
        for entry in data.iterdir():
            if entry.name != "uv":
                _link(mine / entry.name, entry)
    target = mine / "uv" / pin.version
    target.mkdir(parents=True)
    binary = running.path.resolve()
    from bootstrap.uv.install import MARKER
    from bootstrap.uv.platform import exe

    _link(target / exe("uv", triple), binary)
    if running.uvx is not None:
        _link(target / exe("uvx", triple), running.uvx)
    # Stage 0's record, as it vouched for these bytes (its artifact line and hashes).
    shutil.copyfile(binary.parent / MARKER, target / MARKER)
    return str(home), f"reused the running uv: {running.why}"


def _link(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except OSError:  # no symlinks here (Windows without the privilege)
        if not target.is_dir():  # a directory (the uv-managed Pythons) is left out
            shutil.copy2(target, link)


def _linked(home: Path, data: Path, env: dict[str, str]) -> str:
    if data.is_dir():
        try:
            (home / "data").symlink_to(data, target_is_directory=True)
        except OSError:  # no symlinks here (Windows without the privilege): share the home
            return env.get("BOOTSTRAP_HOME", "")
    return str(home)
