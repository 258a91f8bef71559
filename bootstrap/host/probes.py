"""The probes: each reads one kind of fact, from its most reliable source first.

Probes run concurrently, each under its own timeout; one that fails is recorded as
``failed`` and one that overruns as ``timeout``, and detection goes on without them.
Every read goes through a :class:`~bootstrap.host.sources.Source`, so the same code
runs live, records a capture, or replays one.
"""

from __future__ import annotations

import os
import platform
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bootstrap.errors import ReplayError
from bootstrap.host import parse
from bootstrap.host.cuda import max_cuda_for_driver
from bootstrap.host.facts import Gpu
from bootstrap.host.sources import Source

DEFAULT_TIMEOUT = 5.0
WSL_NVIDIA_SMI = "/usr/lib/wsl/lib/nvidia-smi"  # WSL2 mounts the Windows driver's tools here
WINDOWS_NVIDIA_SMI = "C:\\Windows\\System32\\nvidia-smi.exe"
TOOLS = ("docker", "devcontainer", "ssh", "git")
CI_VARS = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "JENKINS_URL",
    "TF_BUILD",
    "TEAMCITY_VERSION",
)
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class Absent(Exception):
    """The thing probed for is not on this machine (a normal outcome)."""


# A probe returns (facts it found, which source answered).
ProbeFn = Callable[[Source, dict[str, Any], float], tuple[dict[str, Any], str]]


# -- the base facts, read first and synchronously: every other probe needs the OS --------
def base(src: Source) -> dict[str, Any]:
    system = src.value("platform.system", platform.system) or ""
    machine = (src.value("platform.machine", platform.machine) or "").lower()
    release = src.value("platform.release", platform.release) or ""
    os_name = {"Darwin": "macos", "Windows": "windows"}.get(system, "linux")
    arch = "arm64" if machine in ("arm64", "aarch64", "armv8", "armv8l") else "x86_64"
    facts: dict[str, Any] = {"os": os_name, "arch": arch, "kernel": release}
    if os_name == "macos":
        version = src.value("platform.mac_ver", lambda: platform.mac_ver()[0]) or ""
        if not version:  # mac_ver() is empty for some framework builds of Python
            r = src.run(["sw_vers"], DEFAULT_TIMEOUT)
            version = parse.sw_vers(r.stdout).get("ProductVersion", "") if r.ok else ""
        facts["os_version"] = version
    elif os_name == "windows":
        facts["os_version"] = src.value("platform.version", platform.version) or ""
    else:
        facts["os_version"] = release
    facts["cpu_count"] = int(src.value("os.cpu_count", os.cpu_count) or 1)
    return facts


