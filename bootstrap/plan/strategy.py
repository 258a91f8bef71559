"""Where the environment lives: one check per strategy, evaluated in preference order.

This is the decision table of the design notes, as code that explains itself. A strategy
is one object (:class:`Strategy`) in its own module of ``bootstrap.strategies``; this
module owns the contract, the :class:`Registry` they are registered in, what they share
(the fit of a lock on a platform, resources, the order) and the decision. Every check
returns whether the strategy fits, why, the facts it looked at and, when it does not fit,
what would fix it (Podman Desktop's "check + fix" style). The first strategy that fits in
the preference order wins; the others are listed as rejected. Pure: the planner gets the
registry from its caller (or the one ``bootstrap.strategies`` registered), so ``plan``
never imports ``strategies``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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
from bootstrap.profiles import LockSpec, Profile, Variant

if TYPE_CHECKING:
    from bootstrap.transports.base import Transport

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


def order_for(
    facts: HostFacts, profile: Profile, strategies: Registry | None = None
) -> tuple[str, ...]:
    """The profile's order first, then this OS's default order, then any other strategy
    registered (in registration order); only registered strategies."""
    names = registered(strategies).names
    base = tuple(n for n in DEFAULT_ORDER.get(facts.os, names) if n in names)
    base = (*base, *[n for n in names if n not in base])
    first = tuple(s for s in profile.strategies.order if s in names)
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
    # A wheelhouse an earlier bundle filled is here: an offline sync installs from it.
    wheelhouse: bool = False

    @property
    def project_name(self) -> str:
        return self.profile.project.path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


# What a sync from an imported cache bundle runs (bootstrap.sync._wheelhouse_sync): the
# lock's pins with their hashes, as `uv export` writes them, from the wheelhouse; then
# the packages uv.lock builds (the project, editable) with the build backend that
# pylock.build.toml pins.
WHEELHOUSE = "<wheelhouse>"


def sync_argv(lock: LockChoice, network: str, *, bundle: bool = False) -> tuple[str, ...]:
    """uv's arguments for the sync (``uv`` itself not included). With a cache bundle, or
    a wheelhouse an earlier one filled (and offline), the wheelhouse's: ``uv pip sync
    --require-hashes`` of the exported lock."""
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
    argv = sync_argv(inp.lock, inp.network, bundle=bool(inp.cache_bundle) or inp.wheelhouse)
    steps.append(Sync(lock=inp.lock, argv=argv, network=inp.network))
    if inp.profile.tools:
        steps.append(WarmTools(tools=inp.profile.tools, network=inp.network))
    first = inp.profile.first_run
    steps.append(FirstRun(argv=first.command, timeout=first.timeout_seconds))
    return tuple(steps)


def repo_of(profile: Profile) -> str:
    """The repository a handoff sends (or a devcontainer mounts): the project's, wherever
    its profile came from (bootstrap.plan.carry)."""
    from bootstrap.plan.carry import project_of

    return project_of(profile)


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
    the project (and the bootstrapper's artifact), detect there and re-plan, send the
    target's bundle, run stage 0 there, bring the report back."""
    from bootstrap.plan.carry import profile_sent, profile_there

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
        Transfer(repo=repo_of(inp.profile), directory=directory, profile=profile_sent(inp.profile)),
        DetectThere(profile=inp.profile.source),
        ShipBundle(bundle=inp.cache_bundle),
        RunThere(argv=tuple(argv), profile=profile_there(inp.profile)),
        CollectReport(),
    )


def check(
    name: str, facts: HostFacts, profile: Profile, strategies: Registry | None = None
) -> Check:
    """The check of strategy ``name`` (each lives in its module in bootstrap.strategies)."""
    return registered(strategies)[name].check(facts, profile)


