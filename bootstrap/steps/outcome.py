"""What a run hands back: the outcome of a plan on one target, and `up`'s result.

:class:`Outcome` is what the orchestrator (bootstrap.steps.run) makes of running a plan
for one target -- here, or one host of a handoff -- and what the run is finished from
(bootstrap.steps.finish: the report, the history, the spool, the sinks). :class:`UpResult`
is what `up` hands the CLI: its exit code, report, plan, notes and next steps, and for a
handoff one :class:`HostResult` per host, each embedding that host's report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.errors import BootstrapError
    from bootstrap.host.facts import HostFacts
    from bootstrap.plan.model import Plan
    from bootstrap.steps import Context
    from bootstrap.steps.finish import Finished

# The steps that change the environment (ensure-uv and python look every time).
CHANGING = frozenset({"import-cache", "sync", "first-run"})


@dataclass(frozen=True)
class Start:
    """When the run started: stage 0's clock (epoch seconds) and what it measures from
    (bootstrap.timing.stage0_start)."""

    at: float
    origin: str


@dataclass(frozen=True)
class Outcome:
    """A plan run for one target: where, how it ended, and what the report says of it."""

    plan: Plan
    facts: HostFacts  # the machine the environment lives on (a handoff's: the target's)
    phases: dict[str, float]
    start: Start
    error: BootstrapError | None = None
    host: str | None = None  # a handoff's host as the plan names it; None: here
    target: str | None = None  # the target key, re-planned there (None: the plan's)
    run_kind: str = "first"
    uv_version: str | None = None
    network_used: bool = False
    cache_hit: bool = False
    bundle_used: bool = False
    first_run_ran: bool = False
    sent_files: int | None = None
    attempt: int = 1
    first_attempt: float | None = None
    dry_run: bool = False
    # The runtime of a run here (the environment, the uv it found, its notes): what the
    # closing commands and the no-op record are made from. None for a handoff's host.
    ctx: Context | None = None
    finished: Finished | None = None  # the report made of it, once recorded
    # When the run ended (its total's end): making and sending the report is not a phase.
    ended: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.exit_code


def run_kind(ran: list[str], *, refresh: bool, had_first_run: bool, stepped: bool) -> str:
    """first, resync, noop or refresh (the report's run_kind; see report.model), from the
    steps that did work; ``stepped``: False when the run stopped before its first step."""
    if "first-run" in ran and not had_first_run:
        return "first"  # --refresh or not: nothing had run here before
    if refresh:
        return "refresh"
    if CHANGING & set(ran):
        return "resync"
    if not stepped:
        return "resync" if had_first_run else "first"
    return "noop"


@dataclass(frozen=True)
class HostResult:
    """One host of a handoff, as `up --json` prints it: the host's report embedded in
    the report schema (None for a dry run)."""

    host: str
    exit_code: int
    report_id: str | None
    total_seconds: float | None
    target: str | None
    error: str | None = None
    sent_files: int | None = None
    code: str | None = None
    fix: str | None = None
    report: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class UpResult:
    exit_code: int
    report: dict[str, Any] | None = None
    noop: bool = False
    plan: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    delivery: dict[str, Any] | None = None
    hosts: list[dict[str, Any]] | None = None  # a handoff: one HostResult per target
    next: list[str] = field(default_factory=list)  # commands a new shell can run as printed

    def json(self) -> dict[str, Any]:
        """What `up --json` prints: the report (a no-op's too); for a handoff one result
        per host, each with its report; the plan for a dry run, which reports nothing."""
        if self.hosts is not None:
            return {"hosts": self.hosts, "exit_code": self.exit_code}
        if self.report is not None:
            return self.report
        return self.plan or {}
