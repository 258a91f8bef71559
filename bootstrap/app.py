"""`bootstrap up`: detect -> plan -> execute the plan's steps -> report.

This module wires the layers together and owns nothing else: detection lives in
``host``, decisions in ``plan``, side effects in ``steps``, timing reports in ``report``.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.console import StepView
from bootstrap.errors import BootstrapError
from bootstrap.lockchoice import LockChoice
from bootstrap.paths import Paths
from bootstrap.request import profile_request
from bootstrap.steps.lock import RunLock
from bootstrap.steps.outcome import UpResult
from bootstrap.steps.state import RunState, file_digest, fingerprint, installed_signature, selection
from bootstrap.timing import Timer, stage0_phases, stage0_start

if TYPE_CHECKING:
    from bootstrap.host.facts import HostFacts
    from bootstrap.plan.model import Plan
    from bootstrap.report.model import TimingReport
    from bootstrap.steps import Context

METRICS_BUDGET = 2.0  # onboarding never waits longer than this on metrics
FLUSH_BUDGET = 1.0  # nor on re-sending earlier runs' spooled reports


@dataclass(frozen=True)
class UpOptions:
    # None: the project's own profile (--project DIR, or the current directory when it
    # keeps one), else "default". See bootstrap.profiles for the search.
    profile: str | None = None
    project: str | None = None  # --project DIR: the project to set up
    cache_bundle: str | None = None
    online: bool = False
    refresh: bool = False  # skip the no-op shortcut: detect, plan and check every step
    dry_run: bool = False
    wait_seconds: float = 300.0
    strategy: str | None = None
    target: str | None = None
    lock: str | None = None
    remote: str | None = None  # --remote [user@]host[:port]: hand over to this box
    accept_new_host_keys: bool = False
    report_out: str | None = None  # also write the timing report here (for a handoff)
    replay: str | None = None  # detect from this capture directory instead of this machine


def _state_key(options: UpOptions) -> str:
    # One record per (profile, project): the same project named by --project DIR from
    # anywhere, by --project ., or found as the current directory is one environment
    # with one history. Only without a project does the current directory count (a
    # profile's project defaults to it); a profile given as a path is that file.
    profile, project = profile_request(options)
    if profile and project is None and _is_kept_here(profile):
        profile, project = None, str(Path.cwd())  # `--profile NAME` of the one kept here
    stem = Path(profile).stem if profile else Path(project or ".").resolve().name
    if profile and (profile.endswith(".toml") or "/" in profile or os.sep in profile):
        profile = str(Path(profile).resolve())
    where = Path(project) if project is not None else Path.cwd()
    return f"{stem}-{fingerprint(profile or '', str(where.resolve()))[:12]}"


def _is_kept_here(profile: str) -> bool:
    """Whether ``profile`` names the profile the current directory keeps (found by name
    as `up` finds it), so that run is the same environment as a run with no --profile."""
    from bootstrap.profile_lookup import project_profile

    own = project_profile(Path.cwd())
    if own is None:
        return False
    from bootstrap.profiles import find_profile

    try:
        return find_profile(profile) == own.resolve()
    except BootstrapError:
        return False


def _legacy_state_key(options: UpOptions) -> str:
    """The key records had before they were independent of the current directory."""
    profile, project = profile_request(options)
    stem = Path(profile).stem if profile else Path(project or ".").resolve().name
    parts = [str(Path.cwd().resolve()), profile or ""]
    if project is not None:
        parts.append(str(Path(project).resolve()))
    return f"{stem}-{fingerprint(*parts)[:12]}"


def _load_state(paths: Paths, options: UpOptions) -> RunState:
    """The run's record; one written under the older key (from this same directory) is
    taken over, so an upgrade does not turn a no-op into a second "first" run."""
    state = RunState.load(paths, _state_key(options))
    if not state.path.exists():
        legacy = RunState.load(paths, _legacy_state_key(options))
        if legacy.path.exists() and legacy.path != state.path:
            legacy.path = state.path
            return legacy
    return state


def _quick_host_signature() -> dict[str, str]:
    """What can change under a finished environment and change the plan, read in
    microseconds: the platform and the NVIDIA driver version, and the overrides. A full
    detection runs when any of it changes (or with --refresh)."""
    import platform

    sig = {"system": platform.system(), "machine": platform.machine()}
    nv = Path("/sys/module/nvidia/version")
    try:
        sig["nvidia"] = nv.read_text().strip()
    except OSError:
        sig["nvidia"] = ""
    for var in sorted(os.environ):
        if var == "BOOTSTRAP_CUDA_DRIVER" or var.startswith("BOOTSTRAP_FACT_"):
            sig[var] = os.environ[var]
    return sig


def _noop_inputs(files: list[Path], options: UpOptions) -> dict[str, Any]:
    return {
        "files": {str(p): file_digest(p) for p in files},
        "host": _quick_host_signature(),
        "overrides": [
            options.strategy,
            options.target,
            options.lock,
            options.online,
            options.remote,
            options.replay,
        ],
    }


def up(options: UpOptions, view: StepView, paths: Paths | None = None) -> UpResult:
    paths = paths or Paths.from_env()
    started, start_origin = stage0_start()

    def on_wait() -> None:
        view.note("another `bootstrap up` is running; waiting for it to finish...")

    with RunLock(paths.run_lock(_state_key(options)), wait_seconds=options.wait_seconds,
                 on_wait=on_wait):  # fmt: skip
        state = _load_state(paths, options)
        noop_next = _noop_next(state, options, paths)
        if noop_next is not None:
            _say_up_to_date(options, view, state)
            report = _noop_report(paths, state, options, started, start_origin)
            return UpResult(0, noop=True, next=noop_next, report=report)
        return _run(
            options, view=view, paths=paths, state=state, started=started, start_origin=start_origin
        )


def _noop_next(state: RunState, options: UpOptions, paths: Paths) -> list[str] | None:
    """The fast no-op: a recorded success whose inputs (files, host signature, overrides)
    are all unchanged -- the environment's synced marker is one of the files -- and, for
    a devcontainer, whose container still runs. Returns the closing commands to print
    again, or None when there is work to do."""
    done = state.success
    if not done or options.refresh or options.dry_run:
        return None
    if options.cache_bundle:
        from bootstrap.cache.use import imported_before

        if not imported_before(options.cache_bundle, paths):
            return None
    inputs = dict(done["inputs"])
    container = inputs.pop("container", None)
    # What the environment here held (bootstrap.steps.state.installed_signature): the
    # marker alone says a sync finished, not that its files are still there. A record
    # without it (from an older version) is no no-op. A devcontainer's environment is in
    # the container: its record carries the container instead.
    dists = inputs.pop("dists", None)
    if container is None and not (isinstance(dists, dict) and _dists_unchanged(dists)):
        return None
    files = [Path(p) for p in inputs["files"]]
    if inputs == _noop_inputs(files, options) and _container_up(container):
        return list(done.get("next", []))
    return None


def _dists_unchanged(dists: dict[str, Any]) -> bool:
    venv, sig = dists.get("venv"), dists.get("signature")
    return isinstance(venv, str) and sig == installed_signature(Path(venv))


def _say_up_to_date(options: UpOptions, view: StepView, state: RunState) -> None:
    # The profile's own name, as the last success recorded it (a project's directory
    # name is not its profile's); older records fall back to the label `up` was given.
    recorded = ((state.success or {}).get("report") or {}).get("profile")
    label = recorded if isinstance(recorded, str) and recorded else _profile_label(options)
    view.note(
        f"up to date: profile {label!r} had a successful first run with "
        "these inputs (--refresh checks everything again)"
    )


def quick_noop(profile: str | None, *, online: bool = False) -> bool:
    """`bootstrap up [--profile NAME] [--online]` answered before the CLI is imported:
    True (and "up to date" and the closing commands said) when it is the no-op; False
    for anything else -- another run holds the lock, or there is work to do -- and the
    full command then runs as usual."""
    from bootstrap.console import line
    from bootstrap.errors import Busy

    options = UpOptions(profile=profile, online=online, wait_seconds=0.0)
    paths = Paths.from_env()
    try:
        with RunLock(paths.run_lock(_state_key(options)), wait_seconds=0.0, on_wait=lambda: None):
            state = _load_state(paths, options)
            noop_next = _noop_next(state, options, paths)
    except Busy:
        return False
    if noop_next is None:
        return False
    _say_up_to_date(options, StepView(), state)
    started, start_origin = stage0_start()
    _noop_report(paths, state, options, started, start_origin)
    for text in noop_next:
        line(text)
    return True


def _noop_report(
    paths: Paths, state: RunState, options: UpOptions, started: float, start_origin: str
) -> dict[str, Any] | None:
    """Record the no-op like any other run (``run_kind: noop``, never a time to first
    run), from what the last success recorded about the machine: a no-op detects
    nothing. Its whole time after stage 0 is the process's start-up and the check."""
    basis = (state.success or {}).get("report")
    if not isinstance(basis, dict) or options.dry_run:
        return None
    from bootstrap import STARTED_AT
    from bootstrap.report.config import SINKS_VAR
    from bootstrap.report.model import new_report

    # Nothing to send (the last success recorded that the profile, whose file has not
    # changed since, has no sink; none in the environment either): the history is all,
    # and neither the profile nor the sinks need loading (a third of the no-op's time).
    local_only = basis.get("sinks") == 0 and not os.environ.get(SINKS_VAR)
    profile: Any = None
    if not local_only:
        with contextlib.suppress(BootstrapError, OSError):
            from bootstrap.profiles import load_profile

            name, project = profile_request(options)
            profile = load_profile(name, project=project)
    now = time.time()
    report = new_report(
        profile=str(basis.get("profile", "")),
        host=basis.get("host") or {},
        phases=stage0_phases(started, start_origin, STARTED_AT, now),
        total_seconds=now - started,
        target=basis.get("target"),
        strategy=basis.get("strategy"),
        uv_version=basis.get("uv_version"),
        total_from=start_origin,
        offline=True,
        cache_hit=True,
        budget_seconds=basis.get("budget_seconds"),
        run_kind="noop",
    )
    if local_only:
        from bootstrap.report import history

        with contextlib.suppress(BootstrapError, OSError):
            history.append(paths, report)
        return report.to_dict()
    from bootstrap.report.delivery import record

    with contextlib.suppress(BootstrapError, OSError):
        record(paths, report, _metrics_config(profile), budget_seconds=METRICS_BUDGET)
    return report.to_dict()


