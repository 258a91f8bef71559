"""The run of a plan: one function runs it for one target and hands back one outcome.

A target is this machine (a strategy that runs here) or one host of a handoff (one that
runs elsewhere, reached through the strategy's transport). :func:`run_target` builds the
step context, runs the plan's steps, turns how they ended into an
:class:`~bootstrap.steps.outcome.Outcome` and finishes it with the plan's Report step
(bootstrap.steps.finish: history, spool, sinks). :func:`run_plan` runs every target of
the plan (a handoff's hosts one after another, or in parallel when the plan says so).
What is the caller's stays the caller's: the profile (a handoff re-plans from the box's
facts through the ``replan`` callback it is given), the command line and the record of
the last success (bootstrap.app).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap.errors import BootstrapError, ConfigError, UserError
from bootstrap.plan import specs
from bootstrap.steps import Context, executor_for, run_steps
from bootstrap.steps.outcome import Outcome, Start, run_kind

if TYPE_CHECKING:
    from bootstrap.console import StepView
    from bootstrap.host.facts import HostFacts
    from bootstrap.paths import Paths
    from bootstrap.plan.model import Plan
    from bootstrap.plan.strategy import Strategy
    from bootstrap.steps.finish import ReportStep
    from bootstrap.steps.handoff import Target
    from bootstrap.steps.state import RunState
    from bootstrap.timing import Timer


@dataclass(frozen=True)
class RunSettings:
    """How to run a plan: what every target of the run shares."""

    paths: Paths
    view: StepView
    timer: Timer  # the run's clock so far (stage 0, detection, planning)
    state: RunState  # the run's record on this machine (a handoff's hosts keep their own)
    start: Start
    strategy: Strategy  # the plan's, from the registry: its transport for a handoff
    dry_run: bool = False
    refresh: bool = False  # check every step again, and run the first run again
    # The plan made again from a handoff target's own facts (the profile is the caller's).
    replan: Callable[[HostFacts], Plan] | None = None
    attempt: int = 1  # this run's number among the attempts since the last success
    first_attempt: float | None = None  # and when the first of them started


def run_plan(plan: Plan, facts: HostFacts, run: RunSettings) -> list[Outcome]:
    """Run ``plan`` on each of its targets, each outcome finished (a dry run's not). A
    plan that cannot start (no first run to time, a handoff with no host or a stage 0
    it cannot run) is one outcome here, failed and recorded, before any step."""
    try:
        if not plan.first_run and not run.dry_run:
            # Planned for display (`bootstrap plan`), but `up` exists to time a first run.
            raise ConfigError(
                f"profile {plan.profile!r} has no [first_run] command: nothing to time",
                fix='add [first_run] command = "..." to the profile',
                code="profile.no_first_run",
            )
        hosts: tuple[str | None, ...] = (None,) if run.strategy.runs_here else _handoff_hosts(plan)
    except BootstrapError as exc:
        return [_stopped(plan, facts, exc, run)]
    if len(hosts) > 1 and _preflight(plan).parallel:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
            return list(pool.map(lambda host: run_target(plan, facts, host, run), hosts))
    return [run_target(plan, facts, host, run) for host in hosts]


def _stopped(
    plan: Plan, facts: HostFacts, error: BootstrapError, run: RunSettings, host: str | None = None
) -> Outcome:
    """A run (or a handoff's host) that stopped before its first step, recorded as such."""
    had = _had_first_run(run.state)
    kind = run_kind([], refresh=run.refresh, had_first_run=had, stepped=False)
    phases = dict(run.timer.phases)
    return _finish(Outcome(plan, facts, phases, run.start, error, host=host, run_kind=kind), run)


def run_target(plan: Plan, facts: HostFacts, host: str | None, run: RunSettings) -> Outcome:
    """Run ``plan``'s steps for one target -- here (``host`` None) or on ``host``, one of
    the handoff's -- and finish the run from how they ended. Never raises for a step's
    failure: the outcome carries it, recorded."""
    if host is None:
        return _here(plan, facts, run)
    return _there(plan, facts, host, run)


def _here(plan: Plan, facts: HostFacts, run: RunSettings) -> Outcome:
    if run.dry_run:
        for step in plan.steps:
            run.view.note(f"would {step.name}: {step.describe()}")
        return Outcome(plan, facts, {}, run.start, dry_run=True)
    had_first_run = _had_first_run(run.state)
    _system_certs(plan, run.view)
    ctx = _context(plan, facts, run, timer=run.timer, state=run.state)
    error: BootstrapError | None = None
    try:
        run_steps(ctx)
        with run.timer.phase("sync"):
            _mark_synced(ctx)
    except BootstrapError as exc:
        error = exc
    outcome = Outcome(
        plan,
        facts,
        dict(run.timer.phases),
        run.start,
        error,
        run_kind=run_kind(ctx.ran, refresh=run.refresh, had_first_run=had_first_run, stepped=True),
        uv_version=ctx.uv_version,
        network_used=ctx.network_used,
        cache_hit=bool(ctx.cache_hit),
        bundle_used=ctx.bundle_used,
        first_run_ran="first-run" in ctx.ran,
        attempt=run.attempt,
        first_attempt=run.first_attempt,
        ctx=ctx,
    )
    return _finish(outcome, run)


def _there(plan: Plan, facts: HostFacts, host: str, run: RunSettings) -> Outcome:
    from bootstrap.steps.handoff import STAGE, Target
    from bootstrap.steps.state import RunState, fingerprint
    from bootstrap.timing import Timer

    preflight = _preflight(plan)
    view = run.view
    dry_run = (lambda line: view.note(f"would run: {line}")) if run.dry_run else None
    try:
        link = run.strategy.transport(host, preflight, dry_run=dry_run)
        if link is None:
            raise UserError(
                f"strategy {plan.strategy!r} runs elsewhere but has no transport",
                code="steps.no_transport",
            )
    except BootstrapError as exc:
        return _stopped(plan, facts, exc, run, host)
    target = Target(host, link, preflight.directory)
    state = RunState.load(run.paths, "remote-" + fingerprint(host, preflight.directory)[:16])
    timer = Timer()
    ctx = _context(plan, facts, run, timer=timer, state=state)
    ctx.handoff.update(target=target, started=run.start.at, repo=str(_repo(plan)))
    error: BootstrapError | None = None
    try:
        run_steps(ctx)
    except BootstrapError as exc:
        error = exc
    finally:
        with contextlib.suppress(BootstrapError):
            if not run.dry_run and target.probe:
                # The staged bundle and report are not needed after the run, also after
                # a failure; the repository stays (the user works there).
                link.run(f"rm -rf {target.dir_word}/{STAGE}", timeout=30)
        link.close()
    if run.dry_run:
        return Outcome(plan, facts, {}, run.start, host=host, target=plan.target, dry_run=True)
    if error is None and target.bundle_sha:
        state.record(f"bundle:{host}", "done", "", sha256=target.bundle_sha)
    return _finish(
        _handed_back(plan, facts, target, error, run=run, handoff_phases=timer.phases), run
    )


def _handed_back(
    plan: Plan,
    facts: HostFacts,
    target: Target,
    error: BootstrapError | None,
    *,
    run: RunSettings,
    handoff_phases: dict[str, float],
) -> Outcome:
    """The outcome of a host: this machine's phases, the handoff's and the target's own
    (from the report it handed back, checked by the collect-report step)."""
    from bootstrap.report.model import PHASES
    from bootstrap.steps.handoff import TargetFailed

    there = target.report or {}
    if error is None and target.exit_code not in (0, None):
        error = TargetFailed(
            f"{target.name}: stage 0 there exited {target.exit_code}"
            + (f" ({there.get('error_code')})" if there.get("error_code") else ""),
            exit_code=int(target.exit_code or 1),
            code=str(there.get("error_code") or "remote.failed"),
        )
    phases = dict(run.timer.phases)
    phases["handoff"] = handoff_phases.get("handoff", 0.0)
    if "container" in handoff_phases:  # a devcontainer's image and create (or reuse)
        phases["container"] = handoff_phases["container"]
    for name, value in (there.get("phases") or {}).items():
        if isinstance(value, (int, float)) and name not in ("handoff", "container"):
            phases[name] = round(phases.get(name, 0.0) + float(value), 4)
    return Outcome(
        plan,
        target.facts or facts,
        {p: phases[p] for p in PHASES if p in phases},
        run.start,
        error,
        host=target.name,
        target=there.get("target") or target.target_key,
        run_kind=str(there.get("run_kind") or "first"),
        uv_version=there.get("uv_version"),
        network_used=bool(there.get("network_used", False)),
        cache_hit=bool(there.get("cache_hit", False)),
        bundle_used=bool(there.get("bundle_used", False)) or bool(target.bundle_sha),
        first_run_ran=bool(there.get("first_run_ran", False)),
        sent_files=target.sent,
    )


def _finish(outcome: Outcome, run: RunSettings) -> Outcome:
    """Run the plan's Report step on ``outcome``: the report, into the history and the
    sinks. A plan without one (made by hand, in a test) is not recorded."""
    spec = outcome.plan.step(specs.Report)
    if spec is None:
        return outcome
    step: ReportStep = executor_for(specs.Report)  # type: ignore[assignment]
    return dataclasses.replace(outcome, finished=step.finish(spec, outcome, run.paths))


def _context(
    plan: Plan, facts: HostFacts, run: RunSettings, *, timer: Timer, state: RunState
) -> Context:
    return Context(
        paths=run.paths,
        plan=plan,
        facts=facts,
        view=run.view,
        timer=timer,
        state=state,
        refresh=run.refresh,
        replan=run.replan,
    )


def _had_first_run(state: RunState) -> bool:
    """Whether this environment had a successful first run before: a first run on an
    environment that had one is a re-sync, not a first run."""
    return state.steps.get("first-run", {}).get("status") == "done"


def _preflight(plan: Plan) -> specs.Preflight:
    preflight = plan.step(specs.Preflight)
    if preflight is None:  # pragma: no cover - the planner gives every handoff one
        raise UserError("a handoff plan without a preflight step", code="steps.no_preflight")
    return preflight


def _repo(plan: Plan) -> Path:
    """What the target runs: the repository sent, or the one a container mounts."""
    transfer = plan.step(specs.Transfer)
    return Path(transfer.repo) if transfer is not None else Path(specs.__file__).parents[2]


def _handoff_hosts(plan: Plan) -> tuple[str, ...]:
    """The plan's hosts, after the checks that hold for them all."""
    from bootstrap.steps.handoff import check_stage0_script

    preflight = _preflight(plan)
    if not preflight.hosts:
        raise UserError(
            "no remote host: set [strategies.remote] hosts or give --remote [user@]host[:port]",
            code="remote.no_host",
        )
    transfer = plan.step(specs.Transfer)
    # What the target runs: the repository sent, or the workspace a container mounts.
    check_stage0_script(
        Path(transfer.repo)
        if transfer is not None
        else Path(getattr(preflight, "workspace", "") or _repo(plan))
    )
    return preflight.hosts


def _mark_synced(ctx: Context) -> None:
    """Every step passed, so uv has confirmed the environment matches the lock (it synced
    it, or its check found it so): an environment from an older version of this tool
    gets the synced marker the no-op shortcut needs."""
    from bootstrap.sync import mark_synced

    spec = ctx.plan.step(specs.Sync)
    if spec is not None:
        mark_synced(ctx.venv, spec.lock)


def _system_certs(plan: Plan, view: StepView) -> None:
    """The profile asks uv to trust the system's certificate store: every uv call of
    this run gets UV_SYSTEM_CERTS=1 (the Context copies this environment), said once."""
    from bootstrap import tls

    spec = plan.step(specs.EnsureUv)
    if spec is None or not spec.system_certs or tls.enabled(os.environ):
        return
    tls.enable(os.environ)
    view.note(tls.note("the profile sets [sync] system_certs = true"))


__all__ = ["RunSettings", "run_plan", "run_target"]
