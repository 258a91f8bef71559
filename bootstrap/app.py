"""`bootstrap up`: detect -> plan -> run the plan (here or a handoff) -> the record.

This module wires the layers together and owns nothing else: detection lives in
``host``, decisions in ``plan``, the run of a plan and its finishing (the report, the
history, the sinks) in ``steps`` (``steps.run``, ``steps.finish``), timing reports in
``report``. What stays here is what only `up` knows: the command line, the profile
(handed to the run as the ``replan`` callback), the no-op shortcut and the run's record.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.console import StepView
from bootstrap.errors import BootstrapError
from bootstrap.lockchoice import LockChoice
from bootstrap.paths import Paths
from bootstrap.request import profile_request
from bootstrap.steps.lock import RunLock
from bootstrap.steps.outcome import HostResult, Outcome, Start, UpResult
from bootstrap.steps.state import RunState, file_digest, fingerprint, installed_signature, selection
from bootstrap.timing import Timer, stage0_phases, stage0_start

if TYPE_CHECKING:
    from bootstrap.host.facts import HostFacts
    from bootstrap.plan.model import Plan
    from bootstrap.plan.strategy import Strategy
    from bootstrap.report.config import MetricsConfig
    from bootstrap.steps import Context


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
    start = Start(*stage0_start())

    def on_wait() -> None:
        view.note("another `bootstrap up` is running; waiting for it to finish...")

    with RunLock(paths.run_lock(_state_key(options)), wait_seconds=options.wait_seconds,
                 on_wait=on_wait):  # fmt: skip
        state = _load_state(paths, options)
        noop_next = _noop_next(state, options, paths)
        if noop_next is not None:
            _say_up_to_date(options, view, state)
            report = _noop_report(paths, state, options, start)
            return UpResult(0, noop=True, next=noop_next, report=report)
        return _run(options, view=view, paths=paths, state=state, start=start)


def _noop_next(state: RunState, options: UpOptions, paths: Paths) -> list[str] | None:
    """The fast no-op: a recorded success whose inputs (files, host signature, overrides)
    are all unchanged -- the environment's synced marker is one of the files -- and, for
    a devcontainer, whose container still runs. Returns the closing commands to print
    again, or None when there is work to do."""
    done = state.success
    if not done or options.refresh or options.dry_run:
        return None
    if not isinstance(done.get("report"), dict):
        # A record from an older version, which cannot say what the no-op reports: the
        # full run checks every step (and finds them done) and records a report.
        return None
    if options.cache_bundle:
        from bootstrap.cache.use import imported_before

        if not imported_before(options.cache_bundle, paths):
            return None
    inputs = dict(done["inputs"])
    settled = inputs.pop("settled", None)
    container = inputs.pop("container", None)  # a devcontainer's, as older records say it
    if settled is None and isinstance(container, dict):
        settled = {"strategy": "devcontainer", **container}
    # What the environment here held (bootstrap.steps.state.installed_signature): the
    # marker alone says a sync finished, not that its files are still there. A record
    # without it (from an older version) is no no-op. A handoff's environment is on its
    # target: its record carries what the strategy checks instead (Strategy.settled).
    dists = inputs.pop("dists", None)
    if settled is None and not (isinstance(dists, dict) and _dists_unchanged(dists)):
        return None
    files = [Path(p) for p in inputs["files"]]
    if inputs == _noop_inputs(files, options) and _still_up(settled):
        return list(done.get("next", []))
    return None


def _still_up(settled: dict[str, str] | None) -> bool:
    """Whether the target a handoff's no-op rests on is still up (its strategy says)."""
    if settled is None:
        return True
    from bootstrap.strategies import REGISTRY

    marker = dict(settled)
    strategy = REGISTRY.get(marker.pop("strategy", ""))
    return strategy is not None and strategy.still_up(marker)


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


def quick_noop(profile: str | None, *, online: bool = False, as_json: bool = False) -> bool:
    """`bootstrap up [--profile NAME] [--online] [--json]` answered before the CLI is
    imported: True (and "up to date" and the closing commands said, or with ``as_json``
    the no-op's report printed, as the full command prints it) when it is the no-op;
    False for anything else -- another run holds the lock, or there is work to do -- and
    the full command then runs as usual."""
    from bootstrap.console import line, print_json
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
    _say_up_to_date(options, StepView(quiet=as_json), state)
    report = _noop_report(paths, state, options, Start(*stage0_start()))
    if as_json:
        print_json(UpResult(0, noop=True, next=noop_next, report=report).json())
        return True
    for text in noop_next:
        line(text)
    return True


