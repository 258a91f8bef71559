"""The platforms the tool knows, as one table, and the target key's one grammar.

A target key is ``<os>-<arch>-<accel>`` (``linux-x86_64-cu126``): the platform
(``linux-x86_64``) picks the wheels, the uv build and the PEP 508 marker values; the
accelerator picks the lock variant (an extra, a group or a pylock file). Every reading of
a key goes through :func:`parse`, which fails with one error (code ``target.bad_key``,
exit 2) naming what was expected; everything per platform is a row of :data:`TABLE`.

Wheel and sdist file names are read here too, through ``packaging.utils`` (imported when
first used: ``bootstrap --help`` does not pay for it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bootstrap.errors import UserError

if TYPE_CHECKING:
    from packaging.tags import Tag


@dataclass(frozen=True, order=True)
class Platform:
    os: str  # one of OSES
    arch: str  # one of ARCHES

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}"

    def __str__(self) -> str:
        return self.key

    @property
    def info(self) -> PlatformInfo:
        return TABLE[self.key]


@dataclass(frozen=True, order=True)
class Accel:
    name: str  # "cpu", "cu126", "rocm6.2"

    @property
    def kind(self) -> str:
        """``cpu``, ``cuda`` or ``rocm``."""
        return "cuda" if self.name.startswith("cu") else self.name.rstrip("0123456789.")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class UvPlatform:
    triple: str  # uv's --python-platform value and its release archive's triple (glibc)
    wheel_tags: tuple[str, ...]  # platform tags of the uv wheel on PyPI, best first
    musl_triple: str | None = None  # the musl build, on Linux


@dataclass(frozen=True)
class Target:
    platform: Platform
    accel: Accel

    @property
    def os(self) -> str:
        return self.platform.os

    @property
    def arch(self) -> str:
        return self.platform.arch

    @property
    def key(self) -> str:
        return f"{self.platform.key}-{self.accel.name}"

    def __str__(self) -> str:
        return self.key

    @property
    def uv_platform(self) -> UvPlatform:
        return self.platform.info.uv


@dataclass(frozen=True)
class PlatformInfo:
    """Everything the tool knows per platform: one row of :data:`TABLE`."""

    platform: Platform
    uv: UvPlatform
    # PEP 508 marker values there (what `python -c "import platform, sys, os"` reports;
    # Windows and macOS report platform.machine() as AMD64 and arm64).
    markers: Mapping[str, str]
    # Wheel platform tags that install there: a tag must start with one of the prefixes
    # and end with one of the suffixes ("any" always fits). The first suffix is the
    # platform's own arch (the uv wheel's rule; the others are fat binaries).
    wheel_prefixes: tuple[str, ...]
    wheel_suffixes: tuple[str, ...]
    # Served by a lock that does not list its platforms (windows-arm64 is not: few AI
    # stacks publish wheels for it).
    default: bool = True


# THE table: one row per platform. The uv triples and the uv wheel's tags are those of
# the files uv publishes per release (PyPI wheels and release archives); the order is the
# one lock targets are listed in.
_ROWS = (
    PlatformInfo(
        Platform("linux", "x86_64"),
        uv=UvPlatform("x86_64-unknown-linux-gnu",
                      ("manylinux_2_17_x86_64", "manylinux2014_x86_64"),
                      musl_triple="x86_64-unknown-linux-musl"),
        markers={"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                 "platform_machine": "x86_64"},
        wheel_prefixes=("manylinux", "musllinux", "linux_"),
        wheel_suffixes=("_x86_64",),
    ),
    PlatformInfo(
        Platform("linux", "arm64"),
        uv=UvPlatform("aarch64-unknown-linux-gnu",
                      ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64"),
                      musl_triple="aarch64-unknown-linux-musl"),
        markers={"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                 "platform_machine": "aarch64"},
        wheel_prefixes=("manylinux", "musllinux", "linux_"),
        wheel_suffixes=("_aarch64",),
    ),
    PlatformInfo(
        Platform("macos", "x86_64"),
        uv=UvPlatform("x86_64-apple-darwin", ("macosx_10_12_x86_64",)),
        markers={"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                 "platform_machine": "x86_64"},
        wheel_prefixes=("macosx_",),
        wheel_suffixes=("_x86_64", "_universal2", "_intel", "_universal"),
    ),
    PlatformInfo(
        Platform("macos", "arm64"),
        uv=UvPlatform("aarch64-apple-darwin", ("macosx_11_0_arm64",)),
        markers={"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                 "platform_machine": "arm64"},
        wheel_prefixes=("macosx_",),
        wheel_suffixes=("_arm64", "_universal2"),
    ),
    PlatformInfo(
        Platform("windows", "x86_64"),
        uv=UvPlatform("x86_64-pc-windows-msvc", ("win_amd64",)),
        markers={"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                 "platform_machine": "AMD64"},
        wheel_prefixes=("win_amd64",),
        wheel_suffixes=("",),
    ),
    PlatformInfo(
        Platform("windows", "arm64"),
        uv=UvPlatform("aarch64-pc-windows-msvc", ("win_arm64",)),
        markers={"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                 "platform_machine": "ARM64"},
        wheel_prefixes=("win_arm64",),
        wheel_suffixes=("",),
        default=False,
    ),
)  # fmt: skip
TABLE: dict[str, PlatformInfo] = {info.platform.key: info for info in _ROWS}

# Everything below is read off the table.
OSES = tuple(dict.fromkeys(info.platform.os for info in _ROWS))  # linux, macos, windows
ARCHES = tuple(dict.fromkeys(info.platform.arch for info in _ROWS))  # x86_64, arm64
# The platforms a lock serves when it names none.
DEFAULT_PLATFORMS = tuple(key for key, info in TABLE.items() if info.default)
# Every uv build stage 0 may install: one triple per platform, plus musl on Linux.
UV_TRIPLES = tuple(
    sorted(t for info in TABLE.values() for t in (info.uv.triple, info.uv.musl_triple) if t)
)
# platform.system() -> os, and platform.machine(), lowercased, -> arch: Python reports
# them as the markers platform_system and platform_machine say (Windows: AMD64, ARM64).
SYSTEMS = {info.markers["platform_system"]: info.platform.os for info in _ROWS}
MACHINES = {info.markers["platform_machine"].lower(): info.platform.arch for info in _ROWS}
MACHINES.update({arch: arch for arch in ARCHES})  # and the arch's own name (macOS: arm64)

# PyTorch's names: cpu, cu118 ... cu130, rocm6.2.
ACCEL_PATTERN = r"cpu|cu[0-9]{3}|rocm[0-9]+\.[0-9]+"  # [0-9], not \d: ASCII digits only
# Anchored with \A...\Z, not ^...$: "$" also matches before a trailing newline.
ACCEL_RE = re.compile(rf"\A({ACCEL_PATTERN})\Z")
TARGET_PATTERN = rf"(?:{'|'.join(OSES)})-(?:{'|'.join(ARCHES)})-(?:{ACCEL_PATTERN})"
TARGET_RE = re.compile(rf"\A{TARGET_PATTERN}\Z")
# What a profile's `platforms` accepts: "<os>-<arch>", either part may be "*".
PLATFORM_PATTERN_RE = re.compile(rf"\A({'|'.join(OSES)}|\*)(-({'|'.join(ARCHES)}|\*))?\Z")

EXPECTED = (
    f"'<os>-<arch>-<accel>' (os: {'|'.join(OSES)}, arch: {'|'.join(ARCHES)}, "
    "accel: cpu, cu<NNN> or rocm<M.N>, e.g. cu126, rocm6.2)"
)


def parse(key: str, *, what: str = "target") -> Target:
    """``linux-x86_64-cu126`` -> Target; anything else raises the one error, naming
    ``what`` (``--target``, ``the bundle's target``) and what was expected."""
    if TARGET_RE.match(key):
        os_, arch, accel = key.split("-", 2)
        return Target(Platform(os_, arch), Accel(accel))
    raise UserError(
        f"{what} {key!r} is not {EXPECTED}{_why(key)}",
        fix="for example: --target linux-x86_64-cpu or --target linux-x86_64-cu126",
        code="target.bad_key",
    )


def _why(key: str) -> str:
    parts = key.split("-", 2)
    if len(parts) != 3 or not all(parts):
        return ": it has not three parts"
    os_, arch, accel = parts
    if os_ not in OSES:
        return f": unknown os {os_!r}"
    if arch not in ARCHES:
        return f": unknown arch {arch!r}"
    return f": unknown accelerator {accel!r}"


def target_key(platform: str | Platform, accel: str | Accel) -> str:
    return f"{platform}-{accel}"


def from_python(system: str, machine: str) -> Platform | None:
    """The platform Python's ``platform.system()`` and ``platform.machine()`` describe;
    None when the table has no row for it."""
    os_ = SYSTEMS.get(system)
    arch = MACHINES.get(machine.lower())
    key = f"{os_}-{arch}"
    return TABLE[key].platform if key in TABLE else None


def from_triple(triple: str) -> Platform | None:
    """The platform a uv triple (glibc or musl) runs on; None for a triple no row has."""
    for info in TABLE.values():
        if triple in (info.uv.triple, info.uv.musl_triple):
            return info.platform
    return None


# -- wheel and sdist file names ----------------------------------------------------------


@dataclass(frozen=True)
class DistFile:
    """A wheel's or an sdist's file name, as ``packaging.utils`` reads it."""

    name: str  # normalized (PEP 503): "typing-extensions"
    version: str  # normalized (PEP 440): "2024.1" for "2024.01"
    tags: frozenset[Tag]  # empty for an sdist

    @property
    def is_wheel(self) -> bool:
        return bool(self.tags)

    @property
    def platform_tags(self) -> frozenset[str]:
        return frozenset(t.platform for t in self.tags)


def dist_file(file_name: str) -> DistFile | None:
    """Name, version and tags of a wheel (``.whl``) or sdist (``.tar.gz``, ``.zip``)
    file name; None for anything else, or a name that breaks the rules."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if file_name.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(file_name)
            return DistFile(str(name), str(version), tags)
        if file_name.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(file_name)
            return DistFile(str(name), str(version), frozenset())
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def normalize_version(version: str) -> str:
    """PEP 440's normal form (``2024.01`` -> ``2024.1``), as :class:`DistFile` holds it;
    the text itself when it is no version."""
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def wheel_installs_on(tag: Tag, platform: str | Platform) -> bool:
    """Does a wheel tag's platform part install on ``platform``?"""
    info = TABLE[str(platform)]
    return tag.platform == "any" or (
        tag.platform.startswith(info.wheel_prefixes) and tag.platform.endswith(info.wheel_suffixes)
    )
