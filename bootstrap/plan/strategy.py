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
    LockChoice,
    Preflight,
    RunThere,
    ShipBundle,
    StepSpec,
    Transfer,
)
from bootstrap.profiles import LockSpec, Profile, Variant

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan
    from bootstrap.transports.base import Transport

GB = 1024**3


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
    """The profile's order first, then this OS's default order (the registry's), then
    any other strategy registered (in registration order); only registered strategies."""
    reg = registered(strategies)
    names = reg.names
    base = reg.order.get(facts.os, names)
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
    uv_sources: tuple[str, ...] = ()  # where an uninstalled uv comes from, in order
    accept_new_host_keys: bool = False
    # The pinned interpreter the bundle carries for this platform (triple, version, file
    # name, sha256), or (): a system Python (or one uv downloads, when allowed).
    bundle_python: tuple[str, ...] = ()
    # A wheelhouse an earlier bundle filled is here: an offline sync installs from it.
    wheelhouse: bool = False

    @property
    def project_name(self) -> str:
        return self.profile.project.path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


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
    reach: str,
    accept_new_host_keys: bool = False,
    parallel: bool = False,
) -> tuple[StepSpec, ...]:
    """The handoff the strategies that run stage 0 through a command transport share
    (wsl2, remote): reach and check the target, send the project (and the bootstrapper's
    artifact), detect there and re-plan, send the target's bundle, run stage 0 there,
    bring the report back. ``strategy``: the caller's name; ``reach``: how its transport
    gets there, in words ("with wsl.exe"), for the preflight's line."""
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
            reach=reach,
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

    def settled(self, plan: Plan) -> Settled | None:
        """After a successful handoff, what lets a re-run with the same inputs be a no-op
        without reaching the target: the files whose change undoes it and a marker that
        :meth:`still_up` checks. None (the default for a strategy) when every run must
        check its target again (a remote box can change behind our back). Must be
        side-effect free."""
        ...

    def still_up(self, marker: Mapping[str, str]) -> bool:
        """Whether the environment a :meth:`settled` marker names is still there (a
        devcontainer: its container runs). May ask the machine (read-only, quick: it is
        on the no-op's path); never changes anything."""
        ...


@dataclass(frozen=True)
class Settled:
    """What a strategy's no-op rests on (:meth:`Strategy.settled`): the files whose change
    undoes it, and the marker its :meth:`Strategy.still_up` checks."""

    files: tuple[str, ...]
    marker: tuple[tuple[str, str], ...]


class Registry(Mapping[str, Strategy]):
    """The strategies by name, in registration order: the one list every other list of
    strategy names (the order, ``--strategy``'s choices and check, the handoff) derives
    from. ``order``: each OS's preference when a profile sets no ``strategies.order``
    (a strategy it does not list is tried after the listed ones); every name in it must
    be registered."""

    def __init__(
        self, *strategies: Strategy, order: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self._by_name: dict[str, Strategy] = {}
        for strategy in strategies:
            if strategy.name in self._by_name:
                raise ValueError(f"strategy {strategy.name!r} is registered twice")
            self._by_name[strategy.name] = strategy
        self.order: Mapping[str, tuple[str, ...]] = dict(order or {})
        for os_name, names in self.order.items():
            unknown = [n for n in names if n not in self._by_name]
            if unknown:
                raise ValueError(f"the {os_name} order names unregistered {unknown}")

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
