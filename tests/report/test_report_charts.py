"""`bootstrap report show`'s pictures, as snapshots at a fixed width (80 columns): the last
run's waterfall and a profile's time to first run, in plain text (no TTY, NO_COLOR) and
in colour (rich, ANSI codes). A snapshot is rewritten with BOOTSTRAP_UPDATE_SNAPSHOTS=1;
review the diff before committing it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from support.cli import invoke

from bootstrap import console
from bootstrap.paths import Paths
from bootstrap.report import TimingReport, history
from bootstrap.report.charts import history as history_chart
from bootstrap.report.charts import plain_text, waterfall

SNAPSHOTS = Path(__file__).with_name("snapshots")
WIDTH = 80
HOST = {"os": "linux", "arch": "x86_64", "host_id": "0" * 64, "user_id": "1" * 64}


def _run(n: int, ttfr: float | None, **changes: object) -> TimingReport:
    phases = {
        "stage0_uv": 0.4,
        "stage0_tool_env": 1.1,
        "startup": 0.3,
        "detect": 0.12,
        "plan": 0.01,
        "report": 0.002,
        "uv": 0.3,
        "python": 0.6,
        "sync": 38.0,
        "first_run": 19.5,
    }
    total = round(sum(phases.values()), 4) if ttfr is None else ttfr
    base = TimingReport(
        report_id=f"00000000-0000-4000-8000-{n:012d}",
        created_at=f"2026-11-{10 + n:02d}T09:{n:02d}:00.000000Z",
        tool_version="0.1.0",
        uv_version="0.13.9",
        profile="python-service",
        target="linux-x86_64-cpu",
        strategy="native",
        host=HOST,
        phases=phases,
        total_seconds=total,
        outcome="success",
        total_from="stage0",
        budget_seconds=60.0,
        over_budget=total > 60,
        run_kind="first",
        first_run_ran=True,
        time_to_first_run_seconds=total,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _history() -> list[TimingReport]:
    totals = [48.0, 51.5, 45.2, 75.0, 52.0, 60.335]
    runs = [_run(i, t) for i, t in enumerate(totals)]
    runs.append(_run(7, None, run_kind="noop", time_to_first_run_seconds=None))
    # The last run: slow (sync took longer), over its budget.
    last = _run(8, None)
    slow = {**last.phases, "sync": 55.0}
    total = round(sum(slow.values()), 4)
    runs.append(
        replace(
            last,
            phases=slow,
            total_seconds=total,
            time_to_first_run_seconds=total,
            over_budget=True,
        )
    )
    return runs


def _check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("BOOTSTRAP_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with BOOTSTRAP_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(), f"{name} changed; see the diff above"


def test_waterfall_plain() -> None:
    text = plain_text(waterfall(_history()[-1], width=WIDTH, plain=True))
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    _check("waterfall-plain.txt", text)
    # Each phase starts where the one before ended.
    rows = [line.split() for line in text.splitlines()[3:-2]]
    starts = [float(r[1][:-1]) for r in rows]
    took = [float(r[2][:-1]) for r in rows]
    assert [r[0] for r in rows][:3] == ["stage0_uv", "stage0_tool_env", "startup"]
    for i in range(1, len(rows)):
        assert starts[i] == pytest.approx(starts[i - 1] + took[i - 1], abs=0.011)


def test_waterfall_colour() -> None:
    lines = waterfall(_history()[-1], width=WIDTH, plain=False)
    text = console.render_segments(lines, columns=WIDTH)
    assert "\x1b[" in text and "█" in text and "#" not in text
    _check("waterfall-colour.ansi", text)


def test_history_plain_and_colour() -> None:
    runs = _history()
    plain = plain_text(history_chart(runs, "python-service", width=WIDTH, plain=True))
    assert max(len(line) for line in plain.splitlines()) <= WIDTH
    _check("history-plain.txt", plain)
    # The noop run is no time to first run: 7 bars, as long as their times.
    bars = [line for line in plain.splitlines() if line.startswith("  11-")]
    assert len(bars) == 7
    widths = [line.count("#") for line in bars]
    assert sorted(range(7), key=widths.__getitem__) == [2, 0, 1, 4, 5, 3, 6]
    coloured = console.render_segments(
        history_chart(runs, "python-service", width=WIDTH, plain=False), columns=WIDTH
    )
    _check("history-colour.ansi", coloured)


def test_history_of_a_profile_with_no_first_run() -> None:
    runs = [
        _run(
            1,
            None,
            outcome="failure",
            error_code="sync.offline_miss",
            time_to_first_run_seconds=None,
        )
    ]
    text = plain_text(history_chart(runs, "python-service", width=WIDTH, plain=True))
    assert text == "time to first run of python-service: no successful first run recorded yet\n"


def test_report_show_draws_both_without_colour(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for r in _history():
        history.append(paths, r)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    result = invoke("report", "show")
    assert result.exit_code == 0, result.output
    expected = plain_text(waterfall(_history()[-1], width=WIDTH, plain=True))
    assert expected in result.output
    assert plain_text(history_chart(_history(), "python-service", width=WIDTH, plain=True)) in (
        result.output
    )
    assert "\x1b[" not in result.output


def test_no_color_makes_a_terminal_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert console.is_plain() is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert console.is_plain() is True
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value counts
    assert console.is_plain() is False
