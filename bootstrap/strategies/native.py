"""Native: the environment lives on this machine; the steps run here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import (
    EnsureUv,
    FirstRun,
    ImportCache,
    ProvidePython,
    StepSpec,
    Sync,
    WarmTools,
)
from bootstrap.plan.strategy import (
    Check,
    Fit,
    Settled,
    StepInputs,
    fit_for,
    gpu_need_unmet,
    linux_like,
    no_fit_why,
    remote_fix,
    resources_block,
)
from bootstrap.profiles import Profile

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan

NAME = "native"


def check(facts: HostFacts, profile: Profile) -> Check:
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
    where = linux_like(facts)
    if fit.variant is None or gpu_need_unmet(profile, fit):
        why = no_fit_why(profile, fit)
        if facts.os == "windows":
            fix = "run in WSL2 (`wsl --install -d Ubuntu`, reboot, re-run), or " + remote_fix()
        elif facts.os == "macos":
            fix = "use a remote Linux box ([strategies.remote] hosts) or an arm64 devcontainer"
        elif facts.wsl == 1:
            fix = "convert the distro to WSL2 from Windows: `wsl --set-version <distro> 2`"
        else:
            fix = "install or update the NVIDIA driver, or " + remote_fix()
        return Check("native", False, why, ev, fix, fit)
    blocked = resources_block(facts, profile)
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


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    """uv, the Python, the bundle's import, the sync, the tools, the first run: every
    step runs here (and, after a handoff, is what runs in the target)."""
    project = inp.profile.project
    downloads = project.python_downloads
    steps: list[StepSpec] = [
        EnsureUv(
            version=inp.uv_version,
            bundle=inp.cache_bundle,
            system_certs=inp.profile.sync.system_certs,
            sources=() if inp.cache_bundle else inp.uv_sources,
        ),
    ]
    python = ProvidePython(
        request=project.python or ">=3.9",
        downloads=downloads,
        may_download=downloads != "never" and inp.network != "offline",
    )
    if inp.cache_bundle and inp.bundle_python:
        # The interpreter comes out of the bundle: the import goes first.
        python = ProvidePython(
            request=project.python or ">=3.9",
            source="bundle",
            pinned=tuple(inp.bundle_python),
        )
        steps += [ImportCache(bundle=inp.cache_bundle), python]
    else:
        steps.append(python)
        if inp.cache_bundle:
            steps.append(ImportCache(bundle=inp.cache_bundle))
    wheelhouse = bool(inp.cache_bundle) or inp.wheelhouse
    steps.append(Sync.planned(inp.lock, inp.network, wheelhouse=wheelhouse))
    if inp.profile.tools:
        steps.append(WarmTools(tools=inp.profile.tools, network=inp.network))
    first = inp.profile.first_run
    steps.append(FirstRun(argv=first.command, timeout=first.timeout_seconds))
    return tuple(steps)


class Native:
    """The environment lives on this machine: no handoff, no transport."""

    name = NAME
    runs_here = True
    resources_here = True
    outranks_degraded = False

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        return check(facts, profile)

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        return steps(inp)

    def warnings(self, profile: Profile) -> list[str]:
        return []

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> None:
        return None

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        return []

    def settled(self, plan: Plan) -> Settled | None:
        return None  # the no-op here rests on the environment's own files

    def still_up(self, marker: Mapping[str, str]) -> bool:
        return False


STRATEGY = Native()
