"""Which uv build this machine runs: the Rust target triple, as install.sh computes it."""

from __future__ import annotations

import os
import platform as _platform
from collections.abc import Mapping

from bootstrap.errors import UserError

_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def detect_triple(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    forced = env.get("BOOTSTRAP_UV_TRIPLE")
    if forced:
        return forced
    system = _platform.system()
    machine = _platform.machine().lower()
    arch = _ARCH.get(machine)
    if arch is None:
        raise UserError(
            f"unsupported CPU architecture {machine!r} (uv is pinned for x86_64 and aarch64)",
            fix="install uv yourself and run: uv run --frozen bootstrap up",
            code="uv.unsupported_arch",
        )
    if system == "Linux":
        return f"{arch}-unknown-linux-{'musl' if _is_musl() else 'gnu'}"
    if system == "Darwin":
        if arch == "x86_64" and _rosetta():
            arch = "aarch64"  # native arm64 uv even from an x86_64 (Rosetta) Python
        return f"{arch}-apple-darwin"
    if system == "Windows":
        return f"{arch}-pc-windows-msvc"
    raise UserError(
        f"unsupported operating system {system!r}",
        fix="use Linux, macOS or Windows",
        code="uv.unsupported_os",
    )


def _is_musl() -> bool:
    # glibc answers CS_GNU_LIBC_VERSION; musl has no such name.
    try:
        return not os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        return True


def _rosetta() -> bool:
    from bootstrap import proc

    res = proc.run(["sysctl", "-in", "sysctl.proc_translated"], timeout=5)
    return res.ok and res.stdout.strip() == "1"


def exe(name: str, triple: str) -> str:
    return f"{name}.exe" if "windows" in triple else name


def target_os_arch(triple: str) -> tuple[str, str]:
    """The target key's os and arch for a triple (``linux``, ``x86_64``)."""
    os_ = "macos" if "apple" in triple else "windows" if "windows" in triple else "linux"
    arch = "x86_64" if triple.startswith("x86_64") else "arm64"
    return os_, arch
