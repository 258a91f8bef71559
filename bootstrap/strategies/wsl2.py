"""WSL2: the environment lives in a Linux distro on a Windows host."""

from __future__ import annotations

from bootstrap.plan.model import Plan


def describe(plan: Plan) -> list[str]:
    # WSL_UTF8=1 makes wsl.exe print UTF-8 instead of UTF-16LE, so its output can be read.
    return [
        "check the distro: `wsl.exe --list --verbose` (with WSL_UTF8=1)",
        "copy or clone the project into the distro's own filesystem (not /mnt/c: 9P is slow)",
        "inside the distro: `./install.sh --profile " + plan.profile + "`",
    ]
