"""Which uv build this machine runs: the Rust target triple, as install.sh computes it."""

from __future__ import annotations

import os
import platform as _platform
from collections.abc import Mapping

from bootstrap import platforms
from bootstrap.errors import UserError


def detect_triple(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    forced = env.get("BOOTSTRAP_UV_TRIPLE")
    if forced:
        return forced
    system = _platform.system()
    machine = _platform.machine().lower()
    if machine not in platforms.MACHINES:
        raise UserError(
            f"unsupported CPU architecture {machine!r} (uv is pinned for x86_64 and aarch64)",
            fix="install uv yourself and run: uv run --frozen bootstrap up",
            code="uv.unsupported_arch",
        )
    found = platforms.from_python(system, machine)
    if found is None:
        raise UserError(
            f"unsupported operating system {system!r}",
            fix="use Linux, macOS or Windows",
            code="uv.unsupported_os",
        )
    if found == platforms.Platform("macos", "x86_64") and _rosetta():
        found = platforms.Platform("macos", "arm64")  # native arm64 uv even under Rosetta
    uv = found.info.uv
    return uv.musl_triple if uv.musl_triple and _is_musl() else uv.triple


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
    found = platforms.from_triple(triple)
    if found is None:
        raise UserError(
            f"uv triple {triple!r} is none of {', '.join(platforms.UV_TRIPLES)}",
            fix="unset BOOTSTRAP_UV_TRIPLE, or set it to one of those",
            code="uv.unsupported_triple",
        )
    return found.os, found.arch
