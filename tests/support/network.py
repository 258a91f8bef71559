"""The network as tests see it: `unshare -n` to prove a command needs none, and whether
PyPI answers (tests marked `network` skip when it does not)."""

from __future__ import annotations

import functools
import shutil
import socket
import subprocess


@functools.lru_cache(maxsize=1)
def netns_available() -> bool:
    """True when `unshare -n` can make a namespace with no network at all."""
    if not shutil.which("unshare"):
        return False
    try:
        argv = ["unshare", "-n", "true"]
        probe = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        return probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def offline(argv: list[str]) -> list[str]:
    """Wrap ``argv`` to run with no network interfaces (not even a live loopback)."""
    return ["unshare", "-n", *argv]


def pypi_reachable() -> bool:
    """True when PyPI answers a TCP connect within 3 s (tests marked `network` need it)."""
    try:
        with socket.create_connection(("pypi.org", 443), timeout=3):
            return True
    except OSError:
        return False
