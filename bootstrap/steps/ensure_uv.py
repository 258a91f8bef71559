"""ensure-uv: the pinned uv, installed and verified (a marker keeps re-runs cheap)."""

from __future__ import annotations

from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


class EnsureUv:
    phase = "uv"

    def fingerprint(self, spec: specs.EnsureUv, ctx: Context) -> str:
        from bootstrap.uv import load

        return fingerprint(load().version)

    def check(self, spec: specs.EnsureUv, ctx: Context) -> str | None:
        # uv's own "present and verified" check costs a stat and a marker read: always
        # ask it, so a deleted or tampered binary is caught even after a success.
        return None

    def run(self, spec: specs.EnsureUv, ctx: Context) -> str:
        from bootstrap.cache.use import ensure_uv

        result = ensure_uv(spec.bundle or None, ctx.paths)
        ctx.uv = result.path
        ctx.uv_version = result.version
        if result.action == "present":
            return f"uv {result.version} present"
        return f"installed uv {result.version} from {result.source}"