# -- probes ------------------------------------------------------------------------------
def probe_translation(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """Rosetta 2 on macOS (sysctl.proc_translated), x64 emulation on Windows on Arm."""
    if f["os"] == "macos":
        r = src.run(["sysctl", "-n", "sysctl.proc_translated"], timeout)
        if r.ok and r.stdout.strip() == "1":
            return {"arch": "arm64", "arch_translated": True}, "sysctl.proc_translated=1"
        if r.ok:
            return {"arch_translated": False}, "sysctl.proc_translated"
        # The key does not exist on Intel Macs: sysctl exits non-zero.
        return {"arch_translated": False}, "no sysctl.proc_translated (Intel Mac)"
    if f["os"] == "windows":
        native = (src.env("PROCESSOR_ARCHITEW6432") or "").upper()
        ident = src.env("PROCESSOR_IDENTIFIER") or ""
        if f["arch"] == "x86_64" and (native == "ARM64" or ident.startswith("ARMv8")):
            return {"arch": "arm64", "arch_translated": True}, "x64 emulation on Arm"
        return {"arch_translated": False}, "native"
    raise Absent


def probe_distro(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    if f["os"] != "linux":
        raise Absent
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = src.read(path)
        if text is not None:
            rel = parse.os_release(text)
            like = tuple(rel.get("ID_LIKE", "").split())
            distro = {
                "id": rel.get("ID", "linux"),
                "version": rel.get("VERSION_ID", ""),
                "like": like,
            }
            return {"distro": distro}, path
    raise Absent


def probe_libc(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    if f["os"] != "linux":
        raise Absent
    conf = src.value("os.confstr.CS_GNU_LIBC_VERSION", _confstr_libc)
    if conf:  # "glibc 2.36"
        _, _, version = str(conf).partition(" ")
        return {"libc": {"family": "glibc", "version": version or None}}, "confstr"
    # musl has no confstr; `ldd --version` prints its banner to stderr and exits 1.
    r = src.run(["ldd", "--version"], timeout)
    found = parse.ldd_version(r.stdout + "\n" + r.stderr)
    if found:
        return {"libc": {"family": found[0], "version": found[1]}}, "ldd --version"
    raise Absent


def _confstr_libc() -> str | None:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return None


def probe_virt(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """Container first, then WSL: a Docker Desktop container runs on the WSL2 kernel and
    would otherwise look like WSL2 (see anchors-strategies.md, section 1.1)."""
    if f["os"] != "linux":
        raise Absent
    container = _container(src)
    if container:
        return {"container": container[0], "wsl": None}, container[1]
    wsl, origin = wsl_generation(src, f["kernel"])
    if wsl:
        return {"wsl": wsl}, origin
    return {"wsl": None, "container": None}, "none"


def wsl_generation(src: Source, kernel: str) -> tuple[int | None, str]:
    """(1 or 2, what said so), or (None, "none") outside WSL. `doctor` asks the same
    function, so both always agree."""
    wsl = parse.wsl_from_kernel(kernel)
    if wsl:
        return wsl, "kernel release"
    # WSL1 of Windows 10 1607 reports the release "3.4.0+"; its /proc/version says it.
    wsl = parse.wsl_from_proc_version(src.read("/proc/version") or "")
    if wsl:
        return wsl, "/proc/version"
    # Every later WSL1 says "-Microsoft" (above); only WSL2 runs custom kernels.
    if src.env("WSL_DISTRO_NAME") or src.env("WSL_INTEROP"):
        return 2, "WSL_* environment"
    if src.glob("/proc/sys/fs/binfmt_misc/WSLInterop*"):
        return 2, "binfmt_misc WSLInterop"
    return None, "none"


def _container(src: Source) -> tuple[str, str] | None:
    if src.read("/.dockerenv") is not None:
        return "docker", "/.dockerenv"
    if src.read("/run/.containerenv") is not None:
        return "podman", "/run/.containerenv"
    env = src.env("container")
    if env:
        return env, "container environment variable"
    cgroup = src.read("/proc/1/cgroup") or ""
    for marker, name in (("kubepods", "kubernetes"), ("docker", "docker"), ("lxc", "lxc")):
        if marker in cgroup:
            return name, "/proc/1/cgroup"
    return None


def probe_memory(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    if f["os"] == "linux":  # cheaper than importing psutil, and replayable as a file
        total = parse.meminfo_total(src.read("/proc/meminfo") or "")
        if total:
            return {"memory_bytes": total}, "/proc/meminfo"
    return {"memory_bytes": int(src.value("memory_bytes", _memory) or 0)}, "psutil"


def _memory() -> int:
    import psutil

    return int(psutil.virtual_memory().total)


def probe_disk(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    free = src.value("disk_free_bytes", lambda: shutil.disk_usage(Path.home()).free)
    return {"disk_free_bytes": int(free or 0)}, "home directory"


def probe_nvidia(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    driver: str | None = None
    origin = ""
    if f["os"] == "linux":
        text = src.read("/sys/module/nvidia/version")
        driver = parse.sys_module_version(text) if text else None
        origin = "/sys/module/nvidia/version" if driver else ""
        if driver is None:
            text = src.read("/proc/driver/nvidia/version")
            driver = parse.proc_driver_version(text) if text else None
            origin = "/proc/driver/nvidia/version" if driver else ""
    # A Jetson's module reports its L4T release, not a driver version: reading it against
    # the driver -> CUDA table would say "supports no CUDA" (35.3.1 < 440).
    l4t = driver if driver is not None and parse.is_l4t_release(driver) else None
    if l4t is not None:
        driver = None
    smi = _nvidia_smi_path(src, f)
    table = None
    if smi:
        r = src.run([smi], timeout)
        if r.timed_out and driver is None and l4t is None:
            raise TimeoutError(f"{smi} did not answer within {timeout:.0f}s")
        table = parse.nvidia_smi(r.stdout) if r.ok else None
        if table is None and driver is None and l4t is None:
            if r.not_found:
                raise Absent
            message = (r.stdout + r.stderr).strip().splitlines()
            raise RuntimeError(f"{smi}: {message[0] if message else 'exit ' + str(r.returncode)}")
    if table is None and driver is None and l4t is None:
        raise Absent
    # A Jetson's nvidia-smi (L4T R36+) has no driver version and an "(nvgpu)" GPU.
    jetson_smi = (
        table is not None
        and table.driver_version is None
        and any("nvgpu" in g.name for g in table.gpus)
    )
    if jetson_smi and l4t is None:
        l4t = "unknown"
    if table is not None:
        driver = driver or table.driver_version
        origin = origin or "nvidia-smi"
        # nvidia-smi's "CUDA Version: ERR!" is kept as what it is; the planner decides
        # what to do with a driver whose CUDA stack answered with an error.
        cuda = table.cuda_version
        if cuda is None and table.cuda_error is None and driver and l4t is None:
            cuda = max_cuda_for_driver(driver)  # an old nvidia-smi with no CUDA column
        default = "NVIDIA Jetson (Tegra)" if l4t else "NVIDIA GPU"
        gpus = [
            Gpu(
                "nvidia",
                g.name,
                g.memory_bytes,
                driver,
                cuda,
                cuda_error=table.cuda_error,
                l4t_release=l4t,
            )
            for g in table.gpus
        ] or [
            # A header but no readable GPU row: the driver is a fact, the count is not.
            Gpu(
                "nvidia",
                default,
                None,
                driver,
                cuda,
                cuda_error=table.cuda_error,
                l4t_release=l4t,
                count_unknown=True,
            )
        ]
        return {"gpus": gpus}, origin
    if l4t is not None:
        gpu = Gpu(
            "nvidia", "NVIDIA Jetson (Tegra)", None, None, None, l4t_release=l4t, count_unknown=True
        )
        return {"gpus": [gpu]}, origin
    if driver is None:  # pragma: no cover - ruled out above
        raise Absent
    only = Gpu(
        "nvidia", "NVIDIA GPU", None, driver, max_cuda_for_driver(driver), count_unknown=True
    )
    return {"gpus": [only]}, origin


def _nvidia_smi_path(src: Source, f: dict[str, Any]) -> str | None:
    if f["os"] == "windows":
        found = src.value("which.nvidia-smi", lambda: shutil.which("nvidia-smi"))
        return str(found) if found else WINDOWS_NVIDIA_SMI
    if f["os"] != "linux":
        return None
    # Inside WSL2 the tool lives outside PATH (and /sys, /proc say nothing). A custom
    # WSL2 kernel need not say so in its release; WSL sets WSL_DISTRO_NAME (probe_virt).
    wsl2 = parse.wsl_from_kernel(f["kernel"]) == 2 or src.env("WSL_DISTRO_NAME")
    if wsl2 and src.glob(WSL_NVIDIA_SMI):
        return WSL_NVIDIA_SMI
    found = src.value("which.nvidia-smi", lambda: shutil.which("nvidia-smi"))
    return str(found) if found else None


def probe_amd(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    if f["os"] != "linux":
        raise Absent
    rocm_text = src.read("/opt/rocm/.info/version")
    rocm = parse.rocm_version(rocm_text) if rocm_text else None
    tool = src.value("which.rocminfo", lambda: shutil.which("rocminfo"))
    if tool is None and src.read("/opt/rocm/bin/rocminfo") is not None:
        tool = "/opt/rocm/bin/rocminfo"
    if tool:
        r = src.run([tool], timeout)
        names = parse.rocminfo_marketing(r.stdout) if r.ok else []
        gfx = parse.rocminfo_gfx(r.stdout) if r.ok else []
        if names or gfx:
            labels = names or gfx
            return {"gpus": [Gpu("amd", n, None, None, None, rocm) for n in labels]}, "rocminfo"
    # No ROCm user space: the kernel still lists the cards (vendor 0x1002).
    cards = _drm_cards(src, "0x1002")
    if cards:
        gpus = []
        for vendor_file in cards:
            vram = src.read(vendor_file.replace("/vendor", "/mem_info_vram_total"))
            gpus.append(
                Gpu(
                    "amd",
                    "AMD GPU",
                    int(vram) if vram and vram.strip().isdigit() else None,
                    None,
                    None,
                    rocm,
                )
            )
        return {"gpus": gpus}, "sysfs"
    raise Absent


def _drm_cards(src: Source, vendor: str) -> list[str]:
    """The `vendor` files of the kernel's GPUs (card0, card1; not connectors like card0-DP-1)
    whose PCI vendor is ``vendor``."""
    return [
        p
        for p in src.glob("/sys/class/drm/card*/device/vendor")
        if "-" not in p.split("/")[4] and (src.read(p) or "").strip() == vendor
    ]


def probe_intel(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """Intel GPUs (integrated or Arc) on Linux, from the kernel's PCI vendor id."""
    if f["os"] != "linux":
        raise Absent
    cards = _drm_cards(src, "0x8086")
    if not cards:
        raise Absent
    return {"gpus": [Gpu("intel", "Intel GPU") for _ in cards]}, "sysfs"


def probe_apple(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    if f["os"] != "macos":
        raise Absent
    r = src.run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout)
    brand = r.stdout.strip() if r.ok else ""
    if brand.startswith("Apple"):
        # Unified memory: the GPU shares the machine's RAM.
        return {
            "gpus": [Gpu("apple", f"{brand} GPU", None, None, None)]
        }, "machdep.cpu.brand_string"
    raise Absent


def probe_wsl_distros(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """From Windows: whether WSL is installed, its distros, their WSL version and the
    default one. Builds without `--verbose` (before 18917) fall back to `wsl --list`, and
    builds without that (before 18305) to `wslconfig /l`; those builds predate WSL2, so
    every distro there is WSL1."""
    if f["os"] != "windows":
        raise Absent
    r = src.run(["wsl.exe", "--list", "--verbose"], timeout)
    if r.not_found:  # no wsl.exe: the WSL optional component was never enabled
        return {"wsl_installed": False, "wsl_distros": []}, "no wsl.exe"
    if r.timed_out:
        raise TimeoutError(f"wsl.exe did not answer within {timeout:.0f}s")
    rows = parse.wsl_list_verbose(r.stdout)
    origin = "wsl.exe --list --verbose"
    said = parse.wsl_message(r.stdout + r.stderr)
    if rows is None and said == "usage":
        for argv in (["wsl.exe", "--list"], ["wslconfig.exe", "/l"]):
            old = src.run(argv, timeout)
            plain = parse.wsl_list_plain(old.stdout) if old.ok else None
            if plain is not None:
                rows = [parse.WslDistro(d.name, 1, d.default) for d in plain]
                origin = " ".join(argv) + " (a build before WSL2)"
                break
            said = parse.wsl_message(old.stdout + old.stderr) or said
    if rows is None:
        installed = {"no_distro": True, "not_installed": False}.get(said or "")
        why = f"{origin}: {parse.first_line(r.stdout, r.stderr) or 'exit ' + str(r.returncode)}"
        return {"wsl_installed": installed, "wsl_distros": []}, why
    found: dict[str, Any] = {
        "wsl_installed": True,
        "wsl_distros": [{"name": d.name, "version": d.version, "default": d.default} for d in rows],
        "wsl_default_distro": next((d.name for d in rows if d.default), None),
    }
    if origin != "wsl.exe --list --verbose":
        found["wsl_default_version"] = 1
    return found, origin


def probe_wsl_status(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """From Windows: the default WSL version and distro (`wsl --status`, build 19041+) and
    the WSL package and kernel versions (`wsl --version`, WSL from the Store)."""
    if f["os"] != "windows":
        raise Absent
    status = src.run(["wsl.exe", "--status"], timeout)
    if status.timed_out:
        raise TimeoutError(f"wsl.exe --status did not answer within {timeout:.0f}s")
    found: dict[str, Any] = {}
    said = parse.wsl_message(status.stdout + status.stderr)
    info = parse.wsl_status(status.stdout) if said is None else {}
    if said == "not_installed":
        found["wsl_status_installed"] = False
    if "default_version" in info:
        found["wsl_default_version"] = info["default_version"]
        found["wsl_status_installed"] = True
    if "default_distro" in info:
        found["wsl_status_distro"] = info["default_distro"]
    version = src.run(["wsl.exe", "--version"], timeout)
    if status.not_found and version.not_found:
        raise Absent
    numbers = parse.wsl_version(version.stdout) if version.ok else {}
    found["wsl_version"] = numbers.get("wsl")
    found["wsl_kernel_version"] = numbers.get("kernel") or info.get("kernel")
    asked = [a for a, r in (("--status", status), ("--version", version)) if r.ok]
    return found, "wsl.exe " + (", ".join(asked) or "--status, --version: no answer")


# One PowerShell call, Format-List output ("VirtualizationFirmwareEnabled : True"):
# CIM answers in well under a second where systeminfo takes seconds (it lists hotfixes
# and network cards) and is localized.
WINDOWS_VIRT_QUERY = [
    "powershell.exe",
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "Get-CimInstance Win32_Processor | Format-List VirtualizationFirmwareEnabled; "
    "Get-CimInstance Win32_ComputerSystem | Format-List HypervisorPresent",
]


def probe_virtualization(
    src: Source, f: dict[str, Any], timeout: float
) -> tuple[dict[str, Any], str]:
    """From Windows: virtualization enabled in the firmware, and a running hypervisor --
    what decides whether WSL2 can start at all. CIM first; systeminfo's "Hyper-V
    Requirements" section when PowerShell gives no answer."""
    if f["os"] != "windows":
        raise Absent
    r = src.run(WINDOWS_VIRT_QUERY, timeout)
    firmware, hypervisor = parse.hyperv_state(r.stdout) if r.ok else (None, None)
    origin = "Win32_Processor, Win32_ComputerSystem"
    if firmware is None and hypervisor is None:
        r = src.run(["systeminfo.exe"], timeout)
        if r.timed_out:
            raise TimeoutError(f"systeminfo did not answer within {timeout:.0f}s")
        firmware, hypervisor = parse.hyperv_state(r.stdout) if r.ok else (None, None)
        origin = "systeminfo Hyper-V Requirements"
        if firmware is None and hypervisor is None:
            raise Absent
    return {"virtualization_firmware": firmware, "hypervisor_present": hypervisor}, origin


ENGINES = ("docker", "podman")


def probe_engine(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    """A container engine that answers, not just a client on PATH. `version` asks the
    server for its version (a cheap API call; a stopped Docker daemon, Docker Desktop or
    podman machine fails it with "Cannot connect to ..."); the template prints only that
    version, so a capture never holds the host name or paths that `info` would."""
    errors: list[str] = []
    found = [
        (name, path)
        for name in ENGINES
        if (path := src.value(f"which.{name}", lambda n=name: shutil.which(n)))  # type: ignore[misc]
    ]
    # Asked at once (each costs a process start and a socket), read in order: an answer
    # (or error) after the first engine that answered is never looked at, as if never
    # asked (a capture holds only what a sequential probe asked).
    answers: list[Any] = [None] * len(found)

    def ask(i: int, path: str) -> None:
        try:
            answers[i] = src.run([str(path), "version", "--format", "{{.Server.Version}}"], timeout)
        except Exception as exc:  # re-raised below if this answer is the one that counts
            answers[i] = exc

    askers = [
        threading.Thread(target=ask, args=(i, p), daemon=True) for i, (_, p) in enumerate(found)
    ]
    for t in askers:
        t.start()
    for t in askers:
        t.join()
    for (name, _path), r in zip(found, answers):
        if isinstance(r, Exception):
            raise r
        if r.ok and r.stdout.strip():
            # An engine that did not answer before this one is still worth telling.
            result = {"container_engine": name, "engine_error": "; ".join(errors) or None}
            return result, f"{name} {r.stdout.strip()}"
        if r.timed_out:
            errors.append(f"{name}: no answer within {timeout:.0f}s")
        else:
            errors.append(f"{name}: {parse.first_line(r.stderr, r.stdout) or 'no server'}")
    if not errors:
        raise Absent
    return {"container_engine": None, "engine_error": "; ".join(errors)}, "no engine answered"


# PCI vendor ids (PNPDeviceID "PCI\\VEN_8086&DEV_...") -> our GPU vendors.
PCI_VENDORS = {"10DE": "nvidia", "1002": "amd", "8086": "intel"}
WINDOWS_VIDEO_QUERY = [
    "powershell.exe",
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "Get-CimInstance Win32_VideoController | Format-List Name,PNPDeviceID",
]


def probe_windows_gpus(
    src: Source, f: dict[str, Any], timeout: float
) -> tuple[dict[str, Any], str]:
    """AMD and Intel GPUs on Windows (NVIDIA ones come with their driver from nvidia-smi)."""
    if f["os"] != "windows":
        raise Absent
    r = src.run(WINDOWS_VIDEO_QUERY, timeout)
    if r.timed_out:
        raise TimeoutError(f"PowerShell did not answer within {timeout:.0f}s")
    if r.not_found:
        raise Absent
    gpus = [
        Gpu(PCI_VENDORS[ven], name)
        for name, ven in parse.windows_video_controllers(r.stdout)
        if ven in PCI_VENDORS and PCI_VENDORS[ven] != "nvidia"
    ]
    if not gpus:
        raise Absent
    return {"gpus": gpus}, "Win32_VideoController"


def probe_tools(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    found = {t: src.value(f"which.{t}", lambda t=t: shutil.which(t)) for t in TOOLS}  # type: ignore[misc]
    return {"tools": found}, "PATH"


def probe_env(src: Source, f: dict[str, Any], timeout: float) -> tuple[dict[str, Any], str]:
    ci = any((src.env(v) or "").lower() not in ("", "0", "false") for v in CI_VARS)
    proxy = any(src.env(v) for v in PROXY_VARS)
    return {"ci": ci, "proxy": proxy}, "environment"


PROBES: dict[str, ProbeFn] = {
    "translation": probe_translation,
    "distro": probe_distro,
    "libc": probe_libc,
    "virt": probe_virt,
    "memory": probe_memory,
    "disk": probe_disk,
    "nvidia": probe_nvidia,
    "amd": probe_amd,
    "intel": probe_intel,
    "apple": probe_apple,
    "wsl_distros": probe_wsl_distros,
    "wsl_status": probe_wsl_status,
    "virtualization": probe_virtualization,
    "engine": probe_engine,
    "windows_gpus": probe_windows_gpus,
    "tools": probe_tools,
    "env": probe_env,
}


def run_probes(
    src: Source,
    facts: dict[str, Any],
    timeout: float,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, tuple[str, float, str | None, dict[str, Any]]]:
    """Run every probe in its own daemon thread; wait at most ``timeout`` for each.

    Returns name -> (status, duration_ms, detail, facts found). Daemon threads mean a
    probe stuck in a system call cannot keep the process alive after we gave up on it.
    ``meanwhile`` runs in the calling thread once the probes have started: they spend
    their time waiting on commands (`podman version` alone takes ~40 ms), which leaves
    this thread free for work of its own, such as importing the planner.
    """
    results: dict[str, tuple[str, float, str | None, dict[str, Any]]] = {}
    replay_errors: list[ReplayError] = []
    lock = threading.Lock()
    threads = {}
    start = time.monotonic()

    def work(name: str, fn: ProbeFn) -> None:
        t0 = time.monotonic()
        outcome: tuple[str, str | None, dict[str, Any]]
        try:
            found, origin = fn(src, facts, timeout)
            outcome = ("ok", origin, found)
        except Absent:
            outcome = ("absent", None, {})
        except TimeoutError as exc:
            outcome = ("timeout", str(exc), {})
        except ReplayError as exc:  # a bad capture is the user's to fix: report it
            with lock:
                replay_errors.append(exc)
            outcome = ("failed", exc.message, {})
        except Exception as exc:  # a probe bug must never crash detection
            outcome = ("failed", f"{type(exc).__name__}: {exc}", {})
        ms = round((time.monotonic() - t0) * 1000, 1)
        with lock:
            results.setdefault(name, (outcome[0], ms, outcome[1], outcome[2]))

    for name, fn in PROBES.items():
        t = threading.Thread(target=work, args=(name, fn), name=f"probe-{name}", daemon=True)
        threads[name] = t
        t.start()
    if meanwhile is not None:
        meanwhile()
    deadline = start + timeout + 0.5  # commands get `timeout`; allow them to report it
    for name, t in threads.items():
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            with lock:
                ms = round((time.monotonic() - start) * 1000, 1)
                results.setdefault(name, ("timeout", ms, f"no answer within {timeout:.1f}s", {}))
    if replay_errors:
        raise replay_errors[0]
    return results
