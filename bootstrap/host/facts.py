"""HostFacts: what detection found, as frozen, JSON-round-trippable data.

This is the contract between detection and planning. The planner reads nothing else
about the machine. ``to_dict`` is the ``bootstrap detect --json`` output (documented in
the README); ``from_dict`` reads it back (golden files, replayed plans).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bootstrap.platforms import ARCHES, OSES

OS_NAMES = OSES  # the platform table's
ARCH_NAMES = ARCHES
PROBE_STATUSES = ("ok", "absent", "failed", "timeout")


@dataclass(frozen=True)
class Distro:
    """The Linux distribution, from os-release."""

    id: str  # os-release ID: "ubuntu", "fedora", "alpine"
    version: str  # os-release VERSION_ID, "" when the distro has none (rolling)
    like: tuple[str, ...] = ()  # os-release ID_LIKE


@dataclass(frozen=True)
class Libc:
    """The C library the system's binaries link against."""

    family: str  # "glibc" | "musl"
    version: str | None


@dataclass(frozen=True)
class Gpu:
    """One GPU (or one driver that answered), as its vendor's tools report it."""

    vendor: str  # "nvidia" | "amd" | "apple" | "intel"
    name: str
    memory_bytes: int | None = None
    driver_version: str | None = None
    # NVIDIA: the highest CUDA version the driver supports ("12.4"); None otherwise.
    cuda_version: str | None = None
    # AMD: the ROCm version found ("6.2"); None otherwise.
    rocm_version: str | None = None
    # NVIDIA: what nvidia-smi printed instead of a CUDA version ("ERR!", "N/A"); None
    # when it printed one (or did not run).
    cuda_error: str | None = None
    # NVIDIA Jetson: the L4T (Linux for Tegra) release its kernel module reports ("35.3.1").
    l4t_release: str | None = None
    # True when this entry stands for "an NVIDIA driver answered, its GPUs were not
    # listed" (nvidia-smi printed no readable GPU row, or only the kernel module
    # answered): one entry, but not a count of one GPU.
    count_unknown: bool | None = None


_SPARSE_GPU = ("cuda_error", "l4t_release", "count_unknown")


@dataclass(frozen=True)
class Tools:
    """The tools on PATH that strategies use, and the container engine that answered."""

    docker: str | None = None
    devcontainer: str | None = None
    ssh: str | None = None
    git: str | None = None
    # The engine that answered (`docker version` / `podman version` reached a server):
    # "docker", "podman" or None. `docker` above is only the client on PATH.
    container_engine: str | None = None
    engine_error: str | None = None  # why no engine answered ("Cannot connect to ...")


@dataclass(frozen=True)
class ProbeRecord:
    """How one probe went: its status, its time, and which source answered."""

    status: str  # one of PROBE_STATUSES
    duration_ms: float
    detail: str | None = None  # which source answered, or why it failed


@dataclass(frozen=True)
class HostFacts:
    """What this machine is: the planner's only view of it."""

    os: str
    os_version: str
    arch: str
    kernel: str
    distro: Distro | None = None
    arch_translated: bool = False  # Rosetta 2 or another emulation layer
    libc: Libc | None = None
    wsl: int | None = None  # None, 1 or 2: this system runs inside WSL
    # On Windows: the WSL distros installed,
    # [{"name": "Ubuntu", "version": 2, "default": true}] (version None when unknown).
    wsl_distros: tuple[dict[str, Any], ...] = ()
    # On Windows (None elsewhere, and when the probe could not tell):
    wsl_installed: bool | None = None  # wsl.exe exists and the WSL component is enabled
    wsl_default_distro: str | None = None  # the `*` of `wsl -l -v` / `wsl --status`
    wsl_default_version: int | None = None  # 1 or 2: what `wsl --install -d X` creates
    wsl_version: str | None = None  # the WSL package (`wsl --version`), "2.0.9.0"
    wsl_kernel_version: str | None = None  # the WSL2 kernel it ships, "5.15.133.1-1"
    virtualization_firmware: bool | None = None  # VT-x/AMD-V enabled in the firmware
    hypervisor_present: bool | None = None  # a hypervisor (Hyper-V, WSL2's VM) runs
    container: str | None = None  # "docker", "podman", "lxc", ... or None
    cpu_count: int = 1
    memory_bytes: int = 0
    disk_free_bytes: int = 0
    gpus: tuple[Gpu, ...] = ()
    tools: Tools = field(default_factory=Tools)
    ci: bool = False
    proxy: bool = False
    probes: dict[str, ProbeRecord] = field(default_factory=dict)
    # Facts the user overrode (BOOTSTRAP_CUDA_DRIVER, BOOTSTRAP_FACT_*): key -> raw value.
    overrides: dict[str, str] = field(default_factory=dict)

    # -- conveniences for the planner (pure) ---------------------------------------
    @property
    def nvidia(self) -> Gpu | None:
        return next((g for g in self.gpus if g.vendor == "nvidia"), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["distro"] = (
            None if self.distro is None else {**asdict(self.distro), "like": list(self.distro.like)}
        )
        # The NVIDIA-only facts appear when set, so other hosts' JSON stays as it was.
        d["gpus"] = [
            {k: v for k, v in asdict(g).items() if v is not None or k not in _SPARSE_GPU}
            for g in self.gpus
        ]
        d["wsl_distros"] = [dict(w) for w in self.wsl_distros]
        d["probes"] = {k: asdict(v) for k, v in sorted(self.probes.items())}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HostFacts:
        distro = d.get("distro")
        libc = d.get("libc")
        return cls(
            os=d["os"],
            os_version=d.get("os_version", ""),
            arch=d["arch"],
            kernel=d.get("kernel", ""),
            distro=None
            if distro is None
            else Distro(distro["id"], distro.get("version", ""), tuple(distro.get("like", ()))),
            arch_translated=bool(d.get("arch_translated", False)),
            libc=None if libc is None else Libc(libc["family"], libc.get("version")),
            wsl=d.get("wsl"),
            container=d.get("container"),
            wsl_distros=tuple(dict(w) for w in d.get("wsl_distros", ())),
            wsl_installed=d.get("wsl_installed"),
            wsl_default_distro=d.get("wsl_default_distro"),
            wsl_default_version=d.get("wsl_default_version"),
            wsl_version=d.get("wsl_version"),
            wsl_kernel_version=d.get("wsl_kernel_version"),
            virtualization_firmware=d.get("virtualization_firmware"),
            hypervisor_present=d.get("hypervisor_present"),
            cpu_count=int(d.get("cpu_count", 1)),
            memory_bytes=int(d.get("memory_bytes", 0)),
            disk_free_bytes=int(d.get("disk_free_bytes", 0)),
            gpus=tuple(Gpu(**g) for g in d.get("gpus", ())),
            tools=Tools(**d.get("tools", {})),
            ci=bool(d.get("ci", False)),
            proxy=bool(d.get("proxy", False)),
            probes={k: ProbeRecord(**v) for k, v in d.get("probes", {}).items()},
            overrides=dict(d.get("overrides", {})),
        )


_VERSION_TEXT = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}$")
_DRIVER = re.compile(r"^\d{1,4}(\.\d{1,4}){0,3}$")
_CUDA = re.compile(r"^\d{1,2}\.\d{1,2}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


def check_facts(facts: HostFacts) -> None:
    """Raise ValueError naming the first fact whose type or range is impossible (facts
    from an override or a replay are the user's input: a negative CPU count or a libc
    family of 1 must not reach the planner)."""

    def fail(key: str, expected: str, found: object) -> None:
        raise ValueError(f"{key}: expected {expected}, found {found!r}")

    def integer(key: str, value: object, minimum: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            fail(key, f"an integer >= {minimum}", value)

    if facts.os not in OS_NAMES:
        fail("os", " or ".join(OS_NAMES), facts.os)
    if facts.arch not in ARCH_NAMES:
        fail("arch", " or ".join(ARCH_NAMES), facts.arch)
    for key in ("os_version", "kernel"):
        if not isinstance(getattr(facts, key), str):
            fail(key, "a string", getattr(facts, key))
    for key in ("arch_translated", "ci", "proxy"):
        if not isinstance(getattr(facts, key), bool):
            fail(key, "true or false", getattr(facts, key))
    if facts.wsl is not None and (isinstance(facts.wsl, bool) or facts.wsl not in (1, 2)):
        fail("wsl", "null, 1 or 2", facts.wsl)
    if facts.container is not None and not (
        isinstance(facts.container, str) and _NAME.match(facts.container)
    ):
        fail("container", 'null or an engine name ("docker")', facts.container)
    integer("cpu_count", facts.cpu_count, 1)
    integer("memory_bytes", facts.memory_bytes, 0)
    integer("disk_free_bytes", facts.disk_free_bytes, 0)
    if facts.libc is not None:
        if facts.libc.family not in ("glibc", "musl"):
            fail("libc.family", '"glibc" or "musl"', facts.libc.family)
        version = facts.libc.version
        if version is not None and not (isinstance(version, str) and _VERSION_TEXT.match(version)):
            fail("libc.version", 'null or a version ("2.36")', version)
    for i, gpu in enumerate(facts.gpus):
        if not isinstance(gpu.vendor, str) or not isinstance(gpu.name, str):
            fail(f"gpus[{i}].vendor", "a string", gpu.vendor)
        driver = gpu.driver_version
        if driver is not None and not (isinstance(driver, str) and _DRIVER.match(driver)):
            fail(f"gpus[{i}].driver_version", 'null or a version ("550.54.14")', driver)
        for key in ("cuda_version", "rocm_version"):
            value = getattr(gpu, key)
            if value is not None and not (isinstance(value, str) and _CUDA.match(value)):
                fail(f"gpus[{i}].{key}", 'null or a version ("12.4")', value)
        if gpu.memory_bytes is not None:
            integer(f"gpus[{i}].memory_bytes", gpu.memory_bytes, 0)
        if gpu.count_unknown not in (None, True, False):
            fail(f"gpus[{i}].count_unknown", "null, true or false", gpu.count_unknown)
