"""A WSL2 distro as a Windows host sees it: ``wsl.exe`` on PATH (the stand-in in
:mod:`support.wsl_exe`) in front of the real Debian root filesystem.

``make_wsl_distro(capture=HOST_DIR)`` gives a :class:`WslDistro`: put ``env()`` into
the Windows side's environment (PATH with wsl.exe first, and the folder that plays
``C:\\`` for the product's path conversion), replay the Windows host from the same
capture, and look at what the distro wrote in ``home`` (its /root) and ``upper`` (every
other file it changed). Each distro is an overlay of the shared root filesystem, so
nothing one test does there reaches another.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

HOST_TOOLS = ("unshare", "mount", "chroot")  # ip (to bring lo up) is optional
WSL_EXE = Path(__file__).with_name("wsl_exe.py")


@dataclass
class WslDistro:
    name: str
    bin_dir: Path  # holds wsl.exe
    cdrive: Path  # the folder that plays C:\ (at /mnt/c in the distro)
    home: Path  # the distro's /root
    upper: Path  # the overlay's upper dir
    log: Path  # one JSON line per wsl.exe call: argv and WSLENV

    def env(self, base: dict[str, str]) -> dict[str, str]:
        out = dict(base)
        out["PATH"] = f"{self.bin_dir}:{base.get('PATH', '/usr/bin:/bin')}"
        out["BOOTSTRAP_WSL_DRIVES"] = f"c={self.cdrive}"
        return out

    def calls(self) -> list[dict[str, object]]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def wsl(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None):
        """Run the stand-in as the product would (for the self-tests)."""
        return subprocess.run(
            [str(self.bin_dir / "wsl.exe"), *args],
            env=env if env is not None else self.env({"PATH": "/usr/bin:/bin"}),
            input=input,
            capture_output=True,
            timeout=60,
            check=False,
        )


def missing_host_tools() -> list[str]:
    return [tool for tool in HOST_TOOLS if not shutil.which(tool)]


def build(
    root: Path,
    rootfs: Path,
    capture: Path,
    *,
    distros: Sequence[str] = ("Ubuntu",),
    without_python: bool = False,
    extra_tools: Sequence[Path] = (),
) -> WslDistro:
    state = root / "distro"
    for sub in ("merged", "upper", "work"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    _upper_changes(rootfs, state / "upper", without_python=without_python, extra_tools=extra_tools)
    cdrive, home, bin_dir = root / "cdrive", root / "distro-home", root / "bin"
    for d in (cdrive, home, bin_dir):
        d.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    log = root / "wsl-calls.jsonl"
    config = {
        "rootfs": str(rootfs),
        "state": str(state),
        "home": str(home),
        "cdrive": str(cdrive),
        "capture": str(capture),
        "distros": list(distros),
        "default": distros[0],
        "log": str(log),
    }
    (bin_dir / "wsl-config.json").write_text(json.dumps(config, indent=1))
    exe = bin_dir / "wsl.exe"
    exe.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{WSL_EXE}" "{bin_dir / "wsl-config.json"}" "$@"\n'
    )
    exe.chmod(0o755)
    return WslDistro(distros[0], bin_dir, cdrive, home, state / "upper", log)


def _upper_changes(
    rootfs: Path, upper: Path, *, without_python: bool, extra_tools: Sequence[Path]
) -> None:
    """Changes to the distro made in its overlay's upper dir before it is first mounted
    (the shared rootfs is never written): python removed (overlayfs whiteouts, 0/0
    character devices), host tools added to /usr/local/bin."""
    import os
    import stat

    if without_python:
        usr_bin = upper / "usr" / "bin"
        usr_bin.mkdir(parents=True, exist_ok=True)
        for entry in (rootfs / "usr" / "bin").iterdir():
            if entry.name.startswith(("python", "pydoc", "pygettext")):
                os.mknod(usr_bin / entry.name, stat.S_IFCHR | 0o000, os.makedev(0, 0))
    if extra_tools:
        local_bin = upper / "usr" / "local" / "bin"
        local_bin.mkdir(parents=True, exist_ok=True)
        for tool in extra_tools:
            shutil.copy2(tool, local_bin / tool.name)


@pytest.fixture
def make_wsl_distro(debian_rootfs: Path, tmp_path: Path) -> Callable[..., WslDistro]:
    """``make_wsl_distro(capture=DIR, distros=("Ubuntu",), without_python=False,
    extra_tools=())``: a fresh distro per call (python removed, host tools added, in its
    own overlay)."""
    missing = missing_host_tools()
    if missing:
        pytest.skip(f"the WSL stand-in needs {', '.join(missing)}")
    made = 0

    def make(
        capture: Path,
        distros: Sequence[str] = ("Ubuntu",),
        *,
        without_python: bool = False,
        extra_tools: Sequence[Path] = (),
    ) -> WslDistro:
        nonlocal made
        made += 1
        return build(
            tmp_path / f"wsl-{made}",
            debian_rootfs,
            capture,
            distros=distros,
            without_python=without_python,
            extra_tools=extra_tools,
        )

    return make
