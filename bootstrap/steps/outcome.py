"""What a run of `up` hands back: its exit code, report, plan, notes and next steps.

Below the orchestrator (bootstrap.app) and the handoff (bootstrap.steps.handoff), which
both produce one; the CLI prints it (bootstrap.app.summary_lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UpResult:
    exit_code: int
    report: dict[str, Any] | None = None
    noop: bool = False
    plan: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    delivery: dict[str, Any] | None = None
    hosts: list[dict[str, Any]] | None = None  # a handoff: one result per target
    next: list[str] = field(default_factory=list)  # commands a new shell can run as printed
