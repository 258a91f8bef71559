"""Where the environment lives: one check per strategy, evaluated in preference order.

This is the decision table of the design notes, as code that explains itself: every
check returns whether the strategy fits, why, the facts it looked at and, when it does
not fit, what would fix it (Podman Desktop's "check + fix" style). The first strategy
that fits in the preference order wins; the others are listed as rejected. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan.accel import AccelChoice, GpuView
from bootstrap.profiles import STRATEGIES, LockSpec, Profile, Variant
from bootstrap.strategies.wsl2_readiness import wsl2_blockers, wsl2_evidence

GB = 1024**3

# Preference when the profile sets no `strategies.order`. Native first everywhere: each
# later strategy adds a VM, an image or the network. On macOS a remote Linux box comes
# before a container (containers there get no GPU and amd64 images are emulated); on
# Windows a devcontainer needs WSL2 or Hyper-V too, so it is the last resort.
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    "linux": ("native", "devcontainer", "remote", "wsl2"),
    "macos": ("native", "remote", "devcontainer", "wsl2"),
    "windows": ("native", "wsl2", "remote", "devcontainer"),
}


@dataclass(frozen=True)
class Fit:
    """A lock, its variant and the platform the environment would run on."""

    platform: str  # "<os>-<arch>" where the environment lives
    lock: LockSpec | None
    choice: AccelChoice

    @property
    def variant(self) -> Variant | None:
        return self.choice.variant


@dataclass(frozen=True)
class Check:
    strategy: str
    ok: bool
    why: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    fit: Fit | None = None
    degraded: str | None = None  # fits, but worse than another strategy could do


def order_for(facts: HostFacts, profile: Profile) -> tuple[str, ...]:
    base = DEFAULT_ORDER.get(facts.os, STRATEGIES)
    first = profile.strategies.order
    return (*first, *[s for s in base if s not in first])


def _linux_like(facts: HostFacts) -> str:
    if facts.container:
        return f"inside a {facts.container} container"
    if facts.wsl:
        return f"inside WSL{facts.wsl}"
    return facts.os


def fit_for(profile: Profile, platform: str, gpu: GpuView) -> Fit:
    """The first lock that serves ``platform`` with a variant ``gpu`` can run."""
    rejected: list[dict[str, str]] = []
    for lock in profile.locks:
        choice = accel_mod.choose(lock, platform, gpu, profile.needs)
        if choice.variant is not None:
            merged = AccelChoice(choice.variant, (*rejected, *choice.rejected), gpu)
            return Fit(platform, lock, merged)
        rejected += [
            {"candidate": f"{lock.path}:{r['candidate']}", "why": r["why"]} for r in choice.rejected
        ]
    return Fit(platform, None, AccelChoice(None, tuple(rejected), gpu))


def _gpu_need_unmet(profile: Profile, fit: Fit) -> bool:
    return profile.needs.gpu == "required" and not (
        fit.variant is not None and accel_mod.is_gpu(fit.variant.accel)
    )


def _no_fit_why(profile: Profile, fit: Fit) -> str:
    if fit.variant is None:
        served = sorted({p for lock in profile.locks for p in lock.platforms})
        if not any(lock.serves(fit.platform) for lock in profile.locks):
            extra = " (needs.linux_only = true)" if profile.needs.linux_only else ""
            return f"the profile's locks serve {', '.join(served)}, not {fit.platform}{extra}"
        return f"no variant of the profile's locks runs on {fit.platform}: " + "; ".join(
            r["why"] for r in fit.choice.rejected
        )
    return "the profile needs a GPU (needs.gpu = required) and no GPU variant fits here: " + (
        "; ".join(r["why"] for r in fit.choice.rejected) or fit.choice.gpu.none_why
    )


def resource_shortfalls(facts: HostFacts, profile: Profile) -> list[tuple[str, str, str]]:
    """[(what, why, fix)] for RAM and disk below the profile's minimum."""
    out = []
    need_mem, need_disk = profile.needs.min_memory_gb, profile.needs.min_disk_gb
    if need_mem and facts.memory_bytes and facts.memory_bytes < need_mem * GB:
        out.append(
            (
                "memory",
                f"{facts.memory_bytes / GB:.1f} GB of RAM, the profile needs {need_mem:g} GB",
                "use a machine with more memory, close other programs, or lower "
                "needs.min_memory_gb",
            )
        )
    if need_disk and facts.disk_free_bytes and facts.disk_free_bytes < need_disk * GB:
        out.append(
            (
                "disk",
                f"{facts.disk_free_bytes / GB:.1f} GB free disk, the profile needs "
                f"{need_disk:g} GB for the environment and its cache",
                "free disk space (`uv cache prune`), or point UV_CACHE_DIR and the project "
                "at a bigger disk",
            )
        )
    return out


