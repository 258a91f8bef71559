"""Driver -> CUDA: the newest CUDA toolkit an NVIDIA driver supports, as data.

From NVIDIA's CUDA toolkit release notes, "CUDA Toolkit and Corresponding Driver
Versions" (Table 3): the minimum Linux driver for each toolkit release. This is the
strict reading -- the same number `nvidia-smi` prints as "CUDA Version" -- not the looser
minor-version-compatibility floor (525.60.13 for every 12.x) that uv's
``--torch-backend=auto`` uses: a variant chosen here never needs PTX JIT or a compat
package to run. Thresholds are (major, minor) of the driver, so "550.54" and
"550.54.14" read the same.
"""

from __future__ import annotations

import re

# (cuda version, minimum Linux driver (major, minor)), newest first.
LINUX_MIN_DRIVER: tuple[tuple[str, tuple[int, int]], ...] = (
    ("13.0", (580, 65)),
    ("12.9", (575, 51)),
    ("12.8", (570, 26)),
    ("12.6", (560, 28)),
    ("12.5", (555, 42)),
    ("12.4", (550, 54)),
    ("12.3", (545, 23)),
    ("12.2", (535, 54)),
    ("12.1", (530, 30)),
    ("12.0", (525, 60)),
    ("11.8", (520, 61)),
    ("11.7", (515, 43)),
    ("11.6", (510, 39)),
    ("11.5", (495, 29)),
    ("11.4", (470, 42)),
    ("11.3", (465, 19)),
    ("11.2", (460, 27)),
    ("11.1", (455, 23)),
    ("11.0", (450, 36)),
    ("10.2", (440, 33)),
)

_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?")


def driver_key(version: str) -> tuple[int, int] | None:
    m = _VERSION.match(version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


_DRIVER_VERSION = re.compile(r"^\d{2,4}(\.\d{1,4}){1,3}$")


def is_driver_version(text: str) -> bool:
    """True for a whole NVIDIA driver version ("550.54.14", "552.22", "32.0.15.6094"),
    nothing around it: an override like '550.54.14;rm -rf /' or '1e999' is refused."""
    return bool(_DRIVER_VERSION.match(text))


def max_cuda_for_driver(driver_version: str) -> str | None:
    """The newest CUDA the driver supports ("12.4"), or None for an unknown or too old one.

    Windows drivers (e.g. 552.xx, also what WSL2 reports) use the same major numbers in
    the same order, a little higher; reading them against the Linux table errs on the
    safe side by at most one minor release.
    """
    key = driver_key(driver_version)
    if key is None:
        return None
    for cuda, minimum in LINUX_MIN_DRIVER:
        if key >= minimum:
            return cuda
    return None


def cuda_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)
