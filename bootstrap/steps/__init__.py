"""Execution: the only layer with side effects.

Each step of a plan has an executor here that can *describe* itself, *check* whether it
is already done (that is how a re-run resumes after a failure and costs nothing after a
success), and *run*. The run state is written atomically after every step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bootstrap.errors import BootstrapError

if TYPE_CHECKING:
    from bootstrap.app import UpOptions
    from bootstrap.console import StepView
    from bootstrap.host.facts import HostFacts
    from bootstrap.paths import Paths
    from bootstrap.plan.model import Plan
    from bootstrap.steps.state import RunState
    from bootstrap.timing import Timer


@dataclass
class Context:
    paths: Paths
    plan: Plan
    profile: Any  # bootstrap.profiles.Profile
    facts: HostFacts
    options: UpOptions
    view: StepView
    timer: Timer
    state: RunState
    # Filled in as steps run (or find their work already done).
    uv: Path | None = None
    uv_version: str | None = None
    python: str | None = None
    env: dict[str, str] = field(default_factory=lambda: _project_environ(os.environ))
    network_used: bool = False
    cache_hit: bool | None = None
    bundle_used: bool = False
    installed: list[str] = field(default_factory=list)
    first_run_tail: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    # What a step wants kept in the run state beside its status (e.g. the Python found).
    step_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return Path(self.plan.project)

    @property
    def venv(self) -> Path:
        custom = self.env.get("UV_PROJECT_ENVIRONMENT")
        return Path(custom) if custom else self.project / ".venv"

    def input_files(self) -> list[Path]:
        """The files whose change must undo the no-op shortcut."""
        files = [self.project / self.plan.lock.path, self.project / "pyproject.toml"]
        source = getattr(self.profile, "source", None) or getattr(self.profile, "path", None)
        if source:
            files.append(Path(source))
        files.append(self.venv / "pyvenv.cfg")
        if self.uv is not None:
            files.append(self.uv)
        return files


def _project_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for uv and the first run: this tool's own virtual environment
    (``uv run`` activates it) must not leak into the project's."""
    env = dict(environ)
    for var in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX", "PYTHONHOME", "UV"):
        env.pop(var, None)
    return env


class Executor(Protocol):
    phase: str  # the timing phase this step's time counts towards

    def fingerprint(self, ctx: Context) -> str:
        """A hash of everything the step's result depends on."""

    def check(self, ctx: Context) -> str | None:
        """Why the step is already done (and fill ctx from it), or None to run it."""

    def run(self, ctx: Context) -> str:
        """Do the work; return a short note for the summary."""


def executors() -> dict[str, Executor]:
    from bootstrap.steps import ensure_uv, first_run_step, import_cache, python, sync_step

    return {
        "ensure-uv": ensure_uv.EnsureUv(),
        "python": python.ProvidePython(),
        "import-cache": import_cache.ImportCache(),
        "sync": sync_step.Sync(),
        "first-run": first_run_step.FirstRunStep(),
    }


def run_steps(ctx: Context) -> None:
    table = executors()
    for step in ctx.plan.steps:
        executor = table.get(step.name)
        if executor is None:  # "report" and other bookkeeping steps are the caller's
            continue
        with ctx.timer.phase(executor.phase):
            ctx.view.start(step.name, step.description)
            import time

            start = time.monotonic()
            fp = executor.fingerprint(ctx)
            try:
                already = executor.check(ctx) if ctx.state.done(step.name, fp) else None
                if already is not None:
                    ctx.view.finish(step.name, "skipped", time.monotonic() - start, already)
                    continue
                note = executor.run(ctx)
            except BootstrapError as exc:
                ctx.state.record(step.name, "failed", fp, error=exc.code)
                ctx.view.finish(step.name, "failed", time.monotonic() - start, exc.code)
                raise
            ctx.state.record(step.name, "done", fp, **ctx.step_data.get(step.name, {}))
            ctx.view.finish(step.name, "done", time.monotonic() - start, note)
