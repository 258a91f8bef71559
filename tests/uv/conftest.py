"""Real uv artifacts for the stage-0 tests, built once per session from the real uv binary.

Release-style archives (``uv-<triple>/uv``, ``uvx``) and a wheel-shaped zip
(``uv-<version>.data/scripts/uv``) are built from the uv running this suite (the pinned
version), pinned in a test pin file (``BOOTSTRAP_UV_PIN_FILE``) and served from
127.0.0.1 in the official release layout and as a PEP 503 simple index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stage0 import Artifacts, sha256

from bootstrap.uv.pin import load as load_pin
from bootstrap.uv.platform import detect_triple


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


@pytest.fixture(scope="session")
def warm_uv_cache(uv_bin: Path) -> str:
    """The suite's own uv cache (warm from `uv sync`): handovers run offline from it."""
    res = subprocess.run([str(uv_bin), "cache", "dir"], capture_output=True, text=True, check=True)
    return res.stdout.strip()


@pytest.fixture
def uv_home() -> Iterator[Path]:
    """Where install.sh and ensure() put the pinned uv in this test."""
    yield Path(os.environ["BOOTSTRAP_HOME"]) / "data" / "uv"
