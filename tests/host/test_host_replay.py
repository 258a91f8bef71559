"""Whole hosts we do not have, replayed from capture directories (tests/fixtures/hosts)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli

from bootstrap.errors import ReplayError, UserError
from bootstrap.host import detect, replay
from bootstrap.host.facts import HostFacts
from bootstrap.host.sources import Replay

HOSTS = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"
GIB = 2**30


def host(name: str) -> HostFacts:
    return replay(HOSTS / name)


def nvidia(f: HostFacts) -> list[tuple[str, str | None, str | None]]:
    return [(g.name, g.driver_version, g.cuda_version) for g in f.gpus if g.vendor == "nvidia"]


def test_every_host_folder_replays_without_failed_probes() -> None:
    names = sorted(p.name for p in HOSTS.iterdir() if (p / "capture.json").is_file())
    assert len(names) >= 12
    for name in names:
        f = host(name)
        failed = {k: r.detail for k, r in f.probes.items() if r.status in ("failed", "timeout")}
        if name == "linux-nvidia-not-loaded":
            assert set(failed) == {"nvidia"}
        else:
            assert failed == {}, name


def test_macos_arm64() -> None:
    f = host("macos-arm64")
    assert (f.os, f.os_version, f.arch, f.arch_translated) == ("macos", "12.6", "arm64", False)
    assert (f.distro, f.libc, f.wsl, f.container) == (None, None, None, None)
    assert [(g.vendor, g.name) for g in f.gpus] == [("apple", "Apple M1 Pro GPU")]
    assert f.memory_bytes == 16 * GIB


def test_macos_x86_shell_under_rosetta_reports_arm64_translated() -> None:
    f = host("macos-rosetta")
    assert (f.os, f.arch, f.arch_translated) == ("macos", "arm64", True)
    assert f.probes["translation"].detail == "sysctl.proc_translated=1"
    assert [g.vendor for g in f.gpus] == ["apple"]


def test_windows_with_wsl() -> None:
    f = host("windows-wsl2")
    assert (f.os, f.os_version, f.arch, f.wsl, f.distro) == (
        "windows",
        "10.0.22631",
        "x86_64",
        None,
        None,
    )
    assert [dict(d) for d in f.wsl_distros] == [
        {"name": "Ubuntu", "version": 2, "default": True},
        {"name": "Legacy", "version": 1, "default": False},
        {"name": "Ubuntu-18.04", "version": 1, "default": False},
        {"name": "docker-desktop", "version": 2, "default": False},
    ]
    assert (f.wsl_installed, f.wsl_default_distro) == (True, "Ubuntu")
    assert (f.wsl_version, f.wsl_kernel_version) == ("1.1.2.0", "5.15.83.1")
    # systeminfo: "A hypervisor has been detected" -- the firmware flag is hidden then.
    assert (f.hypervisor_present, f.virtualization_firmware) == (True, None)
    assert nvidia(f) == [("NVIDIA GeForce ...", "517.48", "11.7")] * 2
    assert f.tools.git == "C:\\Program Files\\Git\\cmd\\git.exe"


def test_windows_without_wsl() -> None:
    f = host("windows-no-wsl")
    assert f.os == "windows"
    assert f.wsl_distros == ()
    assert [(g.vendor, g.name) for g in f.gpus] == [("intel", "Intel(R) UHD Graphics")]
    assert f.probes["nvidia"].status == "absent"
    assert f.probes["windows_gpus"].status == "ok"


@pytest.mark.parametrize(
    ("name", "installed", "distros", "firmware", "hypervisor"),
    [
        ("windows-wsl-not-installed", False, [], True, False),
        ("windows-virtualization-off", True, [], False, False),
        ("windows-wsl1-only", True, [("Ubuntu", 1, True)], True, False),
        ("windows-no-distro", True, [], None, True),
        (
            "windows-old-build-zh",
            True,
            [("Ubuntu-18.04", 1, True), ("Ubuntu", 1, False)],
            None,
            None,
        ),
    ],
)
def test_windows_wsl_readiness_facts(
    name: str,
    installed: bool,
    distros: list[tuple[str, int, bool]],
    firmware: bool | None,
    hypervisor: bool | None,
) -> None:
    f = host(name)
    assert f.wsl_installed is installed
    assert [(d["name"], d["version"], d["default"]) for d in f.wsl_distros] == distros
    assert (f.virtualization_firmware, f.hypervisor_present) == (firmware, hypervisor)
    assert all(r.status in ("ok", "absent") for r in f.probes.values()), f.probes


def test_windows_status_and_version_facts() -> None:
    f = host("windows-virtualization-off")
    assert (f.wsl_default_version, f.wsl_version, f.wsl_kernel_version) == (
        1,
        "1.1.2.0",
        "5.15.83.1",
    )
    assert f.probes["virtualization"].detail == "systeminfo Hyper-V Requirements"
    old = host("windows-old-build-zh")
    assert (old.wsl_default_distro, old.wsl_default_version) == ("Ubuntu-18.04", 1)
    assert old.probes["wsl_distros"].detail == "wsl.exe --list (a build before WSL2)"
    assert host("windows-wsl-not-installed").probes["wsl_distros"].detail == "no wsl.exe"


def test_wsl2_with_a_custom_kernel_is_found_by_its_variables() -> None:
    f = host("wsl2-custom-kernel")
    assert (f.wsl, f.container) == (2, None)
    assert f.probes["virt"].detail == "WSL_* environment"


def test_wsl2_with_nvidia_uses_the_wsl_nvidia_smi() -> None:
    f = host("wsl2-nvidia")
    assert (f.os, f.wsl, f.container) == ("linux", 2, None)
    assert f.distro is not None and f.distro.id == "ubuntu"
    assert nvidia(f) == [("NVIDIA GeForce GTX 1650 ...", "537.13", "12.2")]
    assert f.probes["nvidia"].detail == "nvidia-smi"


@pytest.mark.parametrize(
    ("name", "expected", "source"),
    [
        ("linux-nvidia-470", [("NVIDIA GeForce ...", "470.57.02", "11.4")], "/sys/module"),
        ("linux-nvidia-535", [("NVIDIA A800-SXM4-80GB", "535.86.10", "12.2")] * 2, "nvidia-smi"),
        ("linux-nvidia-550", [("NVIDIA GeForce RTX 4070", "550.40.07", "12.4")], "/sys/module"),
        ("linux-nvidia-565-open", [("NVIDIA GPU", "565.57.01", "12.6")], "/proc/driver"),
        # No nvidia-smi: CUDA comes from the driver table.
        ("linux-nvidia-580", [("NVIDIA GPU", "580.82.07", "13.0")], "/sys/module"),
    ],
)
def test_linux_nvidia_driver_branches(
    name: str, expected: list[tuple[str, str, str]], source: str
) -> None:
    f = host(name)
    assert (f.os, f.wsl, f.container) == ("linux", None, None)
    assert nvidia(f) == expected
    detail = f.probes["nvidia"].detail or ""
    assert detail.startswith(source)
    assert f.nvidia is not None and f.nvidia.driver_version == expected[0][1]


def test_nvidia_driver_not_loaded_is_a_failed_probe_not_a_gpu() -> None:
    f = host("linux-nvidia-not-loaded")
    assert f.gpus == ()
    assert f.probes["nvidia"].status == "failed"
    assert "couldn't communicate" in (f.probes["nvidia"].detail or "")


def test_linux_without_gpu() -> None:
    f = host("linux-no-gpu")
    assert f.gpus == ()
    assert f.distro is not None
    assert (f.distro.id, f.distro.version, f.distro.like) == ("ubuntu", "24.04", ("debian",))
    assert f.libc is not None and (f.libc.family, f.libc.version) == ("glibc", "2.39")
    assert {k: r.status for k, r in f.probes.items()}["nvidia"] == "absent"


def test_gpus_from_sysfs_without_vendor_tools() -> None:
    f = host("linux-intel-amd-sysfs")
    assert sorted((g.vendor, g.name, g.memory_bytes) for g in f.gpus) == [
        ("amd", "AMD GPU", 17163091968),
        ("intel", "Intel GPU", None),
    ]
    assert (f.probes["amd"].detail, f.probes["intel"].detail) == ("sysfs", "sysfs")


def test_alpine_musl_from_ldd_stderr() -> None:
    f = host("linux-alpine-musl")
    assert f.libc is not None and (f.libc.family, f.libc.version) == ("musl", "1.1.24")
    assert f.distro is not None and f.distro.id == "alpine"


def test_docker_desktop_container_on_wsl2_kernel_is_a_container_not_wsl() -> None:
    f = host("container-on-wsl2")
    assert "microsoft-standard-WSL2" in f.kernel
    assert (f.container, f.wsl) == ("docker", None)


def test_replay_reads_nothing_from_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Windows capture on Linux: even with this machine's env full of WSL and CI hints.
    monkeypatch.setenv("WSL_DISTRO_NAME", "Here")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    f = host("windows-no-wsl")
    assert (f.os, f.ci, f.proxy) == ("windows", False, False)


# -- overrides -----------------------------------------------------------------------
def test_cuda_driver_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_CUDA_DRIVER", "535.54.03")
    f = host("linux-no-gpu")
    assert nvidia(f) == [("NVIDIA GPU (override)", "535.54.03", "12.2")]
    assert f.overrides == {"BOOTSTRAP_CUDA_DRIVER": "535.54.03"}


def test_empty_cuda_driver_override_removes_nvidia(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_CUDA_DRIVER", "")
    f = host("linux-nvidia-550")
    assert f.gpus == ()
    assert f.overrides == {"BOOTSTRAP_CUDA_DRIVER": ""}


def test_generic_fact_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_FACT_MEMORY_BYTES", "8000000000")
    monkeypatch.setenv("BOOTSTRAP_FACT_WSL", "2")
    monkeypatch.setenv("BOOTSTRAP_FACT_CONTAINER", "podman")  # not JSON: taken as a string
    f = host("linux-no-gpu")
    assert (f.memory_bytes, f.wsl, f.container) == (8_000_000_000, 2, "podman")
    assert set(f.overrides) == {
        "BOOTSTRAP_FACT_MEMORY_BYTES",
        "BOOTSTRAP_FACT_WSL",
        "BOOTSTRAP_FACT_CONTAINER",
    }


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("BOOTSTRAP_CUDA_DRIVER", "latest", "BOOTSTRAP_CUDA_DRIVER"),
        ("BOOTSTRAP_FACT_MEMORY", "1", "BOOTSTRAP_FACT_MEMORY"),
        ("BOOTSTRAP_FACT_GPUS", '[{"vendor": "nvidia"}]', "BOOTSTRAP_FACT_GPUS"),
    ],
)
def test_bad_overrides_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, named: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(UserError) as err:
        host("linux-no-gpu")
    assert named in err.value.message


# -- corrupt and partial captures -----------------------------------------------------
def copy_host(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(HOSTS / name, dest)
    return dest


def test_missing_referenced_file_names_the_entry(tmp_path: Path) -> None:
    d = copy_host(tmp_path, "linux-nvidia-470")
    (d / "commands" / "0003.out").unlink()
    with pytest.raises(ReplayError) as err:
        Replay(d)
    assert "commands/0003.out" in err.value.message
    assert "commands[0].stdout" in err.value.message


def test_bad_json_and_bad_entries(tmp_path: Path) -> None:
    d = copy_host(tmp_path, "linux-no-gpu")
    index = d / "capture.json"
    data = json.loads(index.read_text())
    index.write_text(index.read_text()[:50])
    with pytest.raises(ReplayError, match="not valid JSON"):
        Replay(d)
    data["commands"] = [{"argv": ["x"], "returncode": "zero"}]
    index.write_text(json.dumps(data))
    with pytest.raises(ReplayError, match=r"commands\[0\]\.returncode"):
        Replay(d)
    data["commands"] = []
    data["files"]["/etc/os-release"] = "../../etc/passwd"
    index.write_text(json.dumps(data))
    with pytest.raises(ReplayError, match="bad reference"):
        Replay(d)
    data["format"] = 99
    index.write_text(json.dumps(data))
    with pytest.raises(ReplayError, match="format 99"):
        Replay(d)


def test_partial_capture_names_what_is_missing(tmp_path: Path) -> None:
    # A real capture records every read; one that lacks a read is partial, not "absent".
    d = copy_host(tmp_path, "linux-no-gpu")
    index = d / "capture.json"
    data = json.loads(index.read_text())
    del data["unlisted"]
    index.write_text(json.dumps(data))
    with pytest.raises(ReplayError, match=r"no .* entry for"):
        detect(Replay(d))


def test_cli_corrupt_replay_exits_2_naming_the_entry(tmp_path: Path) -> None:
    d = copy_host(tmp_path, "wsl2-nvidia")
    (d / "files" / "0001").unlink()
    r = cli.bootstrap("detect", "--replay", str(d), "--json", timeout=60)
    assert r.returncode == 2, r.stderr
    assert "files/0001" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_replay_json_is_the_facts() -> None:
    where = str(HOSTS / "macos-rosetta")
    r = cli.bootstrap("detect", "--json", "--replay", where, timeout=60)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["os"], data["arch"], data["arch_translated"]) == ("macos", "arm64", True)
    assert without_timings(data) == without_timings(host("macos-rosetta").to_dict())


def without_timings(d: dict[str, object]) -> dict[str, object]:
    probes = d["probes"]
    assert isinstance(probes, dict)
    return {**d, "probes": {k: (v["status"], v["detail"]) for k, v in probes.items()}}


def test_cli_set_overrides_a_fact_and_rejects_unknown_keys() -> None:
    where = str(HOSTS / "linux-no-gpu")
    base = [sys.executable, "-m", "bootstrap", "detect", "--json", "--replay", where]
    r = subprocess.run(
        [*base, "--set", "wsl=2", "--set", "memory_bytes=8e9"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["wsl"], data["memory_bytes"]) == (2, 8_000_000_000)
    bad = subprocess.run(
        [*base, "--set", "memory=1"], check=False, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert "memory" in bad.stderr and "Traceback" not in bad.stderr
