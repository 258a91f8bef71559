"""sync: the locked environment, offline from the cache.

The plan's sync step carries uv's arguments and, when the profile's ``[sync] network =
"allow"`` lets a cache miss go to the index, the arguments of that second sync: this
runs them as they are (``bootstrap.sync`` adds only where). The report records whether
the index was used.
"""

from __future__ import annotations

from bootstrap.errors import OfflineMiss
from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import file_digest, fingerprint


class Sync:
    phase = "sync"

    def fingerprint(self, spec: specs.Sync, ctx: Context) -> str:
        lock = spec.lock
        return fingerprint(
            file_digest(ctx.project / lock.path),
            lock.kind,
            list(lock.extras),
            list(lock.groups),
            ctx.python,
            ctx.uv_version,
            # Only the selection beyond extras and groups, so that earlier records match.
            *[
                f
                for f in lock.uv_flags()
                if f not in ("--extra", "--group", *lock.extras, *lock.groups)
            ],
        )

    def check(self, spec: specs.Sync, ctx: Context) -> str | None:
        from bootstrap.sync import is_synced

        if ctx.uv is None:
            return None
        if is_synced(ctx.uv, ctx.project, spec.lock, env=ctx.env, python=ctx.python):
            ctx.cache_hit = True
            return "environment matches the lock"
        return None

    def run(self, spec: specs.Sync, ctx: Context) -> str:
        from bootstrap.cache.use import wheelhouse
        from bootstrap.sync import sync

        assert ctx.uv is not None  # noqa: S101 - ensure-uv always runs first
        # The plan's argv decides: from the wheelhouse only when it says so.
        house = wheelhouse(ctx.paths) if spec.from_wheelhouse else None
        try:
            result = sync(
                ctx.uv,
                ctx.project,
                spec.lock,
                env=ctx.env,
                python=ctx.python,
                find_links=house,
                argv=spec.argv,
            )
        except OfflineMiss:
            if not spec.fallback_argv:
                raise
            ctx.notes.append("cache miss: fell back to the index ([sync] network = allow)")
            result = sync(
                ctx.uv,
                ctx.project,
                spec.lock,
                env=ctx.env,
                python=ctx.python,
                argv=spec.fallback_argv,
            )
        ctx.network_used = ctx.network_used or result.network_used
        ctx.cache_hit = result.cache_hit
        ctx.notes.extend(result.warnings)
        where = "from the index" if result.network_used else f"offline, from {result.source}"
        return f"{result.installed} installed, {result.removed} removed ({where})"