def _resources_block(facts: HostFacts, profile: Profile) -> tuple[str, str] | None:
    if profile.needs.resources != "fail":
        return None
    short = resource_shortfalls(facts, profile)
    if not short:
        return None
    return "; ".join(s[1] for s in short), "; ".join(s[2] for s in short)


def _remote_fix() -> str:
    return (
        "configure a Linux box that has what is missing: [strategies.remote] hosts = ['user@box']"
    )


def check_native(facts: HostFacts, profile: Profile) -> Check:
    platform = f"{facts.os}-{facts.arch}"
    ev: dict[str, Any] = {"os": facts.os, "arch": facts.arch}
    if facts.container:
        ev["container"] = facts.container
    if facts.wsl:
        ev["wsl"] = facts.wsl
    gpu = accel_mod.host_gpus(facts)
    if facts.wsl == 1:
        gpu = GpuView(none_why="WSL1 has no GPU access (WSL2 has)")
    fit = fit_for(profile, platform, gpu)
    ev.update(gpu.evidence())
    where = _linux_like(facts)
    if fit.variant is None or _gpu_need_unmet(profile, fit):
        why = _no_fit_why(profile, fit)
        if facts.os == "windows":
            fix = "run in WSL2 (`wsl --install -d Ubuntu`, reboot, re-run), or " + _remote_fix()
        elif facts.os == "macos":
            fix = "use a remote Linux box ([strategies.remote] hosts) or an arm64 devcontainer"
        elif facts.wsl == 1:
            fix = "convert the distro to WSL2 from Windows: `wsl --set-version <distro> 2`"
        else:
            fix = "install or update the NVIDIA driver, or " + _remote_fix()
        return Check("native", False, why, ev, fix, fit)
    blocked = _resources_block(facts, profile)
    if blocked:
        return Check("native", False, blocked[0], ev, blocked[1], fit)
    why = f"the lock fits {platform} ({where}); native is the fastest first run"
    if facts.container:
        why = f"already inside a {facts.container} container: never nest; run here as Linux"
    elif facts.wsl == 2:
        why = "inside WSL2: this is real Linux, run here"
    degraded = None
    if (
        facts.os == "windows"
        and profile.needs.gpu == "optional"
        and gpu.max_cuda
        and fit.variant is not None
        and not accel_mod.is_gpu(fit.variant.accel)
    ):
        degraded = f"natively on Windows only the CPU variant fits ({_no_gpu_here(fit)})"
    return Check("native", True, why, ev, None, fit, degraded)


def _no_gpu_here(fit: Fit) -> str:
    gpus = [r["why"] for r in fit.choice.rejected]
    return "; ".join(gpus) if gpus else "no GPU variant"


def wsl2_distro(facts: HostFacts, profile: Profile) -> tuple[str | None, str | None]:
    """(the distro to use, or None and why not)."""
    wanted = profile.strategies.wsl2.distro
    distros = [d for d in facts.wsl_distros if not str(d.get("name", "")).startswith("docker-")]
    if wanted:
        match = next((d for d in distros if d.get("name") == wanted), None)
        if match is None:
            return None, f"WSL distro {wanted!r} (strategies.wsl2.distro) is not installed"
        if match.get("version") != 2:
            return None, f"WSL distro {wanted!r} is WSL{match.get('version')}, not WSL2"
        return wanted, None
    v2 = [d for d in distros if d.get("version") == 2]
    if v2:
        return str(v2[0]["name"]), None
    if distros:
        names = ", ".join(f"{d.get('name')} (WSL{d.get('version')})" for d in distros)
        return None, f"no WSL2 distro: only {names}"
    return None, "WSL has no Linux distro installed"


def check_wsl2(facts: HostFacts, profile: Profile) -> Check:
    ev: dict[str, Any] = {"os": facts.os, "wsl_distros": [dict(d) for d in facts.wsl_distros]}
    if facts.os != "windows":
        where = "already inside WSL2" if facts.wsl == 2 else f"the host is {facts.os}"
        return Check("wsl2", False, f"WSL2 is a Windows strategy; {where}", ev)
    ev.update(wsl2_evidence(facts))
    blockers = wsl2_blockers(facts, profile.strategies.wsl2.distro)
    if blockers:
        return Check("wsl2", False, blockers[0].message, ev, blockers[0].fix)
    distro, why_not = wsl2_distro(facts, profile)
    if distro is None:
        wanted = profile.strategies.wsl2.distro or "Ubuntu"
        fix = (
            f"`wsl --install -d {wanted}` (reboot if asked), or "
            f"`wsl --set-version {wanted} 2` for an existing WSL1 distro; then re-run"
        )
        return Check("wsl2", False, str(why_not), ev, fix)
    ev["distro"] = distro
    # CUDA in WSL2 comes from the Windows NVIDIA driver; ROCm there is not planned.
    gpu = accel_mod.host_gpus(facts, rocm_ok=False)
    fit = fit_for(profile, f"linux-{facts.arch}", gpu)
    ev.update(gpu.evidence())
    if fit.variant is None or _gpu_need_unmet(profile, fit):
        return Check("wsl2", False, _no_fit_why(profile, fit), ev, _remote_fix(), fit)
    blocked = _resources_block(facts, profile)
    if blocked:
        return Check("wsl2", False, blocked[0], ev, blocked[1], fit)
    return Check(
        "wsl2",
        True,
        f"WSL2 distro {distro!r} runs the Linux wheels"
        + (
            " with CUDA through the Windows driver"
            if fit.variant and accel_mod.is_gpu(fit.variant.accel)
            else ""
        ),
        ev,
        None,
        fit,
    )


