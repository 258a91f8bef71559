"""ensure-uv: the pinned uv, installed and verified (a marker keeps re-runs cheap).

The plan names the version it was made with and where uv may come from; the pin file
holds the checksums, so it is read here, and a pin that names another version than the
plan's is refused rather than quietly installed.
"""

from __future__ import annotations

from bootstrap.errors import UserError
from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


def planned_version(spec: specs.EnsureUv) -> str:
    """The uv version the plan runs: the spec's, checked against the pin."""
    from bootstrap.uv import load

    pinned = load().version
    if spec.version not in ("pinned", pinned):
        raise UserError(
            f"the plan installs uv {spec.version}, and bootstrap/uv/pin.txt now pins "
            f"{pinned}: the pin changed after the plan was made",
            fix="run the command again: it plans with the current pin",
            code="uv.pin_changed",
        )
    return pinned


class EnsureUv:
    phase = "uv"

    def fingerprint(self, spec: specs.EnsureUv, ctx: Context) -> str:
        return fingerprint(planned_version(spec))

    def check(self, spec: specs.EnsureUv, ctx: Context) -> str | None:
        # uv's own "present and verified" check costs a stat and a marker read: always
        # ask it, so a deleted or tampered binary is caught even after a success.
        return None

    def run(self, spec: specs.EnsureUv, ctx: Context) -> str:
        from bootstrap.cache.use import ensure_uv

        planned_version(spec)
        result = ensure_uv(spec.bundle or None, ctx.paths, sources=spec.sources or None)
        ctx.uv = result.path
        ctx.uv_version = result.version
        if result.action == "present":
            return f"uv {result.version} present"
        return f"installed uv {result.version} from {result.source}"
