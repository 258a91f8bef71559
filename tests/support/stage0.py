"""Stage 0 under test: the uv artifacts (release-style archive, wheel-shaped zip, their pin
line), a scrubbed environment for install.sh, and the shells it must run under.

The session fixtures that build and serve them are in tests/uv/conftest.py.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import REPO

INSTALL_SH = REPO / "install.sh"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_bytes(tf: tarfile.TarFile, name: str, data: bytes, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(time.time())
    tf.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class Artifacts:
    root: Path  # served directory
    version: str
    triple: str
    uv_bytes: bytes
    uvx_bytes: bytes
    archive: Path  # root/mirror/<version>/uv-<triple>.tar.gz
    wheel: Path  # root/files/<real wheel file name>
    local: Path  # a directory with both, for the local source

    def pin_text(self, *, archive_sha: str | None = None, wheel_sha: str | None = None) -> str:
        return (
            f"version {self.version}\n"
            f"wheel {self.triple} {self.wheel.name} {wheel_sha or sha256(self.wheel)}\n"
            f"archive {self.triple} {self.archive.name} {archive_sha or sha256(self.archive)}\n"
        )

    def make_archive(
        self, dest: Path, extra: list[tarfile.TarInfo] | None = None, *, level: int = 0
    ) -> Path:
        """A release-style archive with the real binaries, plus ``extra`` members.
        (Fault variants are stored uncompressed: same format, built in a blink.)"""
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(dest, "w:gz", compresslevel=level) as tf:
            top = f"uv-{self.triple}"
            add_bytes(tf, f"{top}/uv", self.uv_bytes)
            add_bytes(tf, f"{top}/uvx", self.uvx_bytes)
            for info in extra or []:
                data = b"x" * info.size if info.isfile() else None
                tf.addfile(info, io.BytesIO(data) if data is not None else None)
        return dest


def shell_env(home: Path, **extra: str) -> dict[str, str]:
    """A fresh HOME and a scrubbed environment for running install.sh."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "BOOTSTRAP_HOME": os.environ["BOOTSTRAP_HOME"],
        "BOOTSTRAP_RETRY_DELAY": "0",
        "LANG": "C",
    }
    # The pin under test, and how this machine trusts TLS and reaches the internet.
    passthrough = (
        "BOOTSTRAP_UV_PIN_FILE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "CURL_CA_BUNDLE",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    )
    for key in passthrough:
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


SHELLS = [
    pytest.param(["dash"], id="dash"),
    pytest.param(["bash", "--posix"], id="bash"),
    pytest.param(["busybox", "sh"], id="busybox"),
]


def run_sh(
    shell: list[str],
    args: list[str],
    env: dict[str, str],
    *,
    cwd: Path | None = None,
    timeout: float = 60,
    script: Path = INSTALL_SH,
) -> subprocess.CompletedProcess[str]:
    if not shutil.which(shell[0]):
        pytest.skip(f"{shell[0]} is not installed (.ci/run installs it)")
    return subprocess.run(
        [*shell, str(script), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