def _run(
    options: UpOptions,
    *,
    view: StepView,
    paths: Paths,
    state: RunState,
    started: float,
    start_origin: str,
) -> UpResult:
    from bootstrap.steps import Context, run_steps

    if not options.dry_run and state.success is not None:
        # Whatever this run does, the last success no longer vouches for the
        # environment until this run succeeds: an interrupted run is never a no-op.
        # (Saved by begin_attempt, next: one write, not two.)
        state.success = None
    attempt, first_attempt = (1, started) if options.dry_run else state.begin_attempt(started)
    timer = Timer()
    from bootstrap import STARTED_AT

    timer.phases.update(stage0_phases(started, start_origin, STARTED_AT, time.time()))
    # Whether this profile (in this directory) has had a successful first run before:
    # a first run on an environment that had one is a re-sync, not a first run.
    had_first_run = state.steps.get("first-run", {}).get("status") == "done"
    facts: HostFacts | None = None
    ctx: Context | None = None
    profile: Any = None
    plan: Plan | None = None
    error: BootstrapError | None = None
    try:
        with timer.phase("detect"):
            from bootstrap.host import detect, replay

            facts = replay(Path(options.replay)) if options.replay else detect(meanwhile=_preload)
        with timer.phase("plan"):
            profile, plan = _plan(options, facts)
        if not plan.first_run and not options.dry_run:
            # Planned for display (`bootstrap plan`), but `up` exists to time a first run.
            from bootstrap.errors import ConfigError

            raise ConfigError(
                f"profile {plan.profile!r} has no [first_run] command: nothing to time",
                fix='add [first_run] command = "..." to the profile',
                code="profile.no_first_run",
            )
        for warning in plan.warnings:
            view.note(f"warning: {warning}")
        with timer.phase("report"):
            for warning in _flush_spool(paths, profile):
                view.note(f"warning: {warning}")
        from bootstrap.strategies import REGISTRY

        if not REGISTRY[plan.strategy].runs_here:
            from bootstrap.steps.handoff import run_handoff

            config = _metrics_config(profile)
            salt = _salt(config, paths)
            result: UpResult = run_handoff(
                plan,
                facts=facts,
                view=view,
                paths=paths,
                timer=timer,
                started=started,
                start_origin=start_origin,
                dry_run=options.dry_run,
                refresh=options.refresh,
                deliver=lambda report: _deliver(paths, config, report),
                host_summary=lambda f: _host_summary(f, salt),
            )
            if result.exit_code == 0 and not options.dry_run:
                _record_container(state, plan, options)
                state.attempts = None
                state.save()
            return result
        if options.dry_run:
            for step in plan.steps:
                view.note(f"would {step.name}: {step.describe()}")
            return UpResult(0, plan=plan.to_dict())
        _system_certs(plan, view)
        ctx = Context(
            paths=paths,
            plan=plan,
            facts=facts,
            view=view,
            timer=timer,
            state=state,
            refresh=options.refresh,
        )
        run_steps(ctx)
        with timer.phase("sync"):
            _mark_synced(ctx)
    except BootstrapError as exc:
        if getattr(exc, "recorded", False):
            raise  # a handoff recorded its own report
        error = exc
    total = time.time() - started
    if facts is None or plan is None:
        assert error is not None  # noqa: S101 - only an error stops us before a plan
        raise error
    report, delivery = _report(
        paths,
        profile=profile,
        plan=plan,
        facts=facts,
        ctx=ctx,
        phases=timer.phases,
        total=total,
        start_origin=start_origin,
        error=error,
        run_kind=_run_kind(options, ctx, had_first_run),
        attempt=attempt,
        first_attempt=first_attempt,
    )
    if options.report_out:
        _write_report_out(Path(options.report_out), report.to_dict())
    if error is not None:
        raise error
    assert ctx is not None  # noqa: S101
    done = report.to_dict()
    basis = ("profile", "target", "strategy", "host", "uv_version", "budget_seconds")
    commands = _next_commands(ctx, plan)  # recorded with the success: the no-op prints them
    state.record_success(
        {
            **_noop_inputs(ctx.input_files(), options),
            "dists": {"venv": str(ctx.venv), "signature": installed_signature(ctx.venv)},
        },
        report={
            **{k: done[k] for k in basis},
            # Whether the profile sends anywhere: a no-op of this same profile (its file
            # unchanged, or it would not be one) then records without loading it again.
            "sinks": len(profile.metrics.sinks) if profile.metrics.enabled else 0,
        },
        selection=selection(plan, ctx.project, ctx.venv, ctx.uv),
        next_commands=commands,
    )
    return UpResult(
        0,
        report=report.to_dict(),
        plan=plan.to_dict(),
        notes=ctx.notes,
        delivery=delivery,
        next=commands,
    )


