"""Which uv artifact a bundle carries for a target, and this machine's platform.

The target key, its grammar and the per-platform table (uv triple, the uv wheel's tags)
live in :mod:`bootstrap.platforms`; this module re-exports what the cache used to define.
"""

from __future__ import annotations

import platform

from bootstrap.platforms import ARCHES as ARCHES  # noqa: PLC0414 - re-exported
from bootstrap.platforms import OSES as OSES  # noqa: PLC0414 - re-exported
from bootstrap.platforms import Target as Target  # noqa: PLC0414 - re-exported
from bootstrap.platforms import UvPlatform as UvPlatform  # noqa: PLC0414 - re-exported
from bootstrap.platforms import dist_file, from_python
from bootstrap.platforms import parse as _parse_target


def host_os_arch() -> tuple[str, str]:
    """This machine's os and arch, as a target key spells them (Python's own words when
    the platform table has no row for them)."""
    found = from_python(platform.system(), platform.machine())
    if found is not None:
        return found.os, found.arch
    return platform.system().lower(), platform.machine().lower()


def uv_artifact_for(target: Target, version: str, names: list[str]) -> str | None:
    """Which of the pinned artifact file ``names`` is uv for ``target``: the release
    archive (``uv-<triple>.tar.gz`` / ``.zip``) or the PyPI wheel."""
    plat = target.uv_platform
    for ext in (".tar.gz", ".zip"):
        if f"uv-{plat.triple}{ext}" in names:
            return f"uv-{plat.triple}{ext}"
    wheels = [(n, dist_file(n)) for n in sorted(names) if n.endswith(".whl")]
    for tag in plat.wheel_tags:
        for name, dist in wheels:
            if dist is None or dist.name != "uv" or dist.version != version:
                continue
            # The triple is glibc's: a wheel that also serves musl is the musl triple's.
            tags = dist.platform_tags
            if tag in tags and not any(t.startswith("musllinux") for t in tags):
                return name
    return None


parse_target = _parse_target  # the one grammar (bootstrap.platforms.parse), by its cache name
