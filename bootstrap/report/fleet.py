"""The fleet view shipped with the metrics: Prometheus recording and alerting rules, their
unit tests and a Grafana dashboard, for ``bootstrap report rules --out DIR``.

The rules are built here as data, so the thresholds are options, and written as YAML
(Prometheus' rule file format). ``bootstrap/report/fleet/`` holds the files as written
with the default thresholds, for a team that copies them instead; a test holds the two
to each other and runs ``promtool check rules`` and ``promtool test rules`` on them.

Why the rules look the way they do: a Pushgateway keeps the last value per grouping key,
so every series is one machine's latest run of a profile and run kind (see
:mod:`bootstrap.report.prom`). A gauge that is scraped every few seconds is not a sample
per run, so ``quantile_over_time`` would weigh each machine by how long its value sat in
the gateway. The rules instead take one value per machine -- its latest first run -- and
keep those whose report is recent (its ``bootstrap_report_timestamp_seconds``), then
compute quantiles and ratios *across* the machines: "p90 over the last day" is the p90 of
the machines whose first run reported in the last day.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Union

FLEET_DIR = Path(__file__).with_name("fleet")
RULES_FILE = "bootstrap-rules.yml"
RULES_TEST_FILE = "bootstrap-rules.test.yml"
DASHBOARD_FILE = "bootstrap-dashboard.json"

DAY = 86400
# The machine's latest run per profile and run kind is one group: these labels join any
# two of its series (the gateway's grouping key, see prom.grouping_labels).
MACHINE = "job, instance, profile, run_kind"
# What the future `bootstrap onboard` command pushes (docs/report.md, "Onboarding"): its
# grouping key is job/profile/instance with a `command="onboard"` label, no run kind.
ONBOARD_MACHINE = "job, instance, profile"
ONBOARD_METRIC = "bootstrap_onboard_time_to_all_green_seconds"
ONBOARD_TIMESTAMP = "bootstrap_onboard_timestamp_seconds"


@dataclass(frozen=True)
class Thresholds:
    """What the alerts compare against; every one is an option of ``report rules``."""

    success_ratio: float = 0.9  # alert below this share of first runs that succeeded
    regression_factor: float = 1.5  # alert when the day's p90 >= factor x the week before's
    min_machines: int = 3  # fewer first runs in the day than this: no ratio/regression alert
    alert_for: str = "15m"  # how long a condition holds before its alert fires
    severity: str = "warning"

    def is_default(self) -> bool:
        return self == Thresholds()

    def check(self) -> None:
        from bootstrap.errors import UserError

        if not 0 < self.success_ratio <= 1:
            raise UserError(
                f"--success-ratio must be above 0 and at most 1, found {self.success_ratio:g}",
                code="report.rules_threshold",
            )
        if self.regression_factor <= 1:
            raise UserError(
                f"--regression-factor must be above 1, found {self.regression_factor:g}",
                code="report.rules_threshold",
            )
        if self.min_machines < 1:
            raise UserError(
                f"--min-machines must be 1 or more, found {self.min_machines}",
                code="report.rules_threshold",
            )
        import re

        if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", self.severity):
            raise UserError(
                "--severity must be a plain word (letters, digits, _ . -), "
                f"found {self.severity!r}",
                code="report.rules_threshold",
            )
        if not re.match(r"^(0|([0-9]+(ms|s|m|h|d|w|y))+)$", self.alert_for):
            raise UserError(
                f"--for must be a Prometheus duration (30s, 15m, 1h), found {self.alert_for!r}",
                code="report.rules_threshold",
            )


Rule = dict[str, Any]


def _recent(metric: str, seconds_from: int, seconds_to: int, on: str = MACHINE) -> str:
    """``metric`` where the machine's report is between ``seconds_from`` and
    ``seconds_to`` old."""
    age = "machine:bootstrap_report_age_seconds"
    if on == ONBOARD_MACHINE:
        age = f"(time() - {ONBOARD_TIMESTAMP})"
    cond = (
        f"{age} < {seconds_to}" if not seconds_from else (f"{age} >= {seconds_from} < {seconds_to}")
    )
    return f"{metric}\n  and on ({on})\n{cond}"


WINDOWS = {"1d": (0, DAY), "7d": (0, 7 * DAY), "prev7d": (DAY, 8 * DAY)}


def machine_rules() -> list[Rule]:
    """One series per machine, profile and run kind, kept while its report is recent."""
    rules: list[Rule] = [
        {
            "record": "machine:bootstrap_report_age_seconds",
            "expr": "time() - bootstrap_report_timestamp_seconds",
        }
    ]
    for window, (lo, hi) in WINDOWS.items():
        rules.append(
            {
                "record": f"machine:bootstrap_time_to_first_run_seconds:{window}",
                "expr": _recent('bootstrap_time_to_first_run_seconds{outcome="success"}', lo, hi),
            }
        )
    for window in ("1d", "7d"):
        lo, hi = WINDOWS[window]
        rules += [
            {
                "record": f"machine:bootstrap_first_run_success:{window}",
                "expr": _recent('bootstrap_success{run_kind="first"}', lo, hi),
            },
            {
                "record": f"machine:bootstrap_first_run_over_budget:{window}",
                "expr": _recent('bootstrap_over_budget{run_kind="first"}', lo, hi),
            },
        ]
    rules.append(
        {
            "record": "machine:bootstrap_first_run_phase_seconds:7d",
            "expr": _recent('bootstrap_phase_seconds{run_kind="first"}', 0, 7 * DAY),
        }
    )
    for window in ("1d", "7d"):
        lo, hi = WINDOWS[window]
        rules.append(
            {
                "record": f"machine:{ONBOARD_METRIC}:{window}",
                "expr": _recent(f'{ONBOARD_METRIC}{{outcome="success"}}', lo, hi, ONBOARD_MACHINE),
            }
        )
    return rules


def fleet_rules() -> list[Rule]:
    """Quantiles and ratios across the machines."""
    ttfr = "bootstrap_time_to_first_run_seconds"
    rules: list[Rule] = []
    for window in ("1d", "7d"):
        for q in ("50", "90"):
            rules.append(
                {
                    "record": f"profile_os_strategy:{ttfr}:p{q}_{window}",
                    "expr": (
                        f"quantile by (profile, os, strategy) (0.{q}, machine:{ttfr}:{window})"
                    ),
                }
            )
    for window in ("1d", "prev7d"):
        rules += [
            {
                "record": f"profile:{ttfr}:p90_{window}",
                "expr": f"quantile by (profile) (0.9, machine:{ttfr}:{window})",
            },
            {
                "record": f"profile:{ttfr}:count_{window}",
                "expr": f"count by (profile) (machine:{ttfr}:{window})",
            },
        ]
    for window in ("1d", "7d"):
        rules += [
            {
                "record": f"profile_os_strategy:bootstrap_first_run_success:ratio_{window}",
                "expr": (
                    f"avg by (profile, os, strategy) (machine:bootstrap_first_run_success:{window})"
                ),
            },
            {
                "record": f"profile:bootstrap_first_run_success:ratio_{window}",
                "expr": f"avg by (profile) (machine:bootstrap_first_run_success:{window})",
            },
            {
                "record": f"profile:bootstrap_first_runs:count_{window}",
                "expr": f"count by (profile) (machine:bootstrap_first_run_success:{window})",
            },
            {
                "record": f"profile_os_strategy:bootstrap_first_run_over_budget:ratio_{window}",
                "expr": (
                    "avg by (profile, os, strategy) "
                    f"(machine:bootstrap_first_run_over_budget:{window})"
                ),
            },
        ]
    rules += [
        {
            "record": "profile_phase:bootstrap_first_run_phase_seconds:avg_7d",
            "expr": "avg by (profile, phase) (machine:bootstrap_first_run_phase_seconds:7d)",
        },
        {
            # The phase where a profile's first runs spend the most time: one series per
            # profile, its `phase` label names it, its value is the mean seconds.
            "record": "profile:bootstrap_dominant_phase_seconds:avg_7d",
            "expr": (
                "topk by (profile) (1, profile_phase:bootstrap_first_run_phase_seconds:avg_7d)"
            ),
        },
        {
            "record": "profile:bootstrap_budget_seconds:max",
            "expr": "max by (profile) (bootstrap_budget_seconds)",
        },
    ]
    for window in ("1d", "7d"):
        for q in ("50", "90"):
            rules.append(
                {
                    "record": f"profile_os:{ONBOARD_METRIC}:p{q}_{window}",
                    "expr": (
                        f"quantile by (profile, os) (0.{q}, machine:{ONBOARD_METRIC}:{window})"
                    ),
                }
            )
    return rules


def alert_rules(t: Thresholds) -> list[Rule]:
    ttfr = "bootstrap_time_to_first_run_seconds"
    labels = {"severity": t.severity}
    return [
        {
            "alert": "BootstrapFirstRunOverBudget",
            "expr": (
                f"profile_os_strategy:{ttfr}:p90_1d\n"
                "  > on (profile) group_left ()\n"
                "profile:bootstrap_budget_seconds:max"
            ),
            "for": t.alert_for,
            "labels": labels,
            "annotations": {
                "summary": (
                    "p90 time to first run of {{ $labels.profile }} on {{ $labels.os }} "
                    "({{ $labels.strategy }}) is over the profile's budget"
                ),
                "description": (
                    "Over the last day, 90% of first runs of {{ $labels.profile }} on "
                    "{{ $labels.os }} with the {{ $labels.strategy }} strategy took up to "
                    "{{ $value | humanizeDuration }}, more than the profile's budget."
                ),
            },
        },
        {
            "alert": "BootstrapFirstRunSuccessLow",
            "expr": (
                f"profile:bootstrap_first_run_success:ratio_1d < {t.success_ratio:g}\n"
                "  and on (profile)\n"
                f"profile:bootstrap_first_runs:count_1d >= {t.min_machines}"
            ),
            "for": t.alert_for,
            "labels": labels,
            "annotations": {
                "summary": (
                    "Only {{ $value | humanizePercentage }} of the first runs of "
                    "{{ $labels.profile }} in the last day succeeded"
                ),
                "description": (
                    f"Below the threshold of {t.success_ratio:.0%}: `bootstrap report show` "
                    "on a failing machine, or the error_code label of bootstrap_report_info, "
                    "says which step failed."
                ),
            },
        },
        {
            "alert": "BootstrapFirstRunRegression",
            "expr": (
                f"profile:{ttfr}:p90_1d\n"
                f"  >= {t.regression_factor:g} * profile:{ttfr}:p90_prev7d\n"
                "  and on (profile)\n"
                f"profile:{ttfr}:count_1d >= {t.min_machines}"
            ),
            "for": t.alert_for,
            "labels": labels,
            "annotations": {
                "summary": (
                    "p90 time to first run of {{ $labels.profile }} rose to "
                    "{{ $value | humanizeDuration }}"
                ),
                "description": (
                    f"The last day's p90 is at least {t.regression_factor:g}x the p90 of the "
                    "week before it: a new lock, tool or uv version (bootstrap_report_info's "
                    "lock_hash, tool_version, uv_version) is the usual cause."
                ),
            },
        },
    ]


def rule_groups(t: Thresholds) -> list[dict[str, Any]]:
    # Rules of one group run in order at each evaluation, each seeing the ones before it:
    # the machine series first, then what is computed from them, then the alerts.
    return [
        {"name": "bootstrap-fleet", "rules": [*machine_rules(), *fleet_rules()]},
        {"name": "bootstrap-fleet-alerts", "rules": alert_rules(t)},
    ]


# -- YAML: the small subset rule files need ------------------------------------------

Scalar = Union[str, int, float]


def _scalar(value: Scalar) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    return repr(value)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str) and "\n" in item:
                out.append(f"{pad}{key}: |")
                out.extend(f"{pad}  {line}" for line in item.splitlines())
            elif isinstance(item, (Mapping, list)):
                out.append(f"{pad}{key}:")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            body: list[str] = []
            _emit(item, indent + 2, body)
            out.append(f"{pad}- {body[0].lstrip()}")
            out.extend(body[1:])
    else:
        out.append(pad + _scalar(value))


HEADER = """\
# Prometheus rules for bootstrap's fleet metrics (metrics version 2), written by
# `bootstrap report rules`{options}. docs/report.md explains every series.
# Check: promtool check rules {rules}; unit tests: promtool test rules {tests}
"""


def rules_yaml(t: Thresholds) -> str:
    defaults = Thresholds()
    options = " ".join(
        f"--{f.name.replace('_', '-').replace('alert-for', 'for')} {getattr(t, f.name)}"
        for f in fields(t)
        if getattr(t, f.name) != getattr(defaults, f.name)
    )
    out = [
        HEADER.format(
            options=f" {options}" if options else " (default thresholds)",
            rules=RULES_FILE,
            tests=RULES_TEST_FILE,
        ).rstrip("\n"),
    ]
    _emit({"groups": rule_groups(t)}, 0, out)
    return "\n".join(out) + "\n"


def write(out: Path, t: Thresholds) -> list[Path]:
    """Write the rules, the dashboard and (with the default thresholds, which its cases
    assume) the rules' unit tests into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / RULES_FILE]
    (out / RULES_FILE).write_text(rules_yaml(t), encoding="utf-8")
    names: Sequence[str] = (
        (DASHBOARD_FILE, RULES_TEST_FILE) if t.is_default() else (DASHBOARD_FILE,)
    )
    for name in names:
        shutil.copyfile(FLEET_DIR / name, out / name)
        written.append(out / name)
    return written


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FLEET_DIR / DASHBOARD_FILE).read_text(encoding="utf-8"))
    return data


def dashboard_queries(board: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, rows included."""
    for panel in board.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                if "expr" in target:
                    yield str(inner.get("title", "")), str(target["expr"])
