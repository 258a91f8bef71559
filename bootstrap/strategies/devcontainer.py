"""Devcontainer: the environment lives in a container that the Dev Containers CLI makes
from the project's devcontainer.json (written from the profile unless the user has one).

The check is pure: a container engine that answered detection (a Docker client with no
daemon behind it is not one), an image or config in the profile, and the variant the
host's driver allows, since a container uses the host's GPU driver. `up` hands over
through :mod:`bootstrap.transports.devcontainer_cli` (bootstrap.steps.handoff): the
workspace is the project (the config is written there), `devcontainer up`, the
bootstrapper's wheel and the profile into the project's ``.bootstrap/`` (installed in the
container, checked by SHA-256), the bundle into the read-only bundle mount, stage 0 with
`devcontainer exec`, its report read through the workspace mount.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import Preflight, StepSpec
from bootstrap.plan.strategy import (
    Check,
    Settled,
    StepInputs,
    fit_for,
    gpu_need_unmet,
    no_fit_why,
    remote_fix,
    repo_of,
    resources_block,
)
from bootstrap.profiles import Profile

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan
    from bootstrap.transports.devcontainer_cli import DevcontainerLink

NAME = "devcontainer"
ENGINE_FIX = (
    "start the Docker daemon / Docker Desktop (`docker version` must show a Server), "
    "or install Podman (`podman version`)"
)


def container_gpus(facts: HostFacts) -> GpuView:
    """What a container on this host can use: the host's NVIDIA driver (passed through
    by the engine), nothing on macOS, no ROCm (its devices are not requested)."""
    if facts.os == "macos":
        return GpuView(none_why="containers on macOS get no GPU (Docker Desktop, Podman machine)")
    return accel_mod.host_gpus(facts, rocm_ok=False)


def check(facts: HostFacts, profile: Profile) -> Check:
    settings = profile.strategies.devcontainer
    engine = facts.tools.container_engine
    ev: dict[str, Any] = {
        "docker": facts.tools.docker,
        "devcontainer_cli": facts.tools.devcontainer,
        "container_engine": engine,
    }
    if not (settings.image or settings.config or settings.dockerfile):
        return Check(
            "devcontainer",
            False,
            "the profile configures no devcontainer",
            ev,
            "set [strategies.devcontainer] image = '...' (or dockerfile, or "
            "config = '.devcontainer/devcontainer.json')",
        )
    if engine is None:
        if facts.container and not facts.tools.engine_error:
            why = f"already inside a {facts.container} container, and no engine answers here"
        elif facts.tools.engine_error:
            why = (
                "a container client is installed but no container engine answers "
                f"({facts.tools.engine_error})"
            )
        else:
            why = "no container engine (Docker or Podman) was found"
        return Check("devcontainer", False, why, ev, ENGINE_FIX)
    gpu = container_gpus(facts)
    fit = fit_for(profile, f"linux-{facts.arch}", gpu)
    ev["image"] = settings.image or settings.dockerfile or settings.config
    ev.update(gpu.evidence())
    if fit.variant is None or gpu_need_unmet(profile, fit):
        return Check("devcontainer", False, no_fit_why(profile, fit), ev, remote_fix(), fit)
    blocked = resources_block(facts, profile)
    if blocked:
        return Check("devcontainer", False, blocked[0], ev, blocked[1], fit)
    image = settings.image or settings.dockerfile or settings.config
    why = f"{engine} answers; a linux-{facts.arch} container from {image} runs the lock"
    if facts.container:
        why += f" (nested in this {facts.container} container)"
    if facts.os == "macos":
        why += " (use an arm64 image: amd64 images are emulated; containers get no GPU on macOS)"
    elif fit.variant is not None and accel_mod.is_gpu(fit.variant.accel):
        request = "--gpus=all" if engine == "docker" else "the CDI device nvidia.com/gpu=all"
        why += (
            f"; GPU passthrough with {request} (the host's driver serves the container; "
            "needs the NVIDIA Container Toolkit)"
        )
    else:
        why += f"; no GPU passthrough: {gpu.none_why}"
    ev["gpu_request"] = engine if fit.variant and accel_mod.is_gpu(fit.variant.accel) else None
    return Check("devcontainer", True, why, ev, None, fit)


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    from bootstrap.plan.specs import (
        CollectReport,
        ContainerUp,
        DevcontainerConfig,
        PostCreate,
        ShipBundle,
        Transfer,
    )
    from bootstrap.strategies import devcontainer_config as dc
    from bootstrap.transports.devcontainer_cli import CLI_VERSION

    settings = inp.profile.strategies.devcontainer
    from bootstrap.plan.carry import profile_sent
    from bootstrap.plan.carry import profile_there as there

    # The workspace is the project (its devcontainer.json goes there), wherever the
    # profile came from; the profile is the project's own file or the copy sent with it.
    workspace = repo_of(inp.profile)
    engine = str(inp.evidence.get("container_engine") or "docker")
    profile_there = there(inp.profile)
    online = inp.network == "online"
    gpu = None
    if inp.evidence.get("gpu_request"):
        gpu = "required" if inp.profile.needs.gpu == "required" else "optional"
    doc = dc.build(
        profile_name=inp.profile.name,
        profile_path=profile_there,
        project_name=inp.project_name,
        image=settings.image,
        dockerfile=settings.dockerfile,
        engine=engine,
        gpu=gpu,
        run_args=settings.run_args,
        online=online,
    )
    config_path = settings.config or ".devcontainer/devcontainer.json"
    return (
        DevcontainerConfig(workspace=workspace, path=config_path, config_json=dc.render(doc)),
        ContainerUp(
            hosts=(workspace,),
            directory=dc.WORKSPACE,
            min_disk_gb=inp.profile.needs.min_disk_gb or 0.0,
            workspace=workspace,
            config_path=config_path,
            engine=engine,
            cli_version=CLI_VERSION,
            mounts=tuple(dc.mounts()),
            remote_env=tuple(f"{k}={v}" for k, v in dc.container_env(inp.project_name).items()),
            pass_proxy=online,
        ),
        Transfer(repo=workspace, directory=dc.WORKSPACE, profile=profile_sent(inp.profile)),
        ShipBundle(bundle=inp.cache_bundle),
        PostCreate(command=dc.stage0_command(profile_there, online=online)),
        CollectReport(),
    )


def transport(
    host: str, preflight: Preflight, *, dry_run: Callable[[str], None] | None
) -> DevcontainerLink:
    """The dev container of the workspace the plan names."""
    from pathlib import Path

    from bootstrap.plan.specs import ContainerUp
    from bootstrap.transports.devcontainer_cli import DevcontainerLink

    assert isinstance(preflight, ContainerUp)  # noqa: S101 - a devcontainer plan's preflight
    return DevcontainerLink(
        Path(preflight.workspace),
        engine=preflight.engine,
        cli_version=preflight.cli_version,
        dry_run=dry_run,
    )


class Devcontainer:
    """The environment lives in a dev container, made and entered with the Dev
    Containers CLI."""

    name = NAME
    runs_here = False
    resources_here = True  # the container uses this machine's RAM and disk
    outranks_degraded = False

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        return check(facts, profile)

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        return steps(inp)

    def warnings(self, profile: Profile) -> list[str]:
        return []

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> DevcontainerLink:
        assert isinstance(preflight, Preflight)  # noqa: S101 - ContainerUp is one
        return transport(host, preflight, dry_run=dry_run)

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        import shlex

        where = shlex.join(["devcontainer", "exec", "--workspace-folder", *preflight["hosts"][:1]])
        return [f"next: open the folder in your editor's Dev Containers, or {where} bash"]

    def settled(self, plan: Plan) -> Settled | None:
        """A container that came up and ran its first run: a re-run with the same inputs
        is a no-op while it runs -- unless its config, the profile or the lock changed."""
        from bootstrap.plan.specs import ContainerUp, DevcontainerConfig

        up = plan.step(ContainerUp)
        config = plan.step(DevcontainerConfig)
        if up is None or config is None:
            return None
        files = [str(PurePath(config.workspace) / config.path)]
        if plan.profile_path:
            files.append(plan.profile_path)
        files.append(str(PurePath(plan.project) / plan.lock.path))
        return Settled(tuple(files), (("engine", up.engine), ("workspace", up.workspace)))

    def still_up(self, marker: Mapping[str, str]) -> bool:
        from bootstrap.transports.devcontainer_cli import workspace_container_running

        engine, workspace = marker.get("engine", ""), marker.get("workspace", "")
        return bool(engine and workspace) and workspace_container_running(engine, workspace)


STRATEGY = Devcontainer()
