"""Pictures for ``bootstrap report show``: the last run's phases as a waterfall, and one
profile's time to first run over its recent first runs as a small bar chart.

Each chart is a list of lines, each line a list of (text, style) segments: plain output
joins the texts (``#`` bars), colour output hands the segments to rich (block bars, one
colour per kind of phase). Nothing here writes to the terminal or imports rich; the
command passes the lines to :mod:`bootstrap.console`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bootstrap.report.model import PHASES, TimingReport

Segment = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Segment]

LABEL = 15  # phase names and dates
NUMBER = 8  # "1234.56s"
MIN_BAR = 10
# One colour per kind of work, so a glance tells setup from syncing from the run itself.
STYLES = {
    "handoff": "blue",
    "container": "blue",
    "stage0_bundle": "cyan",
    "stage0_uv": "cyan",
    "stage0_tool_env": "cyan",
    "startup": "cyan",
    "detect": "bright_black",
    "plan": "bright_black",
    "report": "bright_black",
    "uv": "magenta",
    "python": "magenta",
    "cache": "magenta",
    "sync": "yellow",
    "first_run": "green",
}


# The order phases run in: the report's PHASES list `report` (sending earlier runs'
# spooled reports) last, but `up` does that right after planning.
ORDER = tuple(p for p in PHASES if p != "report")
ORDER = (*ORDER[: ORDER.index("plan") + 1], "report", *ORDER[ORDER.index("plan") + 1 :])


@dataclass(frozen=True)
class Bars:
    """How bars are drawn: ``#`` in plain text, blocks (and colour) otherwise."""

    plain: bool

    @property
    def full(self) -> str:
        return "#" if self.plain else "█"

    @property
    def mark(self) -> str:
        return "|" if self.plain else "┊"

    @property
    def tick(self) -> str:  # a phase too short for a whole cell
        return "." if self.plain else "▏"


def _secs(value: float) -> str:
    return f"{value:.2f}s".rjust(NUMBER)


def _bar_width(width: int) -> int:
    return max(MIN_BAR, width - 2 - LABEL - 1 - NUMBER - 2 - NUMBER - 2)


def _cells(seconds: float, scale: float, width: int) -> int:
    return round(seconds / scale * width) if scale > 0 else 0


def waterfall(report: TimingReport, *, width: int, plain: bool) -> list[Line]:
    """The run's phases in order, each bar starting where the one before ended, on one
    time scale (the run's total); the profile's budget is a mark when it falls inside."""
    bars = Bars(plain)
    phases = [(p, float(v)) for p in ORDER if (v := report.phases.get(p)) is not None]
    total = max(report.total_seconds, sum(v for _, v in phases))
    span = _bar_width(width)
    outcome = "ok" if report.outcome == "success" else f"FAILED {report.error_code}"
    budget = report.budget_seconds
    title = (
        f"last run of {report.profile}: {report.total_seconds:.2f}s, {report.run_kind}, {outcome}"
    )
    if report.over_budget and budget:
        title += f", over its {budget:g}s budget"
    where = (
        f"  {report.created_at[:16].replace('T', ' ')} UTC, {report.target or '-'}, "
        f"{report.strategy or '-'}"
    )
    lines: list[Line] = [
        [(_fit(title, width), "bold red" if report.over_budget else "bold")],
        [(_fit(where, width), "dim")],
    ]
    lines.append(
        [
            (
                "  "
                + "phase".ljust(LABEL)
                + " "
                + "start".rjust(NUMBER)
                + "  "
                + "took".rjust(NUMBER),
                "dim",
            )
        ]
    )
    mark_at = _cells(budget, total, span) if budget and budget < total else None
    start = 0.0
    for name, seconds in phases:
        lead = min(_cells(start, total, span), span - 1)
        length = min(_cells(start + seconds, total, span) - lead, span - lead)
        row: Line = [
            (
                "  "
                + name.ljust(LABEL)[:LABEL]
                + " "
                + _secs(start)
                + "  "
                + _secs(seconds)
                + "  ",
                "",
            )
        ]
        cells = [" "] * span
        for i in range(lead, lead + length):
            cells[i] = bars.full
        if length <= 0 and seconds > 0:
            cells[lead] = bars.tick
        if mark_at is not None and mark_at < span and cells[mark_at] == " ":
            cells[mark_at] = bars.mark
        row.extend(_runs(cells, bars, STYLES.get(name, "white"), mark_at))
        lines.append(_trim(row))
        start += seconds
    scale = f"0s{'':>{max(1, span - 2 - len(f'{total:.2f}s'))}}{total:.2f}s"
    lines.append([(" " * (2 + LABEL + 1 + NUMBER + 2 + NUMBER + 2) + scale, "dim")])
    if mark_at is not None and budget:
        lines.append([(f"  {bars.mark} the profile's budget ({budget:g}s)", "red")])
    return lines


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _runs(cells: list[str], bars: Bars, style: str, mark_at: int | None) -> list[Segment]:
    """The bar area as segments: the bar in its colour, the budget mark in red."""
    out: list[Segment] = []
    for i, ch in enumerate(cells):
        s = (
            style
            if ch in (bars.full, bars.tick)
            else ("red" if i == mark_at and ch == bars.mark else "")
        )
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0] + ch, s)
        else:
            out.append((ch, s))
    return out


