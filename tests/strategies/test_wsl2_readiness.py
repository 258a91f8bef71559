"""WSL2 readiness on the replayed Windows hosts (tests/fixtures/hosts, real outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.host import replay
from bootstrap.host.facts import HostFacts
from bootstrap.strategies.wsl2_readiness import wsl2_blockers, wsl2_evidence

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"


def host(name: str) -> HostFacts:
    return replay(CAPTURES / name)


@pytest.mark.parametrize(
    ("name", "codes", "first_fix", "admin", "reboot"),
    [
        (
            "windows-wsl-not-installed",
            ["wsl_not_installed", "no_distro"],
            "in an administrator terminal: `wsl --install --no-distribution`, reboot, then re-run",
            True,
            True,
        ),
        (
            "windows-virtualization-off",
            ["virtualization_off", "no_distro"],
            "reboot into the UEFI/BIOS setup, enable Intel VT-x (Virtualization Technology) "
            "or AMD-V (SVM Mode), save, boot Windows, then re-run",
            False,
            True,
        ),
        (
            "windows-wsl1-only",
            ["distro_wsl1"],
            "`wsl --set-version Ubuntu 2`, then re-run",
            False,
            False,
        ),
        (
            "windows-no-distro",
            ["no_distro"],
            "`wsl --install -d Ubuntu --no-launch`, then re-run",
            False,
            False,
        ),
        (
            "windows-old-build-zh",
            ["distro_wsl1"],
            "`wsl --set-version Ubuntu-18.04 2`, then re-run",  # the default distro
            False,
            False,
        ),
    ],
)
def test_blockers_in_the_order_to_clear_them(
    name: str, codes: list[str], first_fix: str, admin: bool, reboot: bool
) -> None:
    found = wsl2_blockers(host(name))
    assert [b.code for b in found] == codes
    assert (found[0].fix, found[0].admin, found[0].reboot) == (first_fix, admin, reboot)


def test_a_working_wsl2_host_has_no_blockers() -> None:
    f = host("windows-wsl2")
    assert wsl2_blockers(f) == []
    # A distro the profile names: missing, or WSL1.
    missing = wsl2_blockers(f, "Debian")
    assert [(b.code, b.fix) for b in missing] == [
        ("distro_missing", "`wsl --install -d Debian --no-launch`, then re-run")
    ]
    assert [b.code for b in wsl2_blockers(f, "Legacy")] == ["distro_wsl1"]
    assert wsl2_blockers(f, "Ubuntu") == []


def test_not_a_windows_host() -> None:
    assert wsl2_blockers(host("wsl2-nvidia")) == []
    assert wsl2_evidence(host("wsl2-nvidia")) == {}


def test_evidence_holds_what_detection_found() -> None:
    assert wsl2_evidence(host("windows-virtualization-off")) == {
        "wsl_installed": True,
        "wsl_default_version": 1,
        "wsl_version": "1.1.2.0",
        "wsl_kernel_version": "5.15.83.1",
        "virtualization_firmware": False,
        "hypervisor_present": False,
    }