def _mark_synced(ctx: Context) -> None:
    """Every step passed, so uv has confirmed the environment matches the lock (it synced
    it, or its check found it so): an environment from an older version of this tool
    gets the synced marker the no-op shortcut needs."""
    from bootstrap.plan.specs import Sync
    from bootstrap.sync import mark_synced

    spec = ctx.plan.step(Sync)
    if spec is not None:
        mark_synced(ctx.venv, spec.lock)


def _system_certs(plan: Plan, view: StepView) -> None:
    """The profile asks uv to trust the system's certificate store: every uv call of
    this run gets UV_SYSTEM_CERTS=1 (the Context copies this environment), said once."""
    from bootstrap import tls
    from bootstrap.plan.specs import EnsureUv

    spec = plan.step(EnsureUv)
    if spec is None or not spec.system_certs or tls.enabled(os.environ):
        return
    tls.enable(os.environ)
    view.note(tls.note("the profile sets [sync] system_certs = true"))


def _run_kind(options: UpOptions, ctx: Context | None, had_first_run: bool) -> str:
    """first, resync, noop or refresh (the report's run_kind; see report.model)."""
    ran = ctx.ran if ctx is not None else []
    if "first-run" in ran and not had_first_run:
        return "first"  # --refresh or not: nothing had run here before
    if options.refresh:
        return "refresh"
    # Steps that change the environment (ensure-uv and python look every time).
    if {"import-cache", "sync", "first-run"} & set(ran):
        return "resync"
    if ctx is None:  # stopped before any step: planning failed
        return "resync" if had_first_run else "first"
    return "noop"


