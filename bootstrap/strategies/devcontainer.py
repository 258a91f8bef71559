"""Devcontainer: the environment lives in a container built from the project's
devcontainer.json (the @devcontainers/cli `devcontainer` command)."""

from __future__ import annotations

from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import StepSpec
from bootstrap.plan.strategy import (
    Check,
    StepInputs,
    fit_for,
    gpu_need_unmet,
    no_fit_why,
    remote_fix,
    resources_block,
)
from bootstrap.profiles import Profile

NAME = "devcontainer"
CARRIED_OUT = False


def check(facts: HostFacts, profile: Profile) -> Check:
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
    if fit.variant is None or gpu_need_unmet(profile, fit):
        return Check("devcontainer", False, no_fit_why(profile, fit), ev, remote_fix(), fit)
    blocked = resources_block(facts, profile)
    if blocked:
        return Check("devcontainer", False, blocked[0], ev, blocked[1], fit)
    why = f"a linux-{facts.arch} container runs the lock"
    if facts.os == "macos":
        why += " (arm64 image: amd64 images are emulated and containers get no GPU on macOS)"
    return Check("devcontainer", True, why, ev, None, fit)


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    from bootstrap.plan.strategy import handoff_steps

    settings = inp.profile.strategies.devcontainer
    image = settings.image or settings.config or "devcontainer.json"
    return handoff_steps(NAME, inp, hosts=(image,), directory="/workspaces/" + inp.project_name)


def describe(inp_profile: str) -> list[str]:
    return [
        "`devcontainer up --workspace-folder <project>`",
        "mount a named volume at the uv cache (UV_CACHE_DIR) so later rebuilds stay offline",
        "`devcontainer exec --workspace-folder <project> ./install.sh --profile "
        + inp_profile
        + "`",
    ]
