"""Where the environment lives: one check per strategy, evaluated in preference order.

This is the decision table of the design notes, as code that explains itself. Each
strategy's check lives in its own module (``bootstrap.strategies.<name>``); this module
holds what they share (the fit of a lock on a platform, resources, the order) and the
decision. Every check returns whether the strategy fits, why, the facts it looked at
and, when it does not fit, what would fix it (Podman Desktop's "check + fix" style).
The first strategy that fits in the preference order wins; the others are listed as
rejected. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan.accel import AccelChoice, GpuView
from bootstrap.plan.specs import (
    CollectReport,
    DetectThere,
    EnsureUv,
    FirstRun,
    ImportCache,
    LockChoice,
    Preflight,
    ProvidePython,
    RunThere,
    ShipBundle,
    StepSpec,
    Sync,
    Transfer,
    WarmTools,
)
from bootstrap.profiles import STRATEGIES, LockSpec, Profile, Variant

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


def linux_like(facts: HostFacts) -> str:
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


def gpu_need_unmet(profile: Profile, fit: Fit) -> bool:
    return profile.needs.gpu == "required" and not (
        fit.variant is not None and accel_mod.is_gpu(fit.variant.accel)
    )


def no_fit_why(profile: Profile, fit: Fit) -> str:
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


def resources_block(facts: HostFacts, profile: Profile) -> tuple[str, str] | None:
    if profile.needs.resources != "fail":
        return None
    short = resource_shortfalls(facts, profile)
    if not short:
        return None
    return "; ".join(s[1] for s in short), "; ".join(s[2] for s in short)


def remote_fix() -> str:
    return (
        "configure a Linux box that has what is missing: [strategies.remote] hosts = ['user@box']"
    )


@dataclass(frozen=True)
class StepInputs:
    """What a strategy needs to contribute its steps: the decisions made so far."""

    profile: Profile
    lock: LockChoice
    network: str  # offline | fallback | online
    evidence: dict[str, Any]
    cache_bundle: str | None = None
    uv_version: str = "pinned"
    accept_new_host_keys: bool = False
    # The pinned interpreter the bundle carries for this platform (triple, version, file
    # name, sha256), or (): a system Python (or one uv downloads, when allowed).
    bundle_python: tuple[str, ...] = ()

    @property
    def project_name(self) -> str:
        return self.profile.project.path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


# What a sync from an imported cache bundle runs (bootstrap.sync._wheelhouse_sync): the
# lock's pins with their hashes, as `uv export` writes them, from the wheelhouse; then
# the packages uv.lock builds (the project, editable) with the build backend that
# pylock.build.toml pins.
WHEELHOUSE = "<wheelhouse>"


def sync_argv(lock: LockChoice, network: str, *, bundle: bool = False) -> tuple[str, ...]:
    """uv's arguments for the sync (``uv`` itself not included). With a cache bundle (and
    offline), the wheelhouse's: ``uv pip sync --require-hashes`` of the exported lock."""
    offline = [] if network == "online" else ["--offline"]
    if bundle and network != "online":
        argv = ["pip", "sync", "--offline", "--no-index", "--require-hashes"]
        flags = " ".join(["--frozen", *lock.uv_flags()])
        source = f"<uv export {flags}>" if lock.kind == "uv" else lock.path
        return (*argv, "--find-links", WHEELHOUSE, source)
    if lock.kind == "uv":
        argv = ["sync", "--frozen", *offline, "--no-build"]
        return (*argv, *lock.uv_flags())
    return ("pip", "sync", *offline, "--preview-features", "pylock", "--no-build", lock.path)


def native_steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    project = inp.profile.project
    downloads = project.python_downloads
    steps: list[StepSpec] = [
        EnsureUv(
            version=inp.uv_version,
            bundle=inp.cache_bundle,
            system_certs=inp.profile.sync.system_certs,
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
    argv = sync_argv(inp.lock, inp.network, bundle=bool(inp.cache_bundle))
    steps.append(Sync(lock=inp.lock, argv=argv, network=inp.network))
    if inp.profile.tools:
        steps.append(WarmTools(tools=inp.profile.tools, network=inp.network))
    first = inp.profile.first_run
    steps.append(FirstRun(argv=first.command, timeout=first.timeout_seconds))
    return tuple(steps)


# The bootstrapper's own checkout (install.sh, the package, profiles/): what a handoff
# sends, since stage 0 runs from it there. A path computation, not a read.
TOOL_REPO = PurePath(__file__).parents[2]


def repo_of(profile: Profile) -> str:
    """The repository a handoff sends: the bootstrapper's checkout, which holds stage 0
    and, for the shipped profiles, the project."""
    return str(TOOL_REPO)


def handoff_steps(
    strategy: str,
    inp: StepInputs,
    *,
    hosts: tuple[str, ...],
    directory: str,
    accept_new_host_keys: bool = False,
    parallel: bool = False,
) -> tuple[StepSpec, ...]:
    """The handoff every non-native strategy shares: reach and check the target, send
    the repository, detect there and re-plan, send the target's bundle, run stage 0
    there, bring the report back."""
    argv: list[str] = ["--online"] if inp.network == "online" else []
    return (
        Preflight(
            strategy=strategy,
            hosts=hosts,
            directory=directory,
            min_disk_gb=inp.profile.needs.min_disk_gb or 0.0,
            accept_new_host_keys=accept_new_host_keys,
            parallel=parallel,
            bundle_python=inp.bundle_python[1] if inp.bundle_python else "",
        ),
        Transfer(repo=repo_of(inp.profile), directory=directory),
        DetectThere(profile=inp.profile.source),
        ShipBundle(bundle=inp.cache_bundle),
        RunThere(argv=tuple(argv), profile=inp.profile.source),
        CollectReport(),
    )


def check(name: str, facts: HostFacts, profile: Profile) -> Check:
    """The check of strategy ``name`` (each lives in its module in bootstrap.strategies)."""
    from bootstrap.strategies import REGISTRY

    result: Check = REGISTRY[name].check(facts, profile)
    return result


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
        checks.append(check(name, facts, profile))
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
