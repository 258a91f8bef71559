"""Finishing a run: the timing report from the run's outcome, into the history, the
spool and the sinks.

The plan's last step, :class:`bootstrap.plan.specs.Report`, carries the profile's
``[metrics]`` as the plan resolved them; its executor, :class:`ReportStep`, runs after
the other steps whatever their outcome (the orchestrator, bootstrap.steps.run, hands it
the :class:`~bootstrap.steps.outcome.Outcome`). The sinks the environment adds
(BOOTSTRAP_METRICS_SINKS) and the opt-outs are read here, when the run finishes. A no-op
(nothing planned, nothing run) is recorded here too, from what the last success
recorded. Delivery never fails a run: a sink that does not answer gets the report
spooled for the next run (:func:`flush_spool`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import BootstrapError

if TYPE_CHECKING:
    from bootstrap.paths import Paths
    from bootstrap.plan.model import Plan
    from bootstrap.plan.specs import Report, StepSpec
    from bootstrap.report.config import MetricsConfig
    from bootstrap.report.model import TimingReport
    from bootstrap.steps import Context
    from bootstrap.steps.outcome import Outcome, Start

METRICS_BUDGET = 2.0  # onboarding never waits longer than this on metrics
FLUSH_BUDGET = 1.0  # nor on re-sending earlier runs' spooled reports

# The fields of an Outcome that the report takes as they are (bootstrap.report.model).
REPORTED = (
    "phases",
    "error",
    "uv_version",
    "network_used",
    "cache_hit",
    "bundle_used",
    "run_kind",
    "first_run_ran",
)


@dataclass(frozen=True)
class Finished:
    """A finished run: its report, and where the report went."""

    report: TimingReport
    delivery: dict[str, Any]


def metrics_config(spec: Report | None) -> MetricsConfig:
    """The sinks a run sends to: the plan's (the profile's ``[metrics]``) and the
    environment's. A bad sink in BOOTSTRAP_METRICS_SINKS raises a ConfigError."""
    from bootstrap.report.config import MetricsConfig

    base = spec.metrics if spec is not None and spec.metrics is not None else MetricsConfig()
    return base.with_env()


def flush_spool(paths: Paths, spec: Report | None) -> list[str]:
    """Earlier runs' spooled reports go first, within a small budget; never fatal.
    Returns the warnings to show (entries dropped to keep the spool under its cap)."""
    if not paths.spool.exists():
        return []
    from bootstrap.report.delivery import flush

    with contextlib.suppress(BootstrapError, OSError):
        return flush(paths, metrics_config(spec), budget_seconds=FLUSH_BUDGET).warnings
    return []


class ReportStep:
    """The executor of the plan's Report step. It never runs among the other steps
    (``after_steps``: :func:`bootstrap.steps.run_steps` passes over it); the
    orchestrator runs :meth:`finish` last, with the run's outcome, also after a failure."""

    phase = "report"
    after_steps = True

    def fingerprint(self, spec: StepSpec, ctx: Context) -> str:
        return "every-run"

    def check(self, spec: StepSpec, ctx: Context) -> str | None:
        return None  # every run is reported, a no-op included

    def run(self, spec: Report, ctx: Context) -> str:
        # A report is made from how the run ended, which a step among the others cannot
        # know: reaching this is a caller's bug, said as such (never a silent skip).
        raise BootstrapError(
            "the report step runs after the others, from the run's outcome "
            "(bootstrap.steps.run), not among them",
            code="steps.report_order",
        )

    def finish(self, spec: Report, outcome: Outcome, paths: Paths) -> Finished:
        """Make the report of ``outcome`` and record it (history, then the sinks)."""
        from bootstrap.report.delivery import record
        from bootstrap.report.model import host_summary, lock_hash_of, resolve_salt
        from bootstrap.report.spool import take_dropped

        config = metrics_config(spec)
        plan = outcome.plan
        since = outcome.first_attempt if outcome.attempt > 1 else None
        report = _report(
            outcome.start,
            outcome.ended,
            profile=plan.profile,
            host=host_summary(outcome.facts, resolve_salt(config.salt, paths)),
            target=outcome.target or plan.target,
            strategy=plan.strategy,
            offline=not outcome.network_used,
            budget_seconds=plan.budget_seconds,
            # The spool is this machine's: a handoff's hosts do not take its count.
            spool_dropped=take_dropped(paths) if outcome.host is None else 0,
            # The lock this host has (and sent): hashed here, not taken from a target.
            lock_hash=lock_hash_of(_lock_path(plan)) if plan.project else None,
            attempts=outcome.attempt,
            since_first_attempt_seconds=None if since is None else time.time() - since,
            # What the run says of itself, under the report's own names.
            **{name: getattr(outcome, name) for name in REPORTED},
        )
        delivery = record(paths, report, config, budget_seconds=METRICS_BUDGET)
        return Finished(
            report,
            {
                "delivered": list(delivery.delivered),
                "spooled": list(delivery.spooled),
                "errors": list(delivery.errors),
                "warnings": list(delivery.warnings),
            },
        )


def _lock_path(plan: Plan) -> Path:
    return Path(plan.project) / plan.lock.path


def finish_noop(
    paths: Paths, basis: dict[str, Any], start: Start, metrics: MetricsConfig | None
) -> dict[str, Any]:
    """Record a no-op like any other run (``run_kind: noop``, never a time to first
    run), from what the last success recorded about the machine (``basis``): a no-op
    detects nothing. Its whole time after stage 0 is the process's start-up and the
    check. ``metrics`` None: the profile sends nowhere and the environment adds no sink,
    so the history is all (and the sinks are not loaded)."""
    from bootstrap import STARTED_AT
    from bootstrap.timing import stage0_phases

    now = time.time()
    report = _report(
        start,
        now,
        profile=str(basis.get("profile", "")),
        host=basis.get("host") or {},
        phases=stage0_phases(start.at, start.origin, STARTED_AT, now),
        target=basis.get("target"),
        strategy=basis.get("strategy"),
        uv_version=basis.get("uv_version"),
        offline=True,
        cache_hit=True,
        budget_seconds=basis.get("budget_seconds"),
        run_kind="noop",
    )
    if metrics is None:
        from bootstrap.report import history

        with contextlib.suppress(BootstrapError, OSError):
            history.append(paths, report)
        return report.to_dict()
    from bootstrap.report.delivery import record

    with contextlib.suppress(BootstrapError, OSError):
        record(paths, report, metrics.with_env(), budget_seconds=METRICS_BUDGET)
    return report.to_dict()


def _report(start: Start, ended: float, **fields: Any) -> TimingReport:
    """The report of a run that started at ``start`` and ended at ``ended``."""
    from bootstrap.report.model import new_report

    return new_report(total_seconds=ended - start.at, total_from=start.origin, **fields)
