"""`bootstrap release`: the wheel built by the pinned uv and pinned like uv."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from support.teamkit import Released

from bootstrap.adopt.release import release
from bootstrap.uv import pin as pinmod


def test_release_pins_the_wheel_it_built(released: Released) -> None:
    pin = pinmod.parse(released.pin.read_text(), str(released.pin))
    (art,) = pin.self_artifacts
    assert art.filename == released.wheel.name == "bootstrap-0.1.0-py3-none-any.whl"
    assert art.version == "0.1.0"
    assert art.sha256 == hashlib.sha256(released.wheel.read_bytes()).hexdigest()
    # The installers carry the same lines (the generated copies).
    for name in ("install.sh", "install.ps1"):
        text = (released.tree / name).read_text()
        assert pinmod.embedded(text, name) == pinmod.pin_lines(released.pin.read_text())
    # The wheel carries its runtime lock and the installers `bootstrap init` writes.
    with zipfile.ZipFile(released.wheel) as whl:
        names = set(whl.namelist())
        runtime = whl.read("bootstrap/runtime.txt").decode()
    assert {"bootstrap/runtime.pylock.toml", "bootstrap/adopt/installers/install.sh"} <= names
    assert "--hash=sha256:" in runtime and "click==" in runtime
    assert runtime == (released.tree / "bootstrap" / "runtime.txt").read_text()


def test_release_twice_pins_the_same_bytes(released: Released, uv_bin: Path) -> None:
    again = release(uv_bin, released.tree, offline=True)
    assert again.artifact.sha256 == released.sha256
    assert again.changed == ()


def test_the_pin_check_agrees_after_a_release(released: Released) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "bootstrap", "uv", "pin", "--check", "--repo", str(released.tree)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr
