"""Which accelerator variant of a lock a host can run: newest CUDA the driver supports,
else ROCm, else CPU. Pure: it reads HostFacts, never the machine.

The driver's CUDA ceiling is what detection read (``nvidia-smi`` prints it as "CUDA
Version"); when detection only found the driver version, the driver -> CUDA table in
:mod:`bootstrap.host.cuda` gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bootstrap.host.cuda import cuda_key, max_cuda_for_driver
from bootstrap.host.facts import HostFacts
from bootstrap.profiles import LockSpec, Needs, Variant


def cuda_of(accel: str) -> tuple[int, int] | None:
    """ "cu126" -> (12, 6), "cu130" -> (13, 0), "cu118" -> (11, 8); None for others."""
    if accel.startswith("cu") and accel[2:].isdigit() and len(accel) >= 5:
        digits = accel[2:]
        return int(digits[:-1]), int(digits[-1])
    return None


def rocm_of(accel: str) -> tuple[int, int] | None:
    if accel.startswith("rocm"):
        major, _, minor = accel[4:].partition(".")
        if major.isdigit() and minor.isdigit():
            return int(major), int(minor)
    return None


def rank(accel: str) -> tuple[int, tuple[int, int]]:
    """Newest first: CUDA by version, then ROCm by version, then CPU."""
    cuda = cuda_of(accel)
    if cuda:
        return 2, cuda
    rocm = rocm_of(accel)
    if rocm:
        return 1, rocm
    return 0, (0, 0)


def is_gpu(accel: str) -> bool:
    return rank(accel)[0] > 0


def _ver(key: tuple[int, int]) -> str:
    return f"{key[0]}.{key[1]}"


@dataclass(frozen=True)
class GpuView:
    """What the place the environment will live in can use: a CUDA ceiling, a ROCm
    version, or nothing (and why)."""

    max_cuda: str | None = None
    driver: str | None = None
    gpu_name: str | None = None
    cuda_source: str | None = None  # "driver report" | "driver table"
    rocm: str | None = None
    none_why: str = "no NVIDIA or AMD GPU was detected"
    assumed: bool = False  # remote: the remote host re-plans with its own facts
    cuda_error: str | None = None  # nvidia-smi printed this instead of a CUDA version
    l4t_release: str | None = None  # an NVIDIA Jetson
    warning: str | None = None  # for the plan's warnings: the choice rests on less than usual

    def evidence(self) -> dict[str, Any]:
        ev: dict[str, Any] = {}
        for key in (
            "gpu_name",
            "driver",
            "max_cuda",
            "cuda_source",
            "cuda_error",
            "l4t_release",
            "rocm",
        ):
            value = getattr(self, key)
            if value is not None:
                ev[key] = value
        if self.assumed:
            ev["assumed"] = True
        return ev


def cuda_error_fix(facts: HostFacts) -> str:
    """What repairs a driver whose nvidia-smi prints "CUDA Version: ERR!" or "N/A"."""
    if facts.wsl == 2:
        # WSL2 uses the Windows driver's CUDA through /usr/lib/wsl/lib (microsoft/WSL#11589).
        return (
            "install the current NVIDIA driver on Windows (not inside WSL), run `wsl --update` "
            "and `wsl --shutdown`, then check that `nvidia-smi` in WSL prints a CUDA Version"
        )
    if facts.container:
        return (
            "run the container with the NVIDIA Container Toolkit (`--gpus all`), so the "
            "host driver's libcuda is mounted in, then check `nvidia-smi`"
        )
    return (
        "reinstall the NVIDIA driver so its user-space library (libcuda) matches the kernel "
        "module (reboot after a driver update), then check that `nvidia-smi` prints a CUDA Version"
    )


def host_gpus(facts: HostFacts, *, rocm_ok: bool = True) -> GpuView:
    nv = facts.nvidia
    if nv is not None and nv.l4t_release:
        jetson = "NVIDIA Jetson" + (
            f" (L4T {nv.l4t_release})" if nv.l4t_release != "unknown" else ""
        )
        return GpuView(
            gpu_name=nv.name,
            l4t_release=nv.l4t_release,
            none_why=f"{jetson}: its integrated GPU runs the CUDA that JetPack installs, not "
            "the CUDA wheels a lock's cu* variants bring (built for discrete GPUs)",
            warning=f"{jetson}: planned without CUDA; the lock's CUDA variants are for "
            "discrete GPUs (fix: give the profile a lock built for JetPack, or keep the "
            "CPU variant as planned)",
        )
    if nv is not None:
        source = "driver report"
        ceiling = nv.cuda_version
        if not ceiling and nv.driver_version:
            ceiling = max_cuda_for_driver(nv.driver_version)
            source = "driver table"
        warning = None
        if nv.cuda_error:
            source = f"driver table; nvidia-smi printed CUDA Version: {nv.cuda_error}"
            warning = (
                f"nvidia-smi printed `CUDA Version: {nv.cuda_error}` (driver "
                f"{nv.driver_version or 'unknown'}): the driver's CUDA stack is not working; "
                "CUDA variants were judged by the driver version alone"
                "{chosen}"
                f" (fix: {cuda_error_fix(facts)})"
            )
        if ceiling:
            return GpuView(
                max_cuda=ceiling,
                driver=nv.driver_version,
                gpu_name=nv.name,
                cuda_source=source,
                cuda_error=nv.cuda_error,
                warning=warning,
            )
        return GpuView(
            driver=nv.driver_version,
            gpu_name=nv.name,
            none_why=f"NVIDIA {nv.name}: driver {nv.driver_version or 'unknown'} supports no "
            "CUDA version this planner knows (10.2 or newer)",
            cuda_error=nv.cuda_error,
            warning=warning,
        )
    amd = next((g for g in facts.gpus if g.vendor == "amd" and g.rocm_version), None)
    if amd is not None and rocm_ok:
        return GpuView(rocm=amd.rocm_version, gpu_name=amd.name)
    return GpuView()


@dataclass(frozen=True)
class AccelChoice:
    variant: Variant | None
    rejected: tuple[dict[str, str], ...] = ()
    gpu: GpuView = field(default_factory=GpuView)

    @property
    def accel(self) -> str | None:
        return None if self.variant is None else self.variant.accel


def choose(lock: LockSpec, platform: str, gpu: GpuView, needs: Needs) -> AccelChoice:
    """The newest variant of ``lock`` for ``platform`` ("linux-x86_64") that ``gpu`` can
    run; every variant passed over is listed with why."""
    rejected: list[dict[str, str]] = []
    for variant in sorted(lock.variants, key=lambda v: rank(v.accel), reverse=True):
        why = why_not(lock, variant, platform, gpu, needs)
        if why is None:
            return AccelChoice(variant, tuple(rejected), gpu)
        rejected.append({"candidate": variant.accel, "why": why})
    return AccelChoice(None, tuple(rejected), gpu)


def why_not(lock: LockSpec, v: Variant, platform: str, gpu: GpuView, needs: Needs) -> str | None:
    accel = v.accel
    if needs.accelerators and accel not in needs.accelerators:
        return f"{accel} is not in needs.accelerators {list(needs.accelerators)}"
    if not lock.serves(platform, v):
        return f"the lock's {accel} variant does not serve {platform}"
    if lock.kind == "pylock":
        target = f"{platform}-{accel}"
        if target not in lock.available:
            return f"{lock.file_for(target)} is not in the project"
    cuda = cuda_of(accel)
    if cuda is not None:
        if platform.startswith("macos"):
            return f"{accel} needs CUDA, which macOS does not have"
        if gpu.assumed:
            return None
        if gpu.max_cuda is None:
            return f"{accel} needs an NVIDIA GPU: {gpu.none_why}"
        if cuda_key(gpu.max_cuda) < cuda:
            return (
                f"{accel} needs a driver supporting CUDA {_ver(cuda)}; driver {gpu.driver} "
                f"supports <= {gpu.max_cuda}"
            )
        return None
    rocm = rocm_of(accel)
    if rocm is not None:
        if not platform.startswith("linux"):
            return f"{accel} needs Linux (ROCm wheels are Linux-only)"
        if gpu.rocm is None:
            return f"{accel} needs an AMD GPU with ROCm: {gpu.none_why}"
        if cuda_key(gpu.rocm) < rocm:
            return f"{accel} needs ROCm {_ver(rocm)}; this host has ROCm {gpu.rocm}"
        return None
    if accel != "cpu":
        return f"{accel} is not an accelerator this planner knows"
    return None