def decide(
    facts: HostFacts, profile: Profile, strategies: Registry | None = None
) -> tuple[Check | None, list[Check]]:
    """(the chosen check or None, every check in the order evaluated)."""
    reg = registered(strategies)
    checks: list[Check] = []
    for name in order_for(facts, profile, reg):
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
        checks.append(check(name, facts, profile, reg))
    ok = [c for c in checks if c.ok]
    if not ok:
        return None, checks
    chosen = ok[0]
    if chosen.degraded:
        better = next(
            (
                c
                for c in ok[1:]
                if reg[c.strategy].outranks_degraded
                and c.fit
                and c.fit.variant
                and accel_mod.is_gpu(c.fit.variant.accel)
            ),
            None,
        )
        if better is not None:
            return better, checks
    return chosen, checks


# -- the contract ------------------------------------------------------------------------


class Strategy(Protocol):
    """Where the environment lives and how `up` gets it there: one object per strategy,
    in its own module of ``bootstrap.strategies``, registered in its ``REGISTRY``.

    Everything but :meth:`transport` is planning, and must be side-effect free: a function
    of its arguments (no files, no subprocess, no network, no clock, no environment), so
    that a plan is reproducible from (facts, profile, overrides) and golden plans hold.
    """

    @property
    def name(self) -> str:
        """The stable name profiles, ``--strategy``, plans and reports use."""
        ...

    @property
    def runs_here(self) -> bool:
        """True when the steps run on this machine (no handoff, no transport): the host's
        libc matters for the wheels."""
        ...

    @property
    def resources_here(self) -> bool:
        """True when this machine's RAM and disk hold the environment, so the planner
        checks them against the profile's minimums (False: the target checks its own)."""
        ...

    @property
    def outranks_degraded(self) -> bool:
        """True when a fit of this strategy with a GPU variant is chosen over an earlier
        strategy whose fit is degraded (WSL2's CUDA over Windows' CPU-only native)."""
        ...

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        """Whether the environment can live here for ``profile``: ok, why, the facts
        looked at (evidence) and, when it cannot, what would fix it. The returned
        ``Check.strategy`` is :attr:`name`. Must be side-effect free."""
        ...

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        """The steps this strategy contributes once chosen, from the decisions made so
        far (the planner appends the report step). Must be side-effect free."""
        ...

    def warnings(self, profile: Profile) -> list[str]:
        """What the plan warns about when this strategy is chosen. Must be side-effect
        free."""
        ...

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> Transport | None:
        """How the handoff reaches ``host`` (one of the plan's preflight hosts), built
        from the plan's preflight step; None when the steps run here. Builds the object
        only: it must not connect or run anything (the preflight step does, so that
        ``--dry-run`` shows instead of running)."""
        ...

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        """The lines printed after a run that handed over, from the plan's preflight
        step as JSON: how to get to the environment. [] to print the default. Must be
        side-effect free."""
        ...


class Registry(Mapping[str, Strategy]):
    """The strategies by name, in registration order: the one list every other list of
    strategy names (the order, ``--strategy``'s check, the handoff) derives from."""

    def __init__(self, *strategies: Strategy) -> None:
        self._by_name: dict[str, Strategy] = {}
        for strategy in strategies:
            if strategy.name in self._by_name:
                raise ValueError(f"strategy {strategy.name!r} is registered twice")
            self._by_name[strategy.name] = strategy

    def __getitem__(self, name: str) -> Strategy:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)


_DEFAULT: list[Registry] = []


def register_default(strategies: Registry) -> None:
    """Make ``strategies`` the registry a plan uses when its caller passes none
    (``bootstrap.strategies`` registers its ``REGISTRY`` when imported)."""
    _DEFAULT[:] = [strategies]


def registered(strategies: Registry | None = None) -> Registry:
    """``strategies``, else the default registry, else a clear error."""
    if strategies is not None:
        return strategies
    if not _DEFAULT:
        raise RuntimeError(
            "no strategies are registered: import bootstrap.strategies (it registers "
            "REGISTRY), or pass strategies= to the planner"
        )
    return _DEFAULT[0]
