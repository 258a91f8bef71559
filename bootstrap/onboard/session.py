"""One onboarding (or restore): the jobs, the run, the report, the summary.

The report of the whole (``run_kind`` ``onboard`` or ``restore``) is recorded like any
run's: in the history, and to the sinks the environment names (each project's own
report goes where its profile says). Its ``total_seconds`` and ``all_green_seconds``
start at stage 0's clock when the installer started this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.errors import EXIT_FAILED, EXIT_OK, BootstrapError
from bootstrap.onboard.runner import Job, Outcome, child_env, run_all
from bootstrap.paths import Paths

METRICS_BUDGET = 2.0


@dataclass
class Result:
    outcomes: list[Outcome]
    seconds: float
    report: dict[str, Any] | None

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(o.green for o in self.outcomes) else EXIT_FAILED

    def lines(self) -> list[str]:
        width = max((len(o.name) for o in self.outcomes), default=0)
        out = []
        for o in self.outcomes:
            mark = "ok  " if o.green else "FAIL"
            out.append(f"{mark} {o.name:<{width}}  {o.summary()}")
            if not o.green and o.fix:
                out.append(f"     {'':<{width}}  fix: {o.fix}")
        green = sum(o.green for o in self.outcomes)
        if green == len(self.outcomes):
            out.append(f"all green: {green} project(s) in {self.seconds:.1f}s")
        else:
            failed = len(self.outcomes) - green
            out.append(
                f"{green} of {len(self.outcomes)} green, {failed} failed "
                f"(re-run the same command: finished projects are not redone)"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "projects": [
                {
                    "name": o.name,
                    "path": str(o.path),
                    "green": o.green,
                    "exit_code": o.exit_code,
                    "seconds": round(o.seconds, 3),
                    "checkout": o.checkout,
                    "error": o.error,
                    "fix": o.fix,
                    "report": o.report,
                }
                for o in self.outcomes
            ],
            "report": self.report,
        }


def run(
    label: str,
    jobs: Sequence[Job],
    *,
    workspace: Path,
    workers: int,
    run_kind: str,
    quiet: bool = False,
) -> Result:
    from bootstrap.console import Board
    from bootstrap.timing import stage0_start

    started, start_origin = stage0_start()
    with Board([j.name for j in jobs], quiet=quiet) as board:
        outcomes = run_all(
            jobs, workers=workers, started=started, on_change=board.set, env=child_env(workspace)
        )
    seconds = time.time() - started
    report = _record(label, outcomes, seconds, start_origin, run_kind)
    return Result(outcomes, seconds, report)


def _record(
    label: str, outcomes: list[Outcome], seconds: float, start_origin: str, run_kind: str
) -> dict[str, Any] | None:
    """The report of the whole, in the history and to the environment's sinks."""
    from bootstrap.report.config import MetricsConfig
    from bootstrap.report.delivery import record
    from bootstrap.report.model import new_report

    host: dict[str, Any] = next(
        (o.report["host"] for o in outcomes if o.report and isinstance(o.report.get("host"), dict)),
        {},
    )
    green = sum(o.green for o in outcomes)
    failed = next((o for o in outcomes if not o.green), None)
    report = new_report(
        profile=label,
        host=host,
        phases={},
        total_seconds=seconds,
        total_from=start_origin,
        error_code=None if failed is None else "onboard.project_failed",
        run_kind=run_kind,
    )
    report = dataclasses.replace(
        report,
        projects=len(outcomes),
        projects_green=green,
        all_green_seconds=report.total_seconds if failed is None else None,
    )
    paths = Paths.from_env()
    with contextlib.suppress(BootstrapError, OSError):
        record(
            paths,
            report,
            MetricsConfig.from_settings(None).with_env(),
            budget_seconds=METRICS_BUDGET,
        )
    return report.to_dict()
