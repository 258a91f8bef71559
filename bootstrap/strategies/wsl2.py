"""WSL2: the environment lives in a Linux distro on a Windows host."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan.specs import Preflight, StepSpec, UserAction
from bootstrap.plan.strategy import (
    Check,
    Settled,
    StepInputs,
    fit_for,
    gpu_need_unmet,
    no_fit_why,
    remote_fix,
    resources_block,
)
from bootstrap.profiles import Profile
from bootstrap.strategies.wsl2_readiness import DEFAULT_DISTRO, wsl2_blockers, wsl2_evidence

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan
    from bootstrap.transports.wsl import Wsl

NAME = "wsl2"


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


def check(facts: HostFacts, profile: Profile) -> Check:
    ev: dict[str, Any] = {"os": facts.os, "wsl_distros": [dict(d) for d in facts.wsl_distros]}
    if facts.os != "windows":
        where = "already inside WSL2" if facts.wsl == 2 else f"the host is {facts.os}"
        return Check("wsl2", False, f"WSL2 is a Windows strategy; {where}", ev)
    ev.update(wsl2_evidence(facts))
    blockers = wsl2_blockers(facts, profile.strategies.wsl2.distro)
    if blockers:
        # Planned anyway (when nothing else fits) as "do this, then re-run": the fit is
        # what the distro would get once the blockers are cleared.
        ev["blockers"] = [dict(b.__dict__) for b in blockers]
        ev["distro"] = profile.strategies.wsl2.distro or facts.wsl_default_distro or DEFAULT_DISTRO
        fit = fit_for(profile, f"linux-{facts.arch}", accel_mod.host_gpus(facts, rocm_ok=False))
        return Check("wsl2", False, blockers[0].message, ev, blockers[0].fix, fit)
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
    if fit.variant is None or gpu_need_unmet(profile, fit):
        return Check("wsl2", False, no_fit_why(profile, fit), ev, remote_fix(), fit)
    blocked = resources_block(facts, profile)
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


def directory(profile: Profile) -> str:
    """Where the project lives in the distro: its own filesystem (``~/src/<project>``)
    unless the profile insists; a Windows path is turned into its /mnt form."""
    from bootstrap.transports.wsl import windows_to_wsl

    given = profile.strategies.wsl2.directory
    if not given:
        name = profile.project.path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
        return "~/src/" + name
    return windows_to_wsl(given) or given


def warnings(profile: Profile) -> list[str]:
    """What the plan warns about when this strategy is chosen."""
    where = directory(profile)
    if where == "/mnt" or where.startswith("/mnt/"):
        return [
            f"[strategies.wsl2] directory = {where!r} is on a Windows drive: file I/O there "
            "goes through 9P and is several times slower than in the distro's own "
            "filesystem; leave it unset for ~/src/<project>"
        ]
    return []


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    from bootstrap.plan.strategy import handoff_steps

    distro = str(inp.evidence.get("distro") or DEFAULT_DISTRO)
    first: tuple[StepSpec, ...] = ()
    blockers = inp.evidence.get("blockers") or []
    if blockers:
        b = blockers[0]  # the first to clear; the re-run finds the next one
        first = (
            UserAction(
                code="wsl2." + str(b["code"]),
                message=str(b["message"]),
                fix=str(b["fix"]),
                admin=bool(b["admin"]),
                reboot=bool(b["reboot"]),
            ),
        )
    return first + handoff_steps(
        NAME, inp, hosts=(distro,), directory=directory(inp.profile), reach="with wsl.exe"
    )


def transport(host: str, preflight: Preflight, *, dry_run: Callable[[str], None] | None) -> Wsl:
    """The distro ``host`` through ``wsl.exe``."""
    from bootstrap.transports.wsl import Wsl

    return Wsl(host, dry_run=dry_run)


class Wsl2:
    """The environment lives in a WSL2 distro, reached with ``wsl.exe``."""

    name = NAME
    runs_here = False
    resources_here = True  # the distro shares this machine's RAM and disk
    outranks_degraded = True  # CUDA through the Windows driver beats native's CPU only

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        return check(facts, profile)

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        return steps(inp)

    def warnings(self, profile: Profile) -> list[str]:
        return warnings(profile)

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> Wsl:
        assert isinstance(preflight, Preflight)  # noqa: S101 - a wsl2 plan's preflight
        return transport(host, preflight, dry_run=dry_run)

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        distro = ", ".join(preflight.get("hosts", []))
        return [
            f"next: wsl -d {distro} --cd {preflight.get('directory')}, and work there "
            "(VS Code: `code .` from that shell)"
        ]

    def settled(self, plan: Plan) -> Settled | None:
        return None  # every run checks the target again

    def still_up(self, marker: Mapping[str, str]) -> bool:
        return False


STRATEGY = Wsl2()
