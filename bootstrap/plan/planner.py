"""make_plan(facts, profile, overrides) -> Plan: pure, explained, overridable.

No I/O here: the profile loader has already resolved paths and listed lock files, and
detection has read the machine. Every choice becomes a :class:`Reason` with the facts
it rests on; ``--strategy``, ``--target`` and ``--lock`` win, with a warning when they
look wrong. When no strategy fits, :class:`PlanError` carries a failed plan whose
reasons list every check with its evidence and fix.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from typing import Any

from bootstrap import platforms
from bootstrap.errors import UserError
from bootstrap.host.facts import HostFacts
from bootstrap.plan import accel as accel_mod
from bootstrap.plan import strategy as strat
from bootstrap.plan.model import LockChoice, Plan, PlanError, Reason
from bootstrap.plan.specs import Report, StepSpec
from bootstrap.profiles import LockSpec, Profile, Variant
from bootstrap.report.config import MetricsConfig

TARGET_OSES = platforms.OSES
TARGET_ARCHES = platforms.ARCHES


@dataclass(frozen=True)
class Overrides:
    strategy: str | None = None
    target: str | None = None  # "<os>-<arch>-<accel>"
    lock: str | None = None  # a lock path relative to the project
    cache_bundle: str | None = None  # adds the import-cache step
    online: bool = False  # sync may use the index (`up --online`)
    uv_version: str = "pinned"  # the repository's uv pin, for the plan's ensure-uv step
    uv_sources: tuple[str, ...] = ()  # where an uninstalled uv comes from (empty: default)
    accept_new_host_keys: bool = False
    # The pinned interpreters (bootstrap/python/pin.txt) the cache bundle carries, each
    # (triple, version, file name, sha256): read by the caller, so planning stays pure.
    bundle_pythons: tuple[tuple[str, str, str, str], ...] = ()
    # An earlier cache bundle filled this machine's wheelhouse, which an offline sync then
    # installs from (read by the caller, like the interpreters above).
    wheelhouse: bool = False


target_key = platforms.target_key


def parse_target(key: str) -> tuple[str, str, str]:
    """``--target``'s os, arch and accelerator (the one grammar: :func:`platforms.parse`)."""
    t = platforms.parse(key, what="--target")
    return t.os, t.arch, t.accel.name


def make_plan(
    facts: HostFacts,
    profile: Profile,
    overrides: Overrides | None = None,
    *,
    strategies: strat.Registry | None = None,
) -> Plan:
    """The plan for ``profile`` on the host ``facts`` describe. ``strategies``: the
    strategies to choose among (default: the ones bootstrap.strategies registers).
    Each decision below returns its :class:`Reason` (and adds its warnings); then the
    chosen strategy contributes the steps."""
    ov = overrides or Overrides()
    registry = strat.registered(strategies)
    warnings: list[str] = []
    chosen, strategy_reason = _choose_strategy(facts, profile, ov, registry, warnings)
    strategy = registry[chosen.strategy]
    target = _choose_target(facts, profile, ov, chosen, warnings)
    lock, lock_reason = _choose_lock(profile, ov, target, warnings)
    reasons = [strategy_reason, *target.reasons, lock_reason]
    if strategy.resources_here:
        reasons += _resources(facts, profile, warnings)
    warnings += _libc_warnings(facts, strategy, target.platform)
    bundle_python = _bundle_python(facts if strategy.runs_here else None, target.platform, ov)
    reasons += [_python_reason(profile, bundle_python), _network_reason(profile, ov)]
    warnings += strategy.warnings(profile)
    network = _network(profile, ov)
    inputs = strat.StepInputs(profile, lock, network, chosen.evidence, bundle_python=bundle_python)
    return Plan(
        profile=profile.name,
        project=profile.project.path,
        target=target.key,
        strategy=chosen.strategy,
        lock=lock,
        steps=_steps(strategy, inputs, ov),
        reasons=tuple(reasons),
        python=profile.project.python,
        first_run=profile.first_run.command,
        first_run_timeout=profile.first_run.timeout_seconds,
        budget_seconds=profile.budget_seconds,
        warnings=tuple(warnings),
        profile_path=profile.source,
        network=network,
    )


# -- where the environment lives -------------------------------------------------------


