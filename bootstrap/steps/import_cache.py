"""import-cache: check a cache bundle against the repository and import its files.

Stage 0 (``install.sh --cache-bundle``) imports the bootstrapper's own wheels; this step
checks the whole bundle against the plan (target, the project's lock, the Python) and
imports the project's. A bundle imported before is not read again.
"""

from __future__ import annotations

from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


class ImportCache:
    phase = "cache"

    def fingerprint(self, spec: specs.ImportCache, ctx: Context) -> str:
        return fingerprint(spec.bundle, ctx.plan.target)

    def check(self, spec: specs.ImportCache, ctx: Context) -> str | None:
        return None  # the import itself skips a bundle it already imported

    def run(self, spec: specs.ImportCache, ctx: Context) -> str:
        from bootstrap.cache.use import import_for_plan

        ctx.bundle_used = True
        result = import_for_plan(
            spec.bundle,
            ctx.paths,
            target=ctx.plan.target,
            project_lock=ctx.project / ctx.plan.lock.path,
            python=ctx.python,
            env=ctx.env,
            pack_args=_pack_args(ctx),
        )
        if result.skipped:
            return "already imported; target and Python checked"
        return (
            f"{len(result.bundle.wheels)} files checked against the locks, {result.files} new, "
            f"in {result.duration:.1f}s"
        )


def _pack_args(ctx: Context) -> str:
    """How to name this run's profile to `bootstrap cache pack` on this machine: the
    project directory when the profile is the one the project keeps, else its name."""
    import shlex
    from pathlib import Path

    from bootstrap.profile_lookup import project_profile

    kept = project_profile(ctx.project)
    if kept is not None and ctx.plan.profile_path and Path(ctx.plan.profile_path) == kept:
        return f"--project {shlex.quote(str(ctx.project))}"
    return f"--profile {shlex.quote(ctx.plan.profile)}"
