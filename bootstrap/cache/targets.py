"""Target keys and the uv platform each one maps to: data, in one place.

A target key is ``<os>-<arch>-<accel>`` (``linux-x86_64-cu126``). The accelerator picks
the lock variant (an extra, a group or a pylock file); os and arch pick the platform of
the wheels and of the uv artifact.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from bootstrap.errors import UserError

OSES = ("linux", "macos", "windows")
ARCHES = ("x86_64", "arm64")


@dataclass(frozen=True)
class UvPlatform:
    triple: str  # uv's --python-platform value and its release archive's triple
    wheel_tags: tuple[str, ...]  # platform tags of the uv wheel on PyPI, best first


# From the files uv publishes per release (PyPI wheels and GitHub release archives).
UV_PLATFORMS: dict[tuple[str, str], UvPlatform] = {
    ("linux", "x86_64"): UvPlatform(
        "x86_64-unknown-linux-gnu", ("manylinux_2_17_x86_64", "manylinux2014_x86_64")
    ),
    ("linux", "arm64"): UvPlatform(
        "aarch64-unknown-linux-gnu", ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64")
    ),
    ("macos", "x86_64"): UvPlatform("x86_64-apple-darwin", ("macosx_10_12_x86_64",)),
    ("macos", "arm64"): UvPlatform("aarch64-apple-darwin", ("macosx_11_0_arm64",)),
    ("windows", "x86_64"): UvPlatform("x86_64-pc-windows-msvc", ("win_amd64",)),
    ("windows", "arm64"): UvPlatform("aarch64-pc-windows-msvc", ("win_arm64",)),
}


@dataclass(frozen=True)
class Target:
    os: str
    arch: str
    accel: str

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}-{self.accel}"

    @property
    def uv_platform(self) -> UvPlatform:
        return UV_PLATFORMS[(self.os, self.arch)]


def parse_target(key: str) -> Target:
    parts = key.split("-")
    if len(parts) != 3 or parts[0] not in OSES or parts[1] not in ARCHES or not parts[2]:
        raise UserError(
            f"target {key!r} is not '<os>-<arch>-<accel>' with os in {'|'.join(OSES)} and "
            f"arch in {'|'.join(ARCHES)}",
            fix="for example: --target linux-x86_64-cpu or --target linux-x86_64-cu126",
            code="cache.bad_target",
        )
    return Target(parts[0], parts[1], parts[2])


def host_os_arch() -> tuple[str, str]:
    system = platform.system().lower()
    os_name = {"darwin": "macos"}.get(system, system)
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return os_name, arch


def uv_artifact_for(target: Target, version: str, names: list[str]) -> str | None:
    """Which of the pinned artifact file ``names`` is uv for ``target``: the release
    archive (``uv-<triple>.tar.gz`` / ``.zip``) or the PyPI wheel."""
    plat = target.uv_platform
    for ext in (".tar.gz", ".zip"):
        if f"uv-{plat.triple}{ext}" in names:
            return f"uv-{plat.triple}{ext}"
    for tag in plat.wheel_tags:
        for name in sorted(names):
            if name.startswith(f"uv-{version}-") and name.endswith(".whl"):
                tags = name[: -len(".whl")].split("-")[-1].split(".")
                if tag in tags and not any(t.startswith("musllinux") for t in tags[:1]):
                    return name
    return None