def _choose_strategy(
    facts: HostFacts,
    profile: Profile,
    ov: Overrides,
    registry: strat.Registry,
    warnings: list[str],
) -> tuple[strat.Check, Reason]:
    """The first strategy that fits in the order (or the one ``--strategy`` forces, or
    one that fits once the user acts), and why; every other check as rejected."""
    chosen, checks = strat.decide(facts, profile, registry)
    if ov.strategy is not None:
        chosen = _forced_strategy(
            ov.strategy,
            facts,
            profile=profile,
            checks=checks,
            registry=registry,
            warnings=warnings,
        )
    if chosen is None:
        # Nothing fits now, but one strategy would after an action only the user can
        # take (install WSL, enable virtualization): plan it, with that action first.
        chosen = next(
            (c for c in checks if c.evidence.get("blockers") and c.fit and c.fit.variant), None
        )
    if chosen is None:
        raise _no_strategy(facts, profile, checks, ov)
    return chosen, _strategy_reason(chosen, checks, ov, registry)


def _strategy_reason(
    chosen: strat.Check, checks: list[strat.Check], ov: Overrides, registry: strat.Registry
) -> Reason:
    rejected = tuple(
        {
            "candidate": c.strategy,
            "why": c.why if not c.ok else (c.degraded or "fits too, but comes later in the order"),
        }
        for c in checks
        if c is not chosen and c.strategy != chosen.strategy
    )
    why = chosen.why
    if ov.strategy is not None:
        why = f"--strategy {ov.strategy} (given); " + why
    elif registry[chosen.strategy].outranks_degraded and any(c.ok and c.degraded for c in checks):
        # Chosen over a strategy that fits only degraded: say what that one would lose.
        degraded = next(c for c in checks if c.ok and c.degraded)
        why = f"{why}; {degraded.degraded}"
    return Reason(
        "strategy",
        chosen.strategy,
        why,
        evidence={"checked": [c.strategy for c in checks], **chosen.evidence},
        fix=chosen.fix if not chosen.ok else None,
        rejected=rejected,
    )


def _forced_strategy(
    name: str,
    facts: HostFacts,
    *,
    profile: Profile,
    checks: list[strat.Check],
    registry: strat.Registry,
    warnings: list[str],
) -> strat.Check:
    """``--strategy NAME``: its check, with a warning when it does not fit here or the
    profile does not allow it (it wins all the same)."""
    if name not in registry:
        raise UserError(
            f"--strategy {name!r} is not one of {', '.join(registry.names)}",
            code="plan.bad_strategy",
        )
    forced = next((c for c in checks if c.strategy == name), None)
    if forced is None or forced.fit is None or not forced.ok:
        forced_check = strat.check(name, facts, profile, registry)
        if not forced_check.ok:
            warnings.append(
                f"--strategy {name} looks wrong here: {forced_check.why}"
                + (f" (fix: {forced_check.fix})" if forced_check.fix else "")
            )
        forced = forced_check
    if name not in profile.strategies.allowed:
        warnings.append(
            f"--strategy {name} is not in the profile's strategies.allowed "
            f"{list(profile.strategies.allowed)}"
        )
    return forced


