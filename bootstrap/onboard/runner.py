"""Set up several projects side by side: clone each, then `bootstrap up` each.

Each project is a pipeline (clone or fast-forward, then ``bootstrap up --project DIR``
in a process of its own), and up to ``jobs`` pipelines run at once: one project's clone
overlaps another's sync, and all share one uv cache (uv locks it). Each ``up`` keeps its
own run lock, state and report, so a project that fails stops nothing else, and a re-run
finds the finished ones a no-op and does only what is left. What comes back from a
project's ``up`` is its exit code and its report (``--json``), read as untrusted text:
bounded, parsed, and only known fields used.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bootstrap import proc
from bootstrap.errors import EXIT_FAILED, BootstrapError
from bootstrap.repos.checkout import ensure_checkout
from bootstrap.repos.source import GitSource

UP_TIMEOUT = 4 * 3600.0  # a whole AI environment's first run fits; a hang does not
OUTPUT_LIMIT = 1 << 20  # bytes of a project's `up` output kept


@dataclass(frozen=True)
class Job:
    """One project to set up: where it comes from, where it goes, what `up` is told."""

    name: str
    source: GitSource
    dest: Path
    up_args: tuple[str, ...] = ()  # --profile/--strategy/--target/--cache-bundle ...
    # Arguments that depend on the checkout (a restore picks the bundle of the variant
    # this machine's plan chooses): called once the checkout is there.
    late_args: Callable[[Path], tuple[str, ...]] | None = None


@dataclass
class Outcome:
    name: str
    path: Path
    green: bool = False
    exit_code: int = EXIT_FAILED
    seconds: float = 0.0  # from the start of the whole run to this project's end
    checkout: str = ""  # what happened to the checkout, in words
    run_kind: str | None = None
    error: str | None = None
    fix: str | None = None
    report: dict[str, Any] | None = field(default=None, repr=False)

    def summary(self) -> str:
        if self.green:
            kind = {"noop": "already set up", "first": "first run"}.get(
                self.run_kind or "", self.run_kind or ""
            )
            return f"green in {self.seconds:.1f}s" + (f" ({kind})" if kind else "")
        return f"failed (exit {self.exit_code}): {self.error or 'see above'}"


def run_all(
    jobs: Sequence[Job],
    *,
    workers: int,
    started: float,
    on_change: Callable[[str, str], None],
    env: dict[str, str] | None = None,
) -> list[Outcome]:
    """Every job, ``workers`` at a time; outcomes in the jobs' order."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs) or 1))) as pool:
        futures = [pool.submit(_one, job, started, on_change, env) for job in jobs]
        return [f.result() for f in futures]


def _one(
    job: Job, started: float, on_change: Callable[[str, str], None], env: dict[str, str] | None
) -> Outcome:
    out = Outcome(job.name, job.dest)
    try:
        on_change(job.name, "cloning" if not job.dest.exists() else "fetching")
        got = ensure_checkout(job.source, job.dest)
        out.checkout = got.action + (f": {got.detail}" if got.action == "kept" else "")
        on_change(job.name, f"{got.action}; setting up")
        _up(job, out, env)
    except BootstrapError as exc:
        out.exit_code, out.error, out.fix = exc.exit_code, exc.message, exc.fix
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.seconds = time.time() - started
    on_change(job.name, out.summary())
    return out


def _up(job: Job, out: Outcome, env: dict[str, str] | None) -> None:
    late = job.late_args(job.dest) if job.late_args is not None else ()
    argv = [sys.executable, "-m", "bootstrap", "up", "--project", str(job.dest), "--json"]
    argv += [*job.up_args, *late]
    res = proc.run(argv, timeout=UP_TIMEOUT, env=env, limit=OUTPUT_LIMIT)
    out.exit_code = res.returncode if res.returncode is not None else EXIT_FAILED
    out.report = _report(res.stdout)
    if out.report is not None:
        kind = out.report.get("run_kind")
        out.run_kind = kind if isinstance(kind, str) else None
    out.green = res.ok
    if not res.ok:
        out.error, out.fix = _error_lines(res)


def _report(stdout: str) -> dict[str, Any] | None:
    """The report `up --json` printed, or None: the last JSON object on stdout."""
    text = stdout.strip()
    start = text.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(text[start:])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "hosts" in data:  # a handoff: one result per host, each with its report
        hosts = data.get("hosts")
        first = hosts[0] if isinstance(hosts, list) and hosts else None
        data = first.get("report") if isinstance(first, dict) else None
        return data if isinstance(data, dict) else None
    return data


def _error_lines(res: proc.Result) -> tuple[str, str | None]:
    """The ``error:`` and ``fix:`` lines `up` printed (its last), else git-style tail."""
    from bootstrap.sanitize import clean_text

    error = fix = None
    for text in res.stderr.splitlines():
        if text.startswith("error: "):
            error, fix = text[len("error: ") :], None
        elif text.startswith("  fix: ") and error is not None:
            fix = text[len("  fix: ") :]
    if error is None:
        error = res.describe()
    return clean_text(error)[:500], (clean_text(fix)[:500] if fix else None)


def child_env(workspace: Path) -> dict[str, str]:
    """The environment each project's `up` runs in: this one, the workspace named (a
    profile's ``[project] git`` clones there too), and the stage-0 clock of this run
    left out (each project's report times its own run)."""
    env = dict(os.environ)
    env["BOOTSTRAP_WORKSPACE"] = str(workspace)
    for var in [v for v in env if v.startswith("BOOTSTRAP_STAGE0")]:
        env.pop(var)
    return env
