"""Execution: the only layer with side effects.

The plan is the program: each step is a typed spec (bootstrap.plan.specs) carrying every
decision, and each spec type has one executor here, taking ``(spec, ctx)``. An executor
can say what its result depends on (*fingerprint*), *check* whether it is already done
(that is how a re-run resumes after a failure and costs nothing after a success), and
*run*. The run state is written atomically after every step. ``ctx`` is the runtime
(paths, output, timer, state and what earlier steps found), never the profile or the
command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bootstrap.errors import BootstrapError

# The specs are imported only for typing here: the no-op re-run imports this package (the
# run lock, the run state) and nothing of the plan (docs/bench.md (i)).

if TYPE_CHECKING:
    from bootstrap.console import StepView
    from bootstrap.host.facts import HostFacts
    from bootstrap.paths import Paths
    from bootstrap.plan.model import Plan
    from bootstrap.plan.specs import StepSpec
    from bootstrap.steps.state import RunState
    from bootstrap.timing import Timer


@dataclass
class Context:
    paths: Paths
    plan: Plan
    facts: HostFacts
    view: StepView
    timer: Timer
    state: RunState
    refresh: bool = False  # check every step again, and run the first run again
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
    # A handoff's result: the target's own report, and the exit code to propagate.
    handoff: dict[str, Any] = field(default_factory=dict)
    # The steps that did work in this run (the others found it done): the run's kind.
    ran: list[str] = field(default_factory=list)
    # The plan made again from a handoff target's own facts (the detect-there step): the
    # orchestrator's, so that no executor loads the profile. None: no re-planning here.
    replan: Callable[[HostFacts], Plan] | None = None

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
        if self.plan.profile_path:
            files.append(Path(self.plan.profile_path))
        files.append(self.venv / "pyvenv.cfg")
        # Written after a sync finished, removed before one starts (bootstrap.sync).
        files.append(self.venv / ".bootstrap-synced")
        if self.uv is not None:
            files.append(self.uv)
        return files


def _project_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for uv and the first run: this tool's own virtual environment
    (``uv run`` activates it) must not leak into the project's."""
    env = dict(environ)
    for var in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX", "PYTHONHOME", "UV"):
        env.pop(var, None)
    # Where the project's environment goes when it must not be the project's .venv (a
    # devcontainer keeps it outside the bind mount): stage 0 passes it under its own name,
    # since UV_PROJECT_ENVIRONMENT there names the bootstrapper's environment.
    project_env = env.pop("BOOTSTRAP_PROJECT_ENVIRONMENT", "")
    if project_env:
        env["UV_PROJECT_ENVIRONMENT"] = project_env
    return env


S_contra = TypeVar("S_contra", bound="StepSpec", contravariant=True)


class Executor(Protocol[S_contra]):
    phase: str  # the timing phase this step's time counts towards

    def fingerprint(self, spec: S_contra, ctx: Context) -> str:
        """A hash of everything the step's result depends on."""

    def check(self, spec: S_contra, ctx: Context) -> str | None:
        """Why the step is already done (and fill ctx from it), or None to run it."""

    def run(self, spec: S_contra, ctx: Context) -> str:
        """Do the work; return a short note for the summary."""


class UnknownStep(BootstrapError):
    """A plan holds a step no executor is registered for: a bug, never skipped."""


# One executor per spec type, as "module:Class" under bootstrap.steps, imported only when
# a plan holds that step (a native run never imports the handoff's modules). One marked
# ``after_steps`` (the report) is not run among the steps: the orchestrator runs it last,
# whatever their outcome (bootstrap.steps.run).
EXECUTORS: dict[str, str | None] = {
    "EnsureUv": "ensure_uv:EnsureUv",
    "ProvidePython": "python:ProvidePython",
    "ImportCache": "import_cache:ImportCache",
    "Sync": "sync_step:Sync",
    "WarmTools": "warm_tools:WarmTools",
    "FirstRun": "first_run_step:FirstRunStep",
    "Preflight": "handoff:PreflightStep",
    "Transfer": "handoff:TransferStep",
    "DetectThere": "handoff:DetectThereStep",
    "ShipBundle": "handoff:ShipBundleStep",
    "RunThere": "handoff:RunThereStep",
    "CollectReport": "handoff:CollectReportStep",
    "UserAction": "user_action:UserActionStep",
    "DevcontainerConfig": "devcontainer:DevcontainerConfigStep",
    "ContainerUp": "devcontainer:ContainerUpStep",
    "PostCreate": "devcontainer:PostCreateStep",
    "Report": "finish:ReportStep",
}


def executor_for(spec_type: type[StepSpec]) -> Executor[Any] | None:
    """The executor of ``spec_type`` (its module imported now); UnknownStep if none."""
    import importlib

    name = spec_type.__name__
    if name not in EXECUTORS:
        raise UnknownStep(f"no executor for plan step {name}", code="steps.unknown")
    where = EXECUTORS[name]
    if where is None:
        return None
    module, _, cls = where.partition(":")
    executor: Executor[Any] = getattr(importlib.import_module(f"bootstrap.steps.{module}"), cls)()
    return executor


def executors() -> dict[type[StepSpec], Executor[Any] | None]:
    """Every spec type with its executor (imports them all: for tests and tools)."""
    from bootstrap.plan import specs

    return {getattr(specs, name): executor_for(getattr(specs, name)) for name in EXECUTORS}


def run_steps(ctx: Context, steps: tuple[StepSpec, ...] | None = None) -> None:
    import time

    todo = ctx.plan.steps if steps is None else steps
    unknown = [type(s).__name__ for s in todo if type(s).__name__ not in EXECUTORS]
    if unknown:
        raise UnknownStep(
            f"no executor for plan step(s) {', '.join(unknown)}", code="steps.unknown"
        )
    for spec in todo:
        loading = time.monotonic()
        executor = executor_for(type(spec))
        if executor is None or getattr(executor, "after_steps", False):
            continue
        ctx.timer.add(executor.phase, time.monotonic() - loading)  # its import counts too
        with ctx.timer.phase(executor.phase):
            ctx.view.start(spec.name, spec.describe())
            start = time.monotonic()
            fp = executor.fingerprint(spec, ctx)
            try:
                done = ctx.state.done(spec.name, fp)
                already = executor.check(spec, ctx) if done else None
                if already is not None:
                    ctx.view.finish(spec.name, "skipped", time.monotonic() - start, already)
                    continue
                ctx.ran.append(spec.name)
                note = executor.run(spec, ctx)
            except BootstrapError as exc:
                ctx.state.record(spec.name, "failed", fp, error=exc.code)
                ctx.view.finish(spec.name, "failed", time.monotonic() - start, exc.code)
                raise
            ctx.state.record(spec.name, "done", fp, **ctx.step_data.get(spec.name, {}))
            ctx.view.finish(spec.name, "done", time.monotonic() - start, note)
