"""A report as Prometheus text exposition (format 0.0.4), for the Pushgateway sink and
``bootstrap report export --format prom`` (e.g. node_exporter's textfile collector).

Every push of one machine replaces its previous group, so the fleet view is the latest
report of each (profile, run kind, instance): one series per machine and profile for the
time to first run, whatever target or strategy it ran with. The metrics' own version
(:data:`METRICS_VERSION`, on ``bootstrap_report_info``) says which grouping and labels a
series follows; docs/report.md has the model, the shipped rules and the queries.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping

from bootstrap.report.model import PHASES, TimingReport, parse_time

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
# 1: grouping key job/profile/target/strategy/run_kind/instance. 2: target and strategy
# left the grouping key for sample labels (with accel), so a machine that moves to another
# target or strategy replaces its group instead of counting twice; the info metric gained
# lock_hash and metrics_version.
METRICS_VERSION = 2

# name -> (help). All gauges: each value is a fact about one run.
METRICS = {
    "bootstrap_time_to_first_run_seconds": (
        "Seconds from stage 0's start to a new environment's first successful run "
        "(only runs that are one: run_kind first, the first-run command ran)."
    ),
    "bootstrap_run_seconds": "Seconds from stage 0's start to the end of any run, by run_kind.",
    "bootstrap_phase_seconds": "Seconds spent in each phase of the run.",
    "bootstrap_success": "1 if the run reached a successful first run, else 0.",
    "bootstrap_over_budget": "1 if the run took longer than the profile's budget, else 0.",
    "bootstrap_budget_seconds": "The profile's time-to-first-run budget in seconds.",
    "bootstrap_report_timestamp_seconds": "When the report was made, in Unix seconds.",
    "bootstrap_spool_dropped_reports": (
        "Undelivered reports this machine dropped from its full spool before this one "
        "(present only when some were)."
    ),
    "bootstrap_all_green_seconds": (
        "Seconds from the start of an onboarding or a restore to its last project green "
        "(run_kind onboard or restore, only when every project ended green)."
    ),
    "bootstrap_projects": "Projects in an onboarding or a restore, by state (green, failed).",
    "bootstrap_report_info": (
        "Always 1; labels identify the report (its id, tool and uv versions, lock hash, error)."
    ),
}


def grouping_labels(report: TimingReport) -> dict[str, str]:
    """The labels that identify one machine's group: what a new push replaces. The run
    kind is one of them, so a later re-sync or no-op of the same machine never replaces
    the group that holds its time to first run; target and strategy are not (they are
    sample labels), so the machine has one such group per profile."""
    return {
        "profile": report.profile,
        "run_kind": report.run_kind,
        "instance": str(report.host.get("host_id", ""))[:16] or "unknown",
    }


def grouping_path(job: str, labels: Mapping[str, str]) -> str:
    """``/metrics/job/<job>/<label>/<value>...``; values that are empty or not plain are
    sent with the Pushgateway's ``@base64`` encoding (URL-safe, as its README specifies)."""
    parts = ["metrics", *_segment("job", job)]
    for name, value in labels.items():
        parts.extend(_segment(name, value))
    return "/" + "/".join(parts)


def _segment(name: str, value: str) -> list[str]:
    if _SAFE_SEGMENT.match(value):
        return [name, value]
    encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
    return [f"{name}@base64", encoded]


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _num(value: float) -> str:
    return repr(float(value))


def samples(
    report: TimingReport, extra: Mapping[str, str] | None = None
) -> list[tuple[str, dict[str, str], float]]:
    """(metric, labels, value) for one report. ``extra`` labels go first on each sample
    (the export adds the grouping labels; a push carries them in its URL instead)."""
    target = report.target or "none"
    base = {
        **(extra or {}),
        "os": str(report.host.get("os", "")),
        "arch": str(report.host.get("arch", "")),
        # The accelerator variant: the target key's last part ("cpu", "cu126", "rocm6.2").
        "accel": target.split("-", 2)[2] if target.count("-") >= 2 else "none",
        "target": target,
        "strategy": report.strategy or "none",
    }
    out: list[tuple[str, dict[str, str], float]] = []
    if report.time_to_first_run_seconds is not None:
        out.append(
            (
                "bootstrap_time_to_first_run_seconds",
                {**base, "outcome": report.outcome},
                report.time_to_first_run_seconds,
            )
        )
    out.append(
        (
            "bootstrap_run_seconds",
            {**base, "outcome": report.outcome, "run_kind": report.run_kind},
            report.total_seconds,
        )
    )
    for phase in PHASES:
        value = report.phases.get(phase)
        if value is not None:
            out.append(("bootstrap_phase_seconds", {**base, "phase": phase}, value))
    out.append(("bootstrap_success", dict(base), 1.0 if report.outcome == "success" else 0.0))
    out.append(("bootstrap_over_budget", dict(base), 1.0 if report.over_budget else 0.0))
    if report.budget_seconds is not None:
        out.append(("bootstrap_budget_seconds", dict(base), report.budget_seconds))
    out.append(
        (
            "bootstrap_report_timestamp_seconds",
            dict(base),
            parse_time(report.created_at).timestamp(),
        )
    )
    if report.all_green_seconds is not None:
        out.append(("bootstrap_all_green_seconds", dict(base), report.all_green_seconds))
    if report.projects is not None:
        green = report.projects_green or 0
        out.append(("bootstrap_projects", {**base, "state": "green"}, float(green)))
        out.append(
            ("bootstrap_projects", {**base, "state": "failed"}, float(report.projects - green))
        )
    if report.spool_dropped:
        out.append(("bootstrap_spool_dropped_reports", dict(base), float(report.spool_dropped)))
    info = {
        **base,
        "report_id": report.report_id,
        "tool_version": report.tool_version,
        "uv_version": report.uv_version or "",
        "lock_hash": report.lock_hash or "",
        "metrics_version": str(METRICS_VERSION),
        "error_code": report.error_code or "",
        "offline": str(report.offline).lower(),
        "cache_hit": str(report.cache_hit).lower(),
        "bundle_used": str(report.bundle_used).lower(),
    }
    out.append(("bootstrap_report_info", info, 1.0))
    return out


def exposition(groups: Iterable[tuple[TimingReport, Mapping[str, str]]]) -> str:
    """Text exposition for several reports (each with its extra labels), metric by
    metric: the format wants all samples of one metric together, after its HELP/TYPE."""
    by_metric: dict[str, list[str]] = {name: [] for name in METRICS}
    for report, extra in groups:
        for name, labels, value in samples(report, extra):
            by_metric[name].append(f"{name}{_labels(labels)} {_num(value)}")
    lines: list[str] = []
    for name, rows in by_metric.items():
        if rows:
            lines.append(f"# HELP {name} {METRICS[name]}")
            lines.append(f"# TYPE {name} gauge")
            lines.extend(rows)
    return "\n".join(lines) + "\n"
