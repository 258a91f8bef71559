"""`bootstrap report`: show, send, flush and export timing reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap.cli.params import Label, Seconds

if TYPE_CHECKING:
    from bootstrap.report.model import TimingReport


@click.group(
    epilog="""\b
Examples:
  bootstrap report show                       recent runs, p50/p90 per profile
  bootstrap report show --profile ai --last 50 --json
  bootstrap report flush                      retry reports a sink did not take
  bootstrap report send --sink http-json --url https://metrics.example.com/ingest \\
      --token-env METRICS_TOKEN --last        send the latest report from a CI job
  bootstrap report export --format prom       the latest report as Prometheus text
  bootstrap report rules --out fleet/         Prometheus rules, their tests, a dashboard
"""
)
def report() -> None:
    """Show, send, flush and export timing reports."""


def _load(profile: str | None) -> list[TimingReport]:
    from bootstrap.console import warn
    from bootstrap.paths import Paths
    from bootstrap.report import history

    loaded = history.load_all(Paths.from_env())
    for problem in loaded.problems:
        warn(problem)
    return [r for r in loaded.reports if profile is None or r.profile == profile]


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}s"


@report.command()
@click.option("--profile", help="Only runs of this profile.")
@click.option("--last", "last", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print runs and per-profile stats.")
def show(profile: str | None, last: int, as_json: bool) -> None:
    """Recent runs (newest last), p50/p90 of total per profile, runs over budget; then the
    last run's phases as a waterfall and its profile's time to first run as a chart."""
    from bootstrap import console
    from bootstrap.paths import Paths
    from bootstrap.report import charts, spool, stats

    reports = _load(profile)
    recent = reports[-last:]
    per_profile = stats.by_profile(reports)
    paths = Paths.from_env()
    waiting = len(spool.pending(paths))
    if as_json:
        console.print_json(
            {
                "runs": [r.to_dict() for r in recent],
                "profiles": per_profile,
                "spooled": waiting,
                "history": str(paths.history),
            }
        )
        return
    if not reports:
        console.line(f"no runs recorded yet in {paths.history}")
        return
    rows = [
        (
            r.created_at[5:16].replace("T", " "),
            r.profile,
            r.target or "-",
            r.strategy or "-",
            r.run_kind,
            "ok" if r.outcome == "success" else f"FAILED {r.error_code}",
            _fmt(r.total_seconds),
            (f"over {_fmt(r.budget_seconds)}" if r.over_budget else ""),
        )
        for r in recent
    ]
    head = ("UTC", "profile", "target", "strategy", "kind", "outcome", "total", "budget")
    summary = [
        (
            name,
            str(s["runs"]),
            str(s["first_runs"]),
            str(s["failures"]),
            _fmt(s["p50_seconds"]),
            _fmt(s["p90_seconds"]),
            _fmt(s["budget_seconds"]),
            str(s["over_budget"]),
        )
        for name, s in per_profile.items()
    ]
    shead = ("profile", "runs", "first runs", "failed", "p50", "p90", "budget", "over budget")
    _table(f"last {len(recent)} of {len(reports)} runs", head, rows)
    _table("time to a successful first run, per profile", shead, summary)
    plain, columns = console.is_plain(), console.width()
    last_run = recent[-1]
    console.line()
    console.print_segments(charts.waterfall(last_run, width=columns, plain=plain), plain=plain)
    console.line()
    console.print_segments(
        charts.history(reports, last_run.profile, width=columns, plain=plain), plain=plain
    )
    if waiting:
        console.line(f"{waiting} report(s) waiting in the spool: `bootstrap report flush`")


def _table(title: str, head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    from bootstrap import console

    if console.is_plain():
        console.line(f"{title}:")
        widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
        for row in (head, *rows):
            console.line("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        return
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in head:
        table.add_column(name, no_wrap=name in ("UTC", "total"))
    for row in rows:
        style = "red" if any(c.startswith(("FAILED", "over ")) for c in row) else None
        table.add_row(*row, style=style)
    console.console().print(table)


@report.command()
@click.option("--budget", type=Seconds(), help="Stop after this many seconds in total.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--profile",
    help="Take sink credentials from this profile's [metrics] (and BOOTSTRAP_METRICS_SINKS).",
)
def flush(budget: float | None, as_json: bool, profile: str | None) -> int:
    """Send spooled reports to the sinks that did not acknowledge them yet.

    The spool keeps no credentials: an entry whose URL had some is sent with the sink of
    the same destination in the current configuration (--profile, BOOTSTRAP_METRICS_SINKS).
    """
    from bootstrap import console
    from bootstrap.paths import Paths
    from bootstrap.report import delivery, spool
    from bootstrap.report.config import MetricsConfig

    spool.Limits.from_env()  # a bad BOOTSTRAP_SPOOL_MAX_* is bad input here (exit 2)
    config = MetricsConfig()
    if profile is not None:
        from bootstrap.profiles import load_profile

        config = MetricsConfig.from_settings(load_profile(profile).metrics)
    result = delivery.flush(Paths.from_env(), config.with_env(), budget_seconds=budget)
    if as_json:
        console.print_json(result.to_dict())
    else:
        for item in result.warnings:
            console.warn(item)
        for item in result.delivered:
            console.line(f"delivered: {item}")
        for item in result.errors:
            console.warn(item)
        for item in result.corrupt:
            console.warn(f"corrupt spool entry moved aside: {item}")
        if result.held:
            console.line(f"{result.held} report(s) kept: remote metrics are turned off")
        if result.busy:
            console.line(f"{result.busy} report(s) are being sent by another process")
        console.line(f"{result.remaining} report(s) still spooled")
    return 1 if result.errors or result.corrupt else 0


@report.command()
@click.option(
    "--sink",
    "kind",
    required=True,
    type=click.Choice(["file", "http-json", "pushgateway", "otlp-http"]),
)
@click.option("--url", help="Where to send (http-json, pushgateway, otlp-http).")
@click.option("--path", "path", help="file sink: a .jsonl file or a directory.")
@click.option(
    "--job", type=Label(), default="bootstrap", show_default=True, help="Pushgateway job name."
)
@click.option("--token-env", metavar="VAR", help="Env var holding a bearer token.")
@click.option("--timeout", type=float, default=10.0, show_default=True)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved report (JSON, e.g. from `up --json`).",
)
@click.option("--last", is_flag=True, help="The most recent report in the history.")
@click.option("--profile", help="With --last: the most recent run of this profile.")
def send(
    *,
    kind: str,
    url: str | None,
    path: str | None,
    job: str,
    token_env: str | None,
    timeout: float,
    report_file: Path | None,
    last: bool,
    profile: str | None,
) -> None:
    """Send one saved report to one sink now (no spool; fails loudly)."""
    from bootstrap import console
    from bootstrap.report.config import SinkConfig
    from bootstrap.report.sinks import make_sink

    if (report_file is None) == (not last):
        raise click.UsageError("give exactly one of --report FILE or --last")
    sink = SinkConfig(
        kind=kind, url=url, path=path, token_env=token_env, job=job, timeout_seconds=timeout
    )
    chosen = _read_report(report_file) if report_file is not None else _latest(profile)
    make_sink(sink).send(chosen)
    console.line(f"sent report {chosen.report_id} to {sink.label}")


def _read_report(path: Path) -> TimingReport:
    import json

    from bootstrap.errors import UserError
    from bootstrap.report.model import TimingReport

    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}", code="report.unreadable") from None
    except ValueError as exc:
        raise UserError(
            f"{path}: not JSON ({exc})",
            fix="pass a report written by `bootstrap up --json` or `report export --format json`",
            code="report.not_json",
        ) from None
    if isinstance(data, list):  # `report export --format json` writes a list
        if len(data) != 1:
            raise UserError(
                f"{path}: holds {len(data)} reports; expected one",
                fix="export one with `bootstrap report export --format json --last 1`",
                code="report.many",
            )
        data = data[0]
    return TimingReport.from_dict(data, where=str(path))


def _latest(profile: str | None) -> TimingReport:
    from bootstrap.errors import UserError

    reports = _load(profile)
    if not reports:
        which = f" for profile {profile!r}" if profile else ""
        raise UserError(
            f"no report in the history{which}",
            fix="run `bootstrap up` first, or pass --report FILE",
            code="report.none",
        )
    return reports[-1]


@report.command()
@click.option("--format", "fmt", type=click.Choice(["prom", "json"]), required=True)
@click.option("--profile", help="Only runs of this profile.")
@click.option(
    "--last", type=click.IntRange(min=1), help="json: only the last N runs (default: all)."
)
@click.option(
    "--job", type=Label(), default="bootstrap", show_default=True, help="prom: the job label."
)
def export(fmt: str, profile: str | None, last: int | None, job: str) -> None:
    """The history as JSON (a list of reports), or the latest run per profile, target and
    strategy as Prometheus text (for node_exporter's textfile collector)."""
    import sys

    from bootstrap import console

    reports = _load(profile)
    if fmt == "json":
        console.print_json([r.to_dict() for r in (reports[-last:] if last else reports)])
        return
    from bootstrap.report.prom import exposition, grouping_labels

    latest: dict[tuple[str, ...], TimingReport] = {}
    for r in reports:  # oldest first: later runs replace earlier ones, as a push would
        labels = grouping_labels(r)
        latest[tuple(labels.values())] = r
    groups = [(r, {"job": job, **grouping_labels(r)}) for r in latest.values()]
    sys.stdout.write(exposition(groups) if groups else "")


@report.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the rules, their promtool tests and the dashboard into.",
)
@click.option(
    "--success-ratio",
    type=float,
    default=0.9,
    show_default=True,
    help="Alert when fewer first runs than this share succeeded in the last day.",
)
@click.option(
    "--regression-factor",
    type=float,
    default=1.5,
    show_default=True,
    help="Alert when the last day's p90 is at least this many times the week before's.",
)
@click.option(
    "--min-machines",
    type=int,
    default=3,
    show_default=True,
    help="First runs a profile needs in the last day before its ratios can alert.",
)
@click.option(
    "--for",
    "alert_for",
    default="15m",
    show_default=True,
    help="How long a condition holds before its alert fires (a Prometheus duration).",
)
@click.option("--severity", default="warning", show_default=True, help="The alerts' label.")
def rules(  # noqa: PLR0917 - click passes each option as an argument
    out: Path,
    success_ratio: float,
    regression_factor: float,
    min_machines: int,
    alert_for: str,
    severity: str,
) -> None:
    """Write Prometheus recording and alerting rules for the fleet metrics, their
    `promtool test rules` file (with the default thresholds only: its cases assume them)
    and a Grafana dashboard. docs/report.md explains every series."""
    from bootstrap import console
    from bootstrap.report.fleet import RULES_FILE, RULES_TEST_FILE, Thresholds, write

    thresholds = Thresholds(
        success_ratio=success_ratio,
        regression_factor=regression_factor,
        min_machines=min_machines,
        alert_for=alert_for,
        severity=severity,
    )
    thresholds.check()
    for path in write(out, thresholds):
        console.line(f"wrote {path}")
    if thresholds.is_default():
        console.line(f"check: promtool check rules {out / RULES_FILE}")
        console.line(f"test:  promtool test rules {out / RULES_TEST_FILE}")
    else:
        console.line(
            f"check: promtool check rules {out / RULES_FILE}  (no {RULES_TEST_FILE}: "
            "its cases assume the default thresholds)"
        )


@report.command()
def schema() -> None:
    """Print the TimingReport JSON Schema (version 2)."""
    import sys

    from bootstrap.report.model import SCHEMA_FILE

    sys.stdout.write(SCHEMA_FILE.read_text(encoding="utf-8"))