def _noop_report(
    paths: Paths, state: RunState, options: UpOptions, start: Start
) -> dict[str, Any] | None:
    """Record the no-op (bootstrap.steps.finish.finish_noop) from what the last success
    recorded; None for a record too old to say it."""
    basis = (state.success or {}).get("report")
    if not isinstance(basis, dict) or options.dry_run:
        return None
    from bootstrap.report.config import SINKS_VAR
    from bootstrap.steps.finish import finish_noop

    # Nothing to send (the last success recorded that the profile, whose file has not
    # changed since, has no sink; none in the environment either): the history is all,
    # and neither the profile nor the sinks need loading (a third of the no-op's time).
    metrics: MetricsConfig | None = None
    if basis.get("sinks") != 0 or os.environ.get(SINKS_VAR):
        metrics = _profile_metrics(options)
    return finish_noop(paths, basis, start, metrics)


def _profile_metrics(options: UpOptions) -> MetricsConfig:
    """The profile's ``[metrics]`` (its defaults when the profile does not load: the
    no-op reports what it can)."""
    from bootstrap.report.config import MetricsConfig

    profile: Any = None
    with contextlib.suppress(BootstrapError, OSError):
        from bootstrap.profiles import load_profile

        name, project = profile_request(options)
        profile = load_profile(name, project=project)
    with contextlib.suppress(BootstrapError):
        return MetricsConfig.from_settings(getattr(profile, "metrics", None))
    return MetricsConfig()


def _run(
    options: UpOptions, *, view: StepView, paths: Paths, state: RunState, start: Start
) -> UpResult:
    """Detect, plan, run the plan on its targets (bootstrap.steps.run), and say it."""
    from bootstrap import STARTED_AT
    from bootstrap.plan.specs import Report
    from bootstrap.steps.finish import flush_spool
    from bootstrap.steps.run import RunSettings, run_plan
    from bootstrap.strategies import REGISTRY

    if not options.dry_run and state.success is not None:
        # Whatever this run does, the last success no longer vouches for the
        # environment until this run succeeds: an interrupted run is never a no-op.
        # (Saved by begin_attempt, next: one write, not two.)
        state.success = None
    attempt, first_attempt = (1, start.at) if options.dry_run else state.begin_attempt(start.at)
    timer = Timer()
    timer.phases.update(stage0_phases(start.at, start.origin, STARTED_AT, time.time()))
    with timer.phase("detect"):
        from bootstrap.host import detect, replay

        facts = replay(Path(options.replay)) if options.replay else detect(meanwhile=_preload)
    with timer.phase("plan"):
        profile, plan = _plan(options, facts)
    for warning in plan.warnings:
        view.note(f"warning: {warning}")
    with timer.phase("report"):
        for warning in flush_spool(paths, plan.step(Report)):
            view.note(f"warning: {warning}")
    strategy = REGISTRY[plan.strategy]
    run = RunSettings(
        paths,
        view,
        timer,
        state,
        start,
        strategy,
        dry_run=options.dry_run,
        refresh=options.refresh,
        replan=_replanner(profile),
        attempt=attempt,
        first_attempt=first_attempt,
    )
    outcomes = run_plan(plan, facts, run)
    if outcomes[0].host is None:
        return _here(outcomes[0], options, state)
    return _handed_over(outcomes, options, state, strategy, view)


def _replanner(profile: Any) -> Callable[[HostFacts], Plan]:
    """The plan made again from a handoff target's own facts, as it runs there (native):
    the variant that box gets. The profile is the one this run loaded."""

    def replan(facts: HostFacts) -> Plan:
        from bootstrap.plan.planner import Overrides, make_plan
        from bootstrap.strategies import REGISTRY

        return make_plan(facts, profile, Overrides(strategy="native"), strategies=REGISTRY)

    return replan


