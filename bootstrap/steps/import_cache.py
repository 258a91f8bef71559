"""import-cache: verify a cache bundle and merge it into uv's cache.

Stage 0 may already have done this (``install.sh --cache-bundle``, which passes
``--bundle-imported``); the bundle is then only recorded as used.
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
        return None  # a bundle given again is imported again: it is cheap and idempotent

    def run(self, spec: specs.ImportCache, ctx: Context) -> str:
        from bootstrap.cache import import_bundle, resolve_bundle, verify
        from bootstrap.cache.pin import repo_pin
        from bootstrap.sync import uv_cache_dir, uv_python_dir

        assert ctx.uv is not None  # noqa: S101 - ensure-uv always runs first
        ctx.bundle_used = True
        bundle = resolve_bundle(spec.bundle, ctx.paths.cache / "bundles")
        if spec.prestaged:
            # Stage 0 checked the checksums and the OS/arch; only the plan knows the
            # accelerator variant, so the full target is checked here.
            verify(bundle, expected_target=ctx.plan.target, pin=repo_pin())
            return "imported by stage 0; target verified"
        result = import_bundle(
            bundle,
            uv_cache_dir(ctx.uv, ctx.env),
            python_install_dir=uv_python_dir(ctx.uv, ctx.env),
            expected_target=ctx.plan.target,
            pin=repo_pin(),
        )
        return f"{result.files} files into uv's cache in {result.duration:.1f}s"
