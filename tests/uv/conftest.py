"""Real uv artifacts for the stage-0 tests, built once per session from the real uv binary.

Release-style archives (``uv-<triple>/uv``, ``uvx``) and a wheel-shaped zip
(``uv-<version>.data/scripts/uv``) are built from the uv running this suite (the pinned
version), pinned in a test pin file (``BOOTSTRAP_UV_PIN_FILE``) and served from
127.0.0.1 in the official release layout and as a PEP 503 simple index.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.uv.pin import load as load_pin
from bootstrap.uv.platform import detect_triple

REPO = Path(__file__).resolve().parent.parent.parent
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


@pytest.fixture(scope="session")
def artifacts(uv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    version = load_pin({}).version
    out = subprocess.run([str(uv_bin), "--version"], capture_output=True, text=True, check=True)
    if out.stdout.split()[:2] != ["uv", version]:
        pytest.skip(f"the uv running the suite is {out.stdout.strip()}, the pin is {version}")
    uvx = uv_bin.with_name("uvx")
    if not uvx.exists():
        found = shutil.which("uvx")
        uvx = Path(found) if found else uv_bin
    triple = detect_triple({})
    real = load_pin({}).for_triple(triple, "wheel")
    wheel_name = real.filename if real else f"uv-{version}-py3-none-any.whl"
    root = tmp_path_factory.mktemp("uv-artifacts")
    uv_bytes, uvx_bytes = uv_bin.read_bytes(), uvx.read_bytes()
    art = Artifacts(
        root=root,
        version=version,
        triple=triple,
        uv_bytes=uv_bytes,
        uvx_bytes=uvx_bytes,
        archive=root / "mirror" / version / f"uv-{triple}.tar.gz",
        wheel=root / "files" / wheel_name,
        local=root / "local",
    )
    art.make_archive(art.archive, level=1)
    art.wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(art.wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        scripts = f"uv-{version}.data/scripts"
        for name, data in (("uv", uv_bytes), ("uvx", uvx_bytes)):
            info = zipfile.ZipInfo(f"{scripts}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
        zf.writestr(f"uv-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    simple = root / "simple" / "uv"
    simple.mkdir(parents=True)
    (simple / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        f'<a href="../../files/{wheel_name}#sha256={sha256(art.wheel)}">{wheel_name}</a><br/>\n'
        "</body></html>\n"
    )
    art.local.mkdir()
    shutil.copy(art.archive, art.local / art.archive.name)
    shutil.copy(art.wheel, art.local / art.wheel.name)
    return art


@pytest.fixture
def test_pin(artifacts: Artifacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pin covering the artifacts built above, for this test's environment."""
    path = tmp_path / "pin.txt"
    path.write_text(artifacts.pin_text())
    monkeypatch.setenv("BOOTSTRAP_UV_PIN_FILE", str(path))
    return path


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


@pytest.fixture(scope="session")
def warm_uv_cache(uv_bin: Path) -> str:
    """The suite's own uv cache (warm from `uv sync`): handovers run offline from it."""
    res = subprocess.run([str(uv_bin), "cache", "dir"], capture_output=True, text=True, check=True)
    return res.stdout.strip()


@pytest.fixture
def uv_home() -> Iterator[Path]:
    """Where install.sh and ensure() put the pinned uv in this test."""
    yield Path(os.environ["BOOTSTRAP_HOME"]) / "data" / "uv"