def _here(outcome: Outcome, options: UpOptions, state: RunState) -> UpResult:
    """The result of a run here (or of a run stopped before it reached a target): the
    run's record updated, so that the same inputs are a no-op next time."""
    plan = outcome.plan
    if outcome.dry_run:
        return UpResult(0, plan=plan.to_dict())
    finished = outcome.finished
    report = finished.report.to_dict() if finished is not None else None
    if options.report_out and report is not None:
        _write_report_out(Path(options.report_out), report)
    if outcome.error is not None:
        outcome.error.json_result = report
        raise outcome.error
    ctx = outcome.ctx
    assert ctx is not None and report is not None  # noqa: S101 - a run here that succeeded
    commands = _next_commands(ctx, plan)  # recorded with the success: the no-op prints them
    state.record_success(
        {
            **_noop_inputs(ctx.input_files(), options),
            "dists": {"venv": str(ctx.venv), "signature": installed_signature(ctx.venv)},
        },
        report=_noop_basis(report, plan),
        selection=selection(plan, ctx.project, ctx.venv, ctx.uv),
        next_commands=commands,
    )
    return UpResult(
        0,
        report=report,
        plan=plan.to_dict(),
        notes=ctx.notes,
        delivery=finished.delivery if finished is not None else None,
        next=commands,
    )


def _noop_basis(report: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """What the no-op re-run reports from (bootstrap.steps.finish.finish_noop): this
    success's profile, target, strategy, hashed host summary..."""
    from bootstrap.plan.specs import Report

    spec = plan.step(Report)
    basis = ("profile", "target", "strategy", "host", "uv_version", "budget_seconds")
    return {
        **{k: report[k] for k in basis},
        # Whether the profile sends anywhere: a no-op of this same profile (its file
        # unchanged, or it would not be one) then records without loading it again.
        "sinks": spec.sinks if spec is not None else 0,
    }


def _handed_over(
    outcomes: list[Outcome],
    options: UpOptions,
    state: RunState,
    strategy: Strategy,
    view: StepView,
) -> UpResult:
    """The result of a handoff: one per host, each with its report; the first failure's
    exit code. One host that failed: its error, already recorded."""
    plan, first = outcomes[0].plan, outcomes[0]
    failed = [o for o in outcomes if o.error is not None]
    if len(outcomes) > 1:
        view.note(
            f"{len(outcomes) - len(failed)} of {len(outcomes)} hosts ready"
            + "".join(f"\n  {o.host}: exit {o.exit_code}: {o.error}" for o in failed)
        )
    report = first.finished.report.to_dict() if first.finished is not None else None
    result = UpResult(
        failed[0].exit_code if failed else 0,
        report=report,
        plan=plan.to_dict(),
        hosts=[_host_result(o).to_dict() for o in outcomes],
    )
    if len(outcomes) == 1 and first.error is not None:
        from bootstrap.steps.handoff import TargetFailed

        err = first.error
        failure = TargetFailed(err.message, exit_code=err.exit_code, code=err.code, fix=err.fix)
        failure.json_result = result.json()
        raise failure
    if not failed and not options.dry_run:
        _record_settled(state, plan, options, strategy, report)
        state.attempts = None
        state.save()
    return result


def _host_result(outcome: Outcome) -> HostResult:
    report = outcome.finished.report if outcome.finished is not None else None
    error = outcome.error
    return HostResult(
        host=outcome.host or "",
        exit_code=outcome.exit_code,
        report_id=report.report_id if report is not None else None,
        total_seconds=report.total_seconds if report is not None else None,
        target=report.target if report is not None else outcome.plan.target,
        error=error.message if error is not None else None,
        sent_files=outcome.sent_files,
        code=error.code if error is not None else None,
        fix=error.fix if error is not None else None,
        report=report.to_dict() if report is not None else None,
    )


def _next_commands(ctx: Context, plan: Plan) -> list[str]:
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


def _record_settled(
    state: RunState,
    plan: Plan,
    options: UpOptions,
    strategy: Strategy,
    report: dict[str, Any] | None,
) -> None:
    """A handoff whose strategy can tell its target is still up (a devcontainer: its
    container runs): a re-run with the same inputs is a no-op while it is. The other
    handoffs check their target each time, since a remote box can change behind our
    back."""
    settled = strategy.settled(plan)
    if settled is None or report is None:
        return
    inputs = _noop_inputs([Path(f) for f in settled.files], options)
    inputs["settled"] = {"strategy": strategy.name, **dict(settled.marker)}
    state.record_success(inputs, report=_noop_basis(report, plan))


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
    # A handoff's preflight step (remote, wsl2, or a devcontainer's container-up): the
    # step that names the hosts. Its strategy says how to get to the environment.
    preflight = next((s for s in plan.get("steps", []) if "hosts" in s), None)
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
