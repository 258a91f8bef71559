"""Faults while stage 0 (and the Python import) works, and what they are called: a full
disk while a good bundle is unpacked is a full disk (exit 1, naming where), not a
"truncated or corrupt" bundle; a signal ends install.sh with 128 + the signal, as it
ends `bootstrap up` (SIGINT 130, SIGTERM 143, SIGHUP 129), its temporary files gone."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO
from support.bundles import TINY, Packed

needs_mount = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mount"),
    reason="needs root for a tmpfs in a mount namespace",
)


def on_tmpfs(argv: list[str], env: dict[str, str], size: str) -> subprocess.CompletedProcess[str]:
    """``argv`` with no network and ``$HOME`` on a fresh tmpfs of ``size``."""
    script = f'mount -t tmpfs -o size={size} tmpfs "$HOME" && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "-n", "sh", "-c", script, "tmpfs", *argv],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def pybin(tmp_path: Path) -> Path:
    d = tmp_path / "pybin"
    d.mkdir(exist_ok=True)
    if not (d / "python3").exists():
        (d / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    return d


@needs_mount
@pytest.mark.parametrize("entry", ["install.sh", "cache import"])
def test_a_full_disk_while_a_good_bundle_unpacks_is_called_a_full_disk(
    packed: Packed, tmp_path: Path, entry: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if entry == "install.sh":
        env = {"PATH": f"{pybin(tmp_path)}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
        argv = ["dash", str(REPO / "install.sh"), "--cache-bundle", str(packed.path), "--no-run"]
    else:
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(REPO)}
        env["BOOTSTRAP_HOME"] = str(home / "bootstrap")
        argv = [sys.executable, "-m", "bootstrap", "cache", "import", str(packed.path)]
        argv += ["--lock", str(TINY / "uv.lock")]
    res = on_tmpfs(argv, env, "1m")
    assert res.returncode == 1, res.stdout + res.stderr
    errors = [ln for ln in res.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, res.stderr
    assert "no space left" in errors[0].lower(), res.stderr
    assert "truncated" not in res.stderr and "corrupt" not in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
    ids=["TERM", "HUP", "INT"],
)
def test_install_sh_exits_128_plus_the_signal(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """install.sh under dash, stopped while it waits on a download (an index on
    127.0.0.1 that takes the connection and never answers); the whole process group gets
    the signal, as from a terminal or a service manager."""
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        env = {
            "PATH": f"{pybin(tmp_path)}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "BOOTSTRAP_UV_SOURCES": "index",
            "BOOTSTRAP_UV_INDEX_URL": f"http://127.0.0.1:{port}/simple",
        }
        child = subprocess.Popen(
            ["dash", str(REPO / "install.sh"), "--no-run"],
            env=env,
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert child.stderr is not None
        said = child.stderr.readline()
        assert "installing uv" in said, said
        time.sleep(0.3)  # into the download
        os.killpg(child.pid, sig)
        rest = child.stderr.read()
        assert child.wait(timeout=60) == code, said + rest
    assert "Traceback" not in rest
    data = home / ".local" / "share" / "bootstrap"
    assert not list((data / "uv").glob(".tmp.*")), "a temporary directory was left behind"
