"""The readable `bootstrap plan`: the steps, then why (every decision, its evidence,
what was passed over and how to fix what is missing)."""

from __future__ import annotations

import json
from typing import Any

from bootstrap.console import console
from bootstrap.plan.model import Plan, Reason


def _evidence(ev: dict[str, Any]) -> str:
    parts = []
    for key, value in ev.items():
        if value is None or value in ([], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def render(plan: Plan) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    if plan.ok:
        lock = plan.lock.path
        if plan.lock.selection_text():
            lock += f" ({plan.lock.selection_text()})"
        head = Table(show_header=False, box=None, pad_edge=False)
        head.add_column(style="bold")
        head.add_column()
        for key, value in (
            ("profile", plan.profile),
            ("project", plan.project),
            ("target", plan.target),
            ("strategy", plan.strategy),
            ("lock", lock),
            ("budget", f"{plan.budget_seconds:g}s to the first run"),
        ):
            head.add_row(key, escape(value))
        out.print(head)
        steps = Table(title="steps", title_justify="left", box=None, pad_edge=False)
        steps.add_column("#", justify="right")
        steps.add_column("step", style="bold")
        steps.add_column("what it does")
        for n, step in enumerate(plan.steps, 1):
            steps.add_row(str(n), step.name, escape(step.describe()))
        out.print()
        out.print(steps)
    else:
        out.print(f"[bold red]no plan[/]: no strategy fits profile {escape(plan.profile)} here")
    out.print()
    out.print("[bold]why[/]")
    for reason in plan.reasons:
        _reason(out, reason, escape)
    for warning in plan.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def _reason(out: Any, r: Reason, escape: Any) -> None:
    out.print(
        f"  [bold]{escape(r.decision)}[/]: {escape(r.choice)} - {escape(r.why)}", soft_wrap=True
    )
    ev = _evidence(r.evidence)
    if ev:
        out.print(f"      evidence: {escape(ev)}", soft_wrap=True)
    for rej in r.rejected:
        out.print(f"      not {escape(rej['candidate'])}: {escape(rej['why'])}", soft_wrap=True)
        if rej.get("fix"):
            out.print(f"        fix: {escape(rej['fix'])}", soft_wrap=True)
    if r.fix:
        out.print(f"      fix: {escape(r.fix)}", soft_wrap=True)