# -- which variant, for which target ---------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The lock and variant chosen, the platform the environment lives on, the target
    key, and the reasons (accelerator, target)."""

    lock: LockSpec
    variant: Variant
    platform: str
    key: str
    reasons: tuple[Reason, ...]


def _choose_target(
    facts: HostFacts,
    profile: Profile,
    ov: Overrides,
    chosen: strat.Check,
    warnings: list[str],
) -> _Target:
    """The variant the chosen strategy's fit names (the newest GPU variant the driver
    runs, else CPU), or the one ``--target`` forces; and the target key they make."""
    fit = chosen.fit or strat.fit_for(
        profile, f"linux-{facts.arch}", accel_mod.GpuView(none_why="no fit")
    )
    platform, choice = fit.platform, fit.choice
    lock, variant = _fitted(profile, fit, chosen.strategy, warnings)
    accel_why = _accel_why(variant, choice)
    if ov.target is None:
        warnings += _gpu_warning(lock, variant, choice.gpu)
    else:
        forced = _forced_target(
            ov.target,
            profile,
            platform=platform,
            strategy=chosen.strategy,
            gpu=choice.gpu,
            warnings=warnings,
        )
        lock, variant, platform = forced
        accel_why = f"--target {ov.target} (given)"
    key = target_key(platform, variant.accel)
    accelerator = Reason(
        "accelerator",
        variant.accel,
        accel_why,
        evidence=choice.gpu.evidence() or {"gpus": [g.vendor for g in facts.gpus]},
        rejected=tuple(r for r in choice.rejected if r["candidate"] != variant.accel),
    )
    where = Reason(
        "target",
        key,
        f"environment on {platform} ({chosen.strategy}), variant {variant.accel}",
        evidence={"os": facts.os, "arch": facts.arch, "strategy": chosen.strategy},
    )
    return _Target(lock, variant, platform, key, (accelerator, where))


def _forced_target(
    key: str,
    profile: Profile,
    *,
    platform: str,
    strategy: str,
    gpu: accel_mod.GpuView,
    warnings: list[str],
) -> tuple[LockSpec, Variant, str]:
    """``--target KEY``: its lock and variant, and its platform; warned about when the
    environment lives elsewhere or the variant cannot run there."""
    os_, arch, accel = parse_target(key)
    lock, variant = _target_variant(profile, os_, arch, accel, key)
    want = f"{os_}-{arch}"
    if want != platform:
        warnings.append(
            f"--target {key} looks wrong: the environment will live on {platform} ({strategy})"
        )
    why_not = accel_mod.why_not(lock, variant, want, gpu, profile.needs)
    if why_not is not None and want == platform:
        warnings.append(f"--target {key} looks wrong: {why_not}")
    return lock, variant, want


def _fitted(
    profile: Profile, fit: strat.Fit, strategy: str, warnings: list[str]
) -> tuple[LockSpec, Variant]:
    """The fit's lock and variant; under a ``--strategy`` nothing fits for, the CPU
    variant of the first lock (with a warning)."""
    if fit.lock is not None and fit.variant is not None:
        return fit.lock, fit.variant
    lock = profile.locks[0]
    variant = next((v for v in lock.variants if v.accel == "cpu"), lock.variants[0])
    warnings.append(
        f"no variant of the profile's locks fits {fit.platform} under --strategy "
        f"{strategy}; planning {variant.accel} anyway"
    )
    return lock, variant


def _gpu_warning(lock: LockSpec, variant: Variant, gpu: accel_mod.GpuView) -> list[str]:
    """The GPU stack looks broken (a driver that does not answer, ...), said only where
    it matters: the lock has CUDA variants to choose among."""
    if not gpu.warning or not any(accel_mod.cuda_of(v.accel) for v in lock.variants):
        return []
    chosen_cuda = accel_mod.cuda_of(variant.accel) is not None
    consequence = f", and {variant.accel} may not run until it works" if chosen_cuda else ""
    return [gpu.warning.replace("{chosen}", consequence)]


# -- which lock file -------------------------------------------------------------------


def _choose_lock(
    profile: Profile, ov: Overrides, target: _Target, warnings: list[str]
) -> tuple[LockChoice, Reason]:
    """The chosen variant's lock file and selection (or the one ``--lock`` gives)."""
    lock = target.lock
    lock_choice = target.variant.lock_choice(lock.file_for(target.key), lock.kind)
    if ov.lock is not None:
        lock_choice = _lock_override(profile, ov.lock, lock_choice, target.key, warnings)
    lock_fix = None
    if not lock.exists and ov.lock is None:
        lock_fix = "run `uv lock` in the project and commit the lock"
        warnings.append(f"{lock_choice.path} is not in the project {profile.project.path}")
    reason = Reason(
        "lock",
        lock_choice.path,
        _lock_why(lock_choice, ov),
        evidence={"kind": lock_choice.kind, "project": profile.project.path},
        fix=lock_fix,
    )
    return lock_choice, reason


# -- whether this machine can hold it --------------------------------------------------


def _resources(facts: HostFacts, profile: Profile, warnings: list[str]) -> list[Reason]:
    """RAM and free disk against the profile's minimums (for a strategy whose
    environment uses this machine's)."""
    short = strat.resource_shortfalls(facts, profile)
    reasons = []
    for what, why_short, fix in short:
        warnings.append(f"{what}: {why_short}")
        reasons.append(
            Reason(
                "resources",
                f"{what}: too little",
                why_short + f" (needs.resources = {profile.needs.resources})",
                evidence=_resource_evidence(facts, profile),
                fix=fix,
            )
        )
    if not short and (profile.needs.min_memory_gb or profile.needs.min_disk_gb):
        reasons.append(
            Reason(
                "resources",
                "enough",
                "RAM and free disk meet the profile's minimums",
                evidence=_resource_evidence(facts, profile),
            )
        )
    return reasons


def _libc_warnings(facts: HostFacts, strategy: strat.Strategy, platform: str) -> list[str]:
    """musl here: most wheels will not install (for a strategy whose steps run here)."""
    if (
        strategy.runs_here
        and platform.startswith("linux")
        and facts.libc is not None
        and facts.libc.family == "musl"
    ):
        # uv.lock and pylock wheels are mostly manylinux (glibc); musl needs musllinux
        # wheels or pure Python, and `--no-build` will not compile the rest.
        return [
            "musl libc: manylinux (glibc) wheels do not install here; the sync fails for "
            "any package without a musllinux or pure-Python wheel (a glibc container or "
            "--strategy devcontainer avoids this)"
        ]
    return []