def _trim(line: Line) -> Line:
    """No trailing blanks (a snapshot should not depend on them)."""
    while line and not line[-1][0].strip():
        line = line[:-1]
    if line:
        text, style = line[-1]
        line = [*line[:-1], (text.rstrip(), style)]
    return line


def history(
    reports: Sequence[TimingReport], profile: str, *, width: int, plain: bool, last: int = 12
) -> list[Line]:
    """Time to first run of ``profile``'s latest first runs (oldest at the top), one bar
    each on a shared scale, the over-budget ones in red and marked."""
    bars = Bars(plain)
    firsts = [
        r for r in reports if r.profile == profile and r.time_to_first_run_seconds is not None
    ]
    firsts = firsts[-last:]
    if not firsts:
        text = f"time to first run of {profile}: no successful first run recorded yet"
        return [[(_fit(text, width), "dim")]]
    from bootstrap.report.stats import percentile

    values = [float(r.time_to_first_run_seconds or 0.0) for r in firsts]
    budget = firsts[-1].budget_seconds
    scale = max([*values, budget or 0.0])
    span = max(MIN_BAR, width - 2 - LABEL - 1 - 2 - NUMBER)
    p50, p90 = percentile(values, 0.5), percentile(values, 0.9)
    title = (
        f"time to first run of {profile}, last {len(firsts)}: "
        f"p50 {p50 or 0:.2f}s, p90 {p90 or 0:.2f}s"
    )
    lines: list[Line] = [[(_fit(title, width), "bold")]]
    mark_at = min(span - 1, _cells(budget, scale, span)) if budget else None
    for r, value in zip(firsts, values):
        length = max(1, _cells(value, scale, span))
        cells = [bars.full] * length + [" "] * (span - length)
        if mark_at is not None and mark_at < span and cells[mark_at] == " ":
            cells[mark_at] = bars.mark
        style = "red" if r.over_budget else "green"
        row: Line = [("  " + r.created_at[5:16].replace("T", " ").ljust(LABEL) + " ", "dim")]
        row.extend(_runs(cells, bars, style, mark_at))
        row.append(("  " + f"{value:.2f}s".rjust(NUMBER), "red" if r.over_budget else ""))
        lines.append(_trim(row))
    if mark_at is not None:
        lines.append([(f"  {bars.mark} the profile's budget ({budget:g}s)", "red")])
    return lines


def plain_text(lines: Sequence[Line]) -> str:
    return "".join("".join(text for text, _ in line) + "\n" for line in lines)
