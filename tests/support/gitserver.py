"""A real git server on 127.0.0.1 (``git daemon``) and small repositories to serve.

``git daemon`` serves bare repositories under one root over ``git://127.0.0.1:PORT/``
(fetch and push both enabled): the transport the product allows only to loopback, so
the tests exercise the real clone/fetch/push paths with no network beyond this machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (tests' own git calls: no global config, fixed identity)."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    res = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
    )
    if res.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {repo}: {res.stderr}")
    return res.stdout


@dataclass
class GitServer:
    root: Path  # bare repositories: <root>/<name>.git
    port: int

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def create(self, name: str, files: dict[str, str], *, branch: str = "main") -> Path:
        """A bare repository ``name`` with one commit holding ``files``; returns a work
        clone of it (``<root>/../work/<name>``) to add commits from."""
        bare = self.root / f"{name}.git"
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", branch, str(bare)], check=True)
        work = self.root.parent / "work" / name
        work.mkdir(parents=True)
        git(work, "init", "--quiet", "-b", branch)
        write(work, files)
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", "first")
        git(work, "remote", "add", "origin", str(bare))
        git(work, "push", "--quiet", "-u", "origin", branch)
        return work


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def git_daemon(root: Path) -> Iterator[GitServer]:
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    daemon = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.05)
        yield GitServer(root, port)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