# -- which Python, which network -------------------------------------------------------


def _network(profile: Profile, ov: Overrides) -> str:
    if ov.online:
        return "online"
    return "fallback" if profile.sync.network == "allow" else "offline"


def _accel_why(variant: Variant, choice: accel_mod.AccelChoice) -> str:
    gpu = choice.gpu
    gpu_passed = [r for r in choice.rejected if accel_mod.is_gpu(r["candidate"].split(":")[-1])]
    if accel_mod.is_gpu(variant.accel):
        if gpu.assumed:
            return f"{variant.accel}: the newest GPU variant (the remote host re-checks its driver)"
        cuda = accel_mod.cuda_of(variant.accel)
        if cuda is not None:
            over = " over " + ", ".join(r["candidate"] for r in gpu_passed) if gpu_passed else ""
            return (
                f"driver {gpu.driver} supports CUDA <= {gpu.max_cuda} ({gpu.cuda_source}); "
                f"chose {variant.accel}{over}: the newest CUDA variant it supports"
            )
        return f"ROCm {gpu.rocm} runs {variant.accel}, the newest ROCm variant it supports"
    if gpu_passed:
        return "CPU: no GPU variant fits (" + "; ".join(r["why"] for r in gpu_passed) + ")"
    return "CPU: the lock offers no GPU variant for this platform"


def _target_variant(
    profile: Profile, os_: str, arch: str, accel: str, key: str
) -> tuple[LockSpec, Variant]:
    platform = f"{os_}-{arch}"
    offered: list[str] = []
    for lock in profile.locks:
        for v in lock.variants:
            if lock.serves(platform, v) and v.accel == accel:
                return lock, v
            offered += [f"{p}-{v.accel}" for p in strat_platforms() if lock.serves(p, v)]
    raise UserError(
        f"--target {key}: profile {profile.name!r} has no lock variant for it",
        fix="targets it offers: " + ", ".join(sorted(set(offered))),
        code="plan.bad_target",
    )


def strat_platforms() -> tuple[str, ...]:
    return tuple(f"{o}-{a}" for o in TARGET_OSES for a in TARGET_ARCHES)


# PEP 751's names for a lock file: pylock.toml, pylock.<name>.toml.
_PYLOCK_NAME = re.compile(r"^pylock(\.[A-Za-z0-9_.-]+)?\.toml$")


def _lock_override(
    profile: Profile, path: str, current: LockChoice, target: str, warnings: list[str]
) -> LockChoice:
    for lock in profile.locks:
        if lock.kind == "uv" and lock.path == path:
            if path != current.path:
                warnings.append(f"--lock {path}: not the lock planned for {target}")
            return replace(current, path=path, kind="uv")
        if lock.kind == "pylock":
            known = {lock.file_for(t): t for t in (*lock.available, *lock.files)}
            if path in known:
                if known[path] != target:
                    warnings.append(
                        f"--lock {path} looks wrong: it is for {known[path]}, this host is {target}"
                    )
                return LockChoice(path, "pylock")
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if not name.endswith("uv.lock") and not _PYLOCK_NAME.match(name):
        raise UserError(
            f"--lock {shlex.quote(path)}: not a lock file name (expected a uv.lock, "
            "pylock.toml or pylock.<name>.toml)",
            fix="pass the project's uv.lock or one of its pylock files, or leave out --lock",
            code="plan.bad_lock",
        )
    kind = "uv" if name.endswith("uv.lock") else "pylock"
    warnings.append(
        f"--lock {path} is not one of profile {profile.name!r}'s locks; using it as given"
    )
    if kind == "uv":
        return replace(current, path=path, kind="uv")
    return LockChoice(path, "pylock")


def _lock_why(lock: LockChoice, ov: Overrides) -> str:
    if ov.lock is not None:
        return f"--lock {ov.lock} (given)"
    if lock.kind == "uv":
        return "uv project lock, " + (lock.selection_text() or "no extras or groups")
    return "the PEP 751 lock for this target"


def _resource_evidence(facts: HostFacts, profile: Profile) -> dict[str, Any]:
    gb = strat.GB
    return {
        "memory_gb": round(facts.memory_bytes / gb, 1),
        "disk_free_gb": round(facts.disk_free_bytes / gb, 1),
        "min_memory_gb": profile.needs.min_memory_gb,
        "min_disk_gb": profile.needs.min_disk_gb,
    }


