"""Remote: the environment lives on a Linux box reached with the system OpenSSH client.

The check is pure (is a host configured, is there an ssh client); the box's own facts
choose the variant when `up` detects there (bootstrap.steps.handoff)."""

from __future__ import annotations

from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import StepSpec
from bootstrap.plan.strategy import (
    Check,
    StepInputs,
    fit_for,
    no_fit_why,
    remote_fix,
)
from bootstrap.profiles import Profile

NAME = "remote"
CARRIED_OUT = True


def check(facts: HostFacts, profile: Profile) -> Check:
    hosts = profile.strategies.remote.hosts
    ev: dict[str, Any] = {"hosts": list(hosts), "ssh": facts.tools.ssh}
    if not hosts:
        return Check("remote", False, "no remote host is configured", ev, remote_fix())
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
        return Check("remote", False, no_fit_why(profile, fit), ev, None, fit)
    return Check(
        "remote",
        True,
        f"a remote Linux box ({hosts[0]}) over ssh; it re-plans with its own facts",
        ev,
        None,
        fit,
    )


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    from bootstrap.plan.strategy import handoff_steps

    settings = inp.profile.strategies.remote
    directory = settings.directory or "~/" + inp.project_name
    return handoff_steps(
        NAME,
        inp,
        hosts=settings.hosts,
        directory=directory,
        accept_new_host_keys=settings.accept_new_host_keys or inp.accept_new_host_keys,
        parallel=settings.parallel,
    )