def _next_commands(ctx: Any, plan: Plan) -> list[str]:
    """Write the `bootstrap` launcher next to the pinned uv; the closing commands."""
    if ctx.uv is None:
        return []
    from bootstrap.launcher import next_commands, write_launcher

    uv = Path(os.environ.get("BOOTSTRAP_UV") or ctx.uv)
    return next_commands(
        project=ctx.project,
        venv=ctx.venv,
        uv=uv,
        launcher=write_launcher(uv.parent),
        first_run=plan.first_run,
        uv_project=plan.lock.kind == "uv",
    )


def _record_container(state: RunState, plan: Plan, options: UpOptions) -> None:
    """A devcontainer that came up and ran its first run: a re-run with the same inputs
    is a no-op while the container runs (the other handoffs check their target each
    time, since a remote box can change behind our back)."""
    from bootstrap.plan import specs

    up = plan.step(specs.ContainerUp)
    config = plan.step(specs.DevcontainerConfig)
    if up is None or config is None:
        return
    files = [Path(config.workspace) / config.path]
    if plan.profile_path:
        files.append(Path(plan.profile_path))
    files.append(Path(plan.project) / plan.lock.path)
    inputs = _noop_inputs(files, options)
    inputs["container"] = {"engine": up.engine, "workspace": up.workspace}
    state.record_success(inputs)


