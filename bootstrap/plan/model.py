"""The Plan: what `up` will do, where, with which lock, and why.

Printable as JSON (``bootstrap plan --json``); golden files in tests/plan pin its shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from bootstrap.errors import BootstrapError
from bootstrap.plan.specs import LockChoice, StepSpec

__all__ = ["LockChoice", "Plan", "PlanError", "Reason", "StepSpec"]

S = TypeVar("S", bound=StepSpec)


@dataclass(frozen=True)
class Reason:
    decision: str  # "target", "accelerator", "lock", "strategy", "resources", ...
    choice: str
    why: str
    evidence: dict[str, Any] = field(default_factory=dict)  # the facts it rests on
    fix: str | None = None  # what to do when the choice is a fallback or a failure
    rejected: tuple[dict[str, str], ...] = ()  # [{candidate, why}]


@dataclass(frozen=True)
class Plan:
    profile: str
    project: str  # the project directory (absolute or relative to the profile)
    target: str  # "<os>-<arch>-<accel>"
    strategy: str  # a registered strategy's name (bootstrap.strategies.REGISTRY)
    lock: LockChoice
    steps: tuple[StepSpec, ...]  # the program: typed specs, executed in order
    reasons: tuple[Reason, ...]
    python: str | None = None  # the project's Python requirement ("==3.11.*")
    first_run: tuple[str, ...] = ()  # argv of the first-run command
    first_run_timeout: float = 600.0
    budget_seconds: float = 900.0
    warnings: tuple[str, ...] = ()
    # False when no strategy fits: `reasons` then lists every check, its evidence and fix.
    ok: bool = True
    # The profile file the plan was made from (a re-plan elsewhere reads it again).
    profile_path: str = ""
    network: str = "offline"  # offline | fallback (index on a cache miss) | online

    def step(self, kind: type[S]) -> S | None:
        """The plan's step of this spec type, if any."""
        return next((s for s in self.steps if isinstance(s, kind)), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["steps"] = [s.to_dict() for s in self.steps]
        for r in d["reasons"]:
            r["rejected"] = list(r["rejected"])
        d["lock"] = self.lock.to_dict()
        d["first_run"] = list(self.first_run)
        return d


class PlanError(BootstrapError):
    """No strategy fits this host and profile. ``plan`` is the failed plan (``ok`` False,
    ``strategy`` "none") whose reasons list every check with its evidence and fix."""

    def __init__(self, message: str, plan: Plan, *, fix: str | None = None):
        super().__init__(message, fix=fix, code="plan.no_strategy")
        self.plan = plan
