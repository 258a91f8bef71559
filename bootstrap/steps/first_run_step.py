"""The first-run step: run the profile's command in the synced environment."""

from __future__ import annotations

from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.first_run import run_first
from bootstrap.steps.state import fingerprint


class FirstRunStep:
    phase = "first_run"

    def fingerprint(self, spec: specs.FirstRun, ctx: Context) -> str:
        # A new sync (another lock, extras or Python) means a new first run.
        sync = ctx.state.steps.get("sync", {}).get("fingerprint")
        return fingerprint(list(spec.argv), sync)

    def check(self, spec: specs.FirstRun, ctx: Context) -> str | None:
        if ctx.refresh:
            return None
        return "succeeded before with this environment"

    def run(self, spec: specs.FirstRun, ctx: Context) -> str:
        result = run_first(
            spec.argv,
            venv=ctx.venv,
            cwd=ctx.project,
            timeout=spec.timeout,
            base_env=ctx.env,
            on_line=ctx.view.output,
        )
        ctx.first_run_tail = result.tail
        return f"exit 0 in {result.seconds:.2f}s"