def check_devcontainer(facts: HostFacts, profile: Profile) -> Check:
    settings = profile.strategies.devcontainer
    ev: dict[str, Any] = {
        "docker": facts.tools.docker,
        "devcontainer_cli": facts.tools.devcontainer,
    }
    if facts.container:
        return Check("devcontainer", False, f"already inside a {facts.container} container", ev)
    if not (settings.image or settings.config):
        return Check(
            "devcontainer",
            False,
            "the profile configures no devcontainer",
            ev,
            "set [strategies.devcontainer] image = '...' or "
            "config = '.devcontainer/devcontainer.json'",
        )
    if not facts.tools.docker:
        return Check(
            "devcontainer",
            False,
            "docker was not found",
            ev,
            "install Docker Engine, Docker Desktop or Podman",
        )
    ev["container_engine"] = facts.tools.container_engine
    if facts.tools.container_engine is None:
        return Check(
            "devcontainer",
            False,
            "a docker client is installed but no container engine answers"
            + (f" ({facts.tools.engine_error})" if facts.tools.engine_error else ""),
            ev,
            "start the Docker daemon / Docker Desktop, or install Podman",
        )
    # No GPU is planned into a container: none on macOS at all, and on Linux `--gpus` is
    # only worth adding after a test run proves the runtime works.
    gpu = GpuView(none_why="a devcontainer is planned without GPU access")
    fit = fit_for(profile, f"linux-{facts.arch}", gpu)
    ev["image"] = settings.image
    if fit.variant is None or _gpu_need_unmet(profile, fit):
        return Check("devcontainer", False, _no_fit_why(profile, fit), ev, _remote_fix(), fit)
    blocked = _resources_block(facts, profile)
    if blocked:
        return Check("devcontainer", False, blocked[0], ev, blocked[1], fit)
    why = f"a linux-{facts.arch} container runs the lock"
    if facts.os == "macos":
        why += " (arm64 image: amd64 images are emulated and containers get no GPU on macOS)"
    return Check("devcontainer", True, why, ev, None, fit)


def check_remote(facts: HostFacts, profile: Profile) -> Check:
    hosts = profile.strategies.remote.hosts
    ev: dict[str, Any] = {"hosts": list(hosts), "ssh": facts.tools.ssh}
    if not hosts:
        return Check("remote", False, "no remote host is configured", ev, _remote_fix())
    if not facts.tools.ssh:
        return Check("remote", False, "ssh was not found", ev, "install an OpenSSH client")
    # The remote's own facts decide its variant when `up` runs there; plan the newest
    # GPU variant when the profile wants a GPU, else CPU.
    wants_gpu = profile.needs.gpu != "none"
    gpu = (
        GpuView(assumed=True)
        if wants_gpu
        else GpuView(none_why="the profile does not ask for a GPU")
    )
    fit = fit_for(profile, "linux-x86_64", gpu)
    if fit.variant is None:
        return Check("remote", False, _no_fit_why(profile, fit), ev, None, fit)
    return Check(
        "remote",
        True,
        f"a remote Linux box ({hosts[0]}) over ssh; it re-plans with its own facts",
        ev,
        None,
        fit,
    )


CHECKS: dict[str, Callable[[HostFacts, Profile], Check]] = {
    "native": check_native,
    "wsl2": check_wsl2,
    "devcontainer": check_devcontainer,
    "remote": check_remote,
}


def decide(facts: HostFacts, profile: Profile) -> tuple[Check | None, list[Check]]:
    """(the chosen check or None, every check in the order evaluated)."""
    checks: list[Check] = []
    for name in order_for(facts, profile):
        if name not in profile.strategies.allowed:
            checks.append(
                Check(
                    name,
                    False,
                    f"not in strategies.allowed {list(profile.strategies.allowed)}",
                    {},
                    f"add {name!r} to [strategies] allowed",
                )
            )
            continue
        checks.append(CHECKS[name](facts, profile))
    ok = [c for c in checks if c.ok]
    if not ok:
        return None, checks
    chosen = ok[0]
    if chosen.degraded:
        better = next(
            (
                c
                for c in ok[1:]
                if c.strategy == "wsl2"
                and c.fit
                and c.fit.variant
                and accel_mod.is_gpu(c.fit.variant.accel)
            ),
            None,
        )
        if better is not None:
            return better, checks
    return chosen, checks