def _container_up(container: dict[str, str] | None) -> bool:
    if container is None:
        return True
    from bootstrap.transports.devcontainer_cli import workspace_container_running

    return workspace_container_running(container["engine"], container["workspace"])


def _preload() -> None:
    """What planning imports, loaded while detection's probes wait on their commands
    (`podman version`, `docker version`): ~40 ms that would otherwise come after."""
    import bootstrap.plan.planner
    import bootstrap.profiles
    import bootstrap.strategies  # noqa: F401


def _plan(options: UpOptions, facts: HostFacts) -> tuple[Any, Plan]:
    """Load the profile and make the plan, exactly as `bootstrap plan` does."""
    from bootstrap.request import PlanRequest, make

    return make(PlanRequest.of(options), facts, fetch_project=not options.dry_run)


def _profile_label(options: UpOptions) -> str:
    name, project = profile_request(options)
    return name or Path(project or ".").resolve().name


def _write_report_out(path: Path, data: dict[str, Any]) -> None:
    import json

    from bootstrap.paths import atomic_write

    with contextlib.suppress(OSError):
        atomic_write(path, json.dumps(data, indent=1, sort_keys=True).encode())


def _salt(config: Any, paths: Paths) -> str:
    from bootstrap.report.model import resolve_salt

    return resolve_salt(config.salt, paths)


def _host_summary(facts: HostFacts, salt: str) -> dict[str, Any]:
    from bootstrap.report.model import host_summary

    return host_summary(facts, salt)


def _deliver(paths: Paths, config: Any, report: TimingReport) -> dict[str, Any]:
    from bootstrap.report.delivery import record

    delivery = record(paths, report, config, budget_seconds=METRICS_BUDGET)
    return {
        "delivered": list(delivery.delivered),
        "spooled": list(delivery.spooled),
        "errors": list(delivery.errors),
    }


def _metrics_config(profile: Any) -> Any:
    from bootstrap.report.config import MetricsConfig

    return MetricsConfig.from_settings(getattr(profile, "metrics", None)).with_env()


def _flush_spool(paths: Paths, profile: Any) -> list[str]:
    """Earlier runs' spooled reports go first, within a small budget; never fatal.
    Returns the warnings to show (entries dropped to keep the spool under its cap)."""
    if not paths.spool.exists():
        return []
    from bootstrap.report.delivery import flush

    with contextlib.suppress(BootstrapError, OSError):
        return flush(paths, _metrics_config(profile), budget_seconds=FLUSH_BUDGET).warnings
    return []