def _bundle_python(facts: HostFacts | None, platform: str, ov: Overrides) -> tuple[str, ...]:
    """The pinned interpreter the bundle carries for ``platform`` ("linux-x86_64"), as
    (triple, version, file name, sha256); () when it carries none for it. ``facts``: the
    host's, when the environment lives here (its libc); a handoff's target is glibc
    Linux (the preflight refuses musl)."""
    if not ov.cache_bundle or not ov.bundle_pythons:
        return ()
    os_, _, arch = platform.partition("-")
    musl = facts is not None and facts.libc is not None and facts.libc.family == "musl"
    libc = "musl" if musl else "gnu"
    triple = {
        "linux": f"{'aarch64' if arch == 'arm64' else 'x86_64'}-unknown-linux-{libc}",
        "macos": f"{'aarch64' if arch == 'arm64' else 'x86_64'}-apple-darwin",
        "windows": f"{'aarch64' if arch == 'arm64' else 'x86_64'}-pc-windows-msvc",
    }.get(os_, "")
    return next((tuple(p) for p in ov.bundle_pythons if p[0] == triple), ())


def _python_reason(profile: Profile, bundle_python: tuple[str, ...] = ()) -> Reason:
    req = profile.project.python
    if bundle_python:
        return Reason(
            "python",
            f"CPython {bundle_python[1]} from the cache bundle",
            "the bundle carries the interpreter bootstrap/python/pin.txt pins for "
            f"{bundle_python[0]}: uv installs it offline (managed), and every sync uses it"
            + (f"; [project] python = {req!r}" if req else ""),
            evidence={"source": "bundle", "archive": bundle_python[2], "sha256": bundle_python[3]},
        )
    return Reason(
        "python",
        req or "any",
        f"[project] python = {req!r}" if req else "the profile sets no Python requirement",
        evidence={"python_downloads": profile.project.python_downloads},
    )


def _network_reason(profile: Profile, ov: Overrides) -> Reason:
    if ov.online:
        return Reason("network", "online", "--online: sync may download from the index")
    if profile.sync.network == "allow":
        return Reason(
            "network",
            "offline, index on a miss",
            "offline from the cache first; [sync] network = allow lets a cache miss fall "
            "back to the index (recorded in the report)",
        )
    return Reason(
        "network",
        "offline",
        "offline from the cache; a cache miss fails, names what is missing and how to "
        "get it (--cache-bundle FILE, or --online)",
    )


def _steps(strategy: strat.Strategy, inp: strat.StepInputs, ov: Overrides) -> tuple[StepSpec, ...]:
    """The strategy's steps from the decisions made (``inp``) and what the overrides
    carry through to them, then the report."""
    inp = replace(
        inp,
        cache_bundle=ov.cache_bundle,
        uv_version=ov.uv_version,
        uv_sources=ov.uv_sources,
        accept_new_host_keys=ov.accept_new_host_keys,
        wheelhouse=ov.wheelhouse,
    )
    profile = inp.profile
    sinks = len(profile.metrics.sinks) if profile.metrics.enabled else 0
    metrics = MetricsConfig.from_settings(profile.metrics)
    report = Report(budget_seconds=profile.budget_seconds, sinks=sinks, metrics=metrics)
    return (*strategy.steps(inp), report)


def _no_strategy(
    facts: HostFacts, profile: Profile, checks: list[strat.Check], ov: Overrides
) -> PlanError:
    reasons = tuple(
        Reason(
            f"check:{c.strategy}",
            "fits" if c.ok else "no",
            c.why,
            evidence=c.evidence,
            fix=c.fix,
            rejected=tuple(c.fit.choice.rejected) if c.fit else (),
        )
        for c in checks
    )
    failed = Plan(
        profile=profile.name,
        project=profile.project.path,
        target=f"{facts.os}-{facts.arch}-none",
        strategy="none",
        lock=LockChoice(path="", kind="none"),
        steps=(),
        reasons=reasons,
        python=profile.project.python,
        budget_seconds=profile.budget_seconds,
        ok=False,
    )
    lines = [f"no strategy fits profile {profile.name!r} on this {facts.os}-{facts.arch} host:"]
    lines += [f"  {c.strategy}: {c.why}" for c in checks]
    fixes = [f"{c.strategy}: {c.fix}" for c in checks if c.fix]
    return PlanError("\n".join(lines), failed, fix="; ".join(fixes) or None)


__all__ = ["Overrides", "make_plan", "parse_target", "target_key"]
