"""What stands between a Windows host and a working WSL2 distro, from the facts alone.

Pure: each blocker says what is wrong, the exact command that fixes it and whether that
needs an administrator or a reboot, in the order they have to be cleared (WSL itself,
then the firmware, then a distro). The most common reason `wsl --install` fails is
virtualization switched off in the firmware, which no Windows command can fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bootstrap.host.facts import HostFacts

DEFAULT_DISTRO = "Ubuntu"


@dataclass(frozen=True)
class Blocker:
    # "wsl_not_installed", "virtualization_off", "distro_missing", "no_distro", "distro_wsl1"
    code: str
    message: str
    fix: str
    admin: bool = False
    reboot: bool = False


def _distros(facts: HostFacts) -> list[dict[str, Any]]:
    # Docker Desktop's own distros (docker-desktop, docker-desktop-data) are not for us.
    return [d for d in facts.wsl_distros if not str(d.get("name", "")).startswith("docker-")]


def wsl2_blockers(facts: HostFacts, distro: str | None = None) -> list[Blocker]:
    """The blockers for WSL2 on ``facts`` (a Windows host), first to clear first; [] when
    WSL2 can run ``distro`` (the profile's strategies.wsl2.distro) or, without one, some
    WSL2 distro. Not a Windows host: []."""
    if facts.os != "windows":
        return []
    out: list[Blocker] = []
    if facts.wsl_installed is False:
        out.append(
            Blocker(
                "wsl_not_installed",
                "WSL is not installed on this Windows",
                "in an administrator terminal: `wsl --install --no-distribution`, reboot, "
                "then re-run",
                admin=True,
                reboot=True,
            )
        )
    if facts.virtualization_firmware is False and not facts.hypervisor_present:
        out.append(
            Blocker(
                "virtualization_off",
                "virtualization is off in the firmware (Virtualization Enabled In Firmware: "
                "No); WSL2 runs a VM and cannot start without it",
                "reboot into the UEFI/BIOS setup, enable Intel VT-x (Virtualization "
                "Technology) or AMD-V (SVM Mode), save, boot Windows, then re-run",
                reboot=True,
            )
        )
    out += _distro_blockers(facts, distro)
    return out


def _distro_blockers(facts: HostFacts, wanted: str | None) -> list[Blocker]:
    distros = _distros(facts)
    if wanted:
        match = next((d for d in distros if d.get("name") == wanted), None)
        if match is None:
            return [
                Blocker(
                    "distro_missing",
                    f"WSL distro {wanted!r} (strategies.wsl2.distro) is not installed",
                    f"`wsl --install -d {wanted} --no-launch`, then re-run",
                )
            ]
        return [] if match.get("version") == 2 else [_wsl1(match)]
    if any(d.get("version") == 2 for d in distros):
        return []
    if distros:
        chosen = next((d for d in distros if d.get("default")), distros[0])
        return [_wsl1(chosen)]
    return [
        Blocker(
            "no_distro",
            "WSL has no Linux distro installed",
            f"`wsl --install -d {DEFAULT_DISTRO} --no-launch`, then re-run",
        )
    ]


def _wsl1(d: dict[str, Any]) -> Blocker:
    name = d.get("name")
    return Blocker(
        "distro_wsl1",
        f"WSL distro {name!r} is WSL1, not WSL2",
        f"`wsl --set-version {name} 2`, then re-run",
    )


def wsl2_evidence(facts: HostFacts) -> dict[str, Any]:
    """The facts that decide whether WSL2 can work, for a plan reason's evidence
    (the ones detection could not tell are left out)."""
    found = {
        "wsl_installed": facts.wsl_installed,
        "wsl_default_distro": facts.wsl_default_distro,
        "wsl_default_version": facts.wsl_default_version,
        "wsl_version": facts.wsl_version,
        "wsl_kernel_version": facts.wsl_kernel_version,
        "virtualization_firmware": facts.virtualization_firmware,
        "hypervisor_present": facts.hypervisor_present,
    }
    return {k: v for k, v in found.items() if v is not None}