def _report(
    paths: Paths,
    *,
    profile: Any,
    plan: Plan,
    facts: HostFacts,
    ctx: Context | None,
    phases: dict[str, float],
    total: float,
    start_origin: str,
    error: BootstrapError | None,
    target: str | None = None,
    run_kind: str = "first",
    attempt: int = 1,
    first_attempt: float | None = None,
) -> tuple[TimingReport, dict[str, Any]]:
    from bootstrap.report.delivery import record
    from bootstrap.report.model import host_summary, lock_hash_of, new_report, resolve_salt
    from bootstrap.report.spool import take_dropped

    config = _metrics_config(profile)
    report = new_report(
        profile=plan.profile,
        host=host_summary(facts, resolve_salt(config.salt, paths)),
        phases=phases,
        total_seconds=total,
        error=error,
        target=target or plan.target,
        strategy=plan.strategy,
        uv_version=ctx.uv_version if ctx else None,
        total_from=start_origin,
        offline=not (ctx.network_used if ctx else False),
        network_used=ctx.network_used if ctx else False,
        cache_hit=bool(ctx.cache_hit) if ctx else False,
        bundle_used=ctx.bundle_used if ctx else False,
        budget_seconds=plan.budget_seconds,
        run_kind=run_kind,
        first_run_ran=ctx is not None and "first-run" in ctx.ran,
        spool_dropped=take_dropped(paths),
        lock_hash=lock_hash_of(Path(plan.project) / plan.lock.path) if plan.project else None,
        attempts=attempt,
        since_first_attempt_seconds=(
            time.time() - first_attempt if attempt > 1 and first_attempt is not None else None
        ),
    )
    delivery = record(paths, report, config, budget_seconds=METRICS_BUDGET)
    return report, {
        "delivered": list(delivery.delivered),
        "spooled": list(delivery.spooled),
        "errors": list(delivery.errors),
        "warnings": list(delivery.warnings),
    }


_KIND_WORDS = {
    "resync": "re-synced (the first run succeeded before with this environment)",
    "noop": "checked, nothing to do",
    "refresh": "refreshed (not a first run)",
    "first": "first run",
}


def summary_lines(result: UpResult) -> list[str]:
    """The closing summary: what was set up, the total time, what to do next."""

    report = result.report or {}
    plan = result.plan or {}
    lines = [""]
    total = report.get("total_seconds")
    lock = plan.get("lock", {})
    variant = LockChoice.from_dict(lock).selection_text()
    lines.append(
        f"ready: profile {plan.get('profile')} ({plan.get('target')}, {plan.get('strategy')}), "
        f"lock {lock.get('path')}{' ' + variant if variant else ''}"
    )
    if total is not None:
        budget = report.get("budget_seconds")
        over = " -- over the profile's budget" if report.get("over_budget") else ""
        if report.get("time_to_first_run_seconds") is not None:
            lines.append(
                f"time to first successful run: {total:.2f}s"
                + (f" (budget {budget:g}s){over}" if budget else "")
            )
        else:
            # Not a time to first run: the environment had one before (or --refresh).
            lines.append(f"{_KIND_WORDS.get(report.get('run_kind', ''), 'run')}: {total:.2f}s")
        phases = report.get("phases", {})
        lines.append(
            "  "
            + "  ".join(f"{k} {v:.2f}s" for k, v in phases.items() if isinstance(v, (int, float)))
        )
    source = "network used" if report.get("network_used") else "offline from the cache"
    lines.append(f"  {source}" + (", cache bundle" if report.get("bundle_used") else ""))
    for note in result.notes:
        lines.append(f"  note: {note}")
    delivery = result.delivery or {}
    if delivery.get("spooled"):
        # Say what happened (no answer, HTTP 500, a refused token), not "unreachable"
        # for every failure: a sink that answered 500 was reached.
        why = "; ".join(delivery.get("errors") or []) or "no answer"
        lines.append(
            f"  metrics: not delivered to {', '.join(delivery['spooled'])} ({why}); spooled "
            "for `bootstrap report flush`"
        )
    for warning in delivery.get("warnings", []):
        lines.append(f"  warning: {warning}")
    project = plan.get("project")
    preflight = next(
        (s for s in plan.get("steps", []) if s.get("name") in ("preflight", "container-up")), None
    )
    there: list[str] = []
    if preflight:
        from bootstrap.strategies import REGISTRY

        strategy = REGISTRY.get(str(plan.get("strategy")))
        there = strategy.next_steps(preflight) if strategy is not None else []
    if there:
        lines += there
    elif result.next:
        lines += result.next
    else:
        lines.append(f"next: cd {project} && uv run <command>   (history: bootstrap report show)")
    return lines


__all__ = ["UpOptions", "UpResult", "summary_lines", "up"]
