"""warm-tools: the profile's pinned tools put into uv's cache, so `uvx NAME@VERSION`
works offline from the first day.

A tool that cannot be warmed (offline with nothing cached, an index error) does not fail
the run: the environment and the first run do not need it. It is named in the summary
with the command that warms it later.
"""

from __future__ import annotations

from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


class WarmTools:
    phase = "sync"

    def fingerprint(self, spec: specs.WarmTools, ctx: Context) -> str:
        return fingerprint(*(f"{n}@{v}" for n, v in spec.tools))

    def check(self, spec: specs.WarmTools, ctx: Context) -> str | None:
        return None  # uv answers from its cache in milliseconds once a tool is there

    def run(self, spec: specs.WarmTools, ctx: Context) -> str:
        from bootstrap import proc

        assert ctx.uv is not None  # noqa: S101 - ensure-uv always runs first
        warmed: list[str] = []
        missed: list[str] = []
        for name, version in spec.tools:
            argv = [str(ctx.uv), "tool", "run"]
            if spec.network == "offline":
                argv.append("--offline")
            res = proc.run([*argv, f"{name}@{version}", "--version"], env=ctx.env, timeout=600)
            (warmed if res.ok else missed).append(f"{name}@{version}")
            if not res.ok:
                ctx.notes.append(
                    f"tool {name}@{version} is not in the cache ({res.describe()}); "
                    "warm it with network: bootstrap tools --warm"
                )
        if missed:
            return f"{len(warmed)} of {len(spec.tools)} warmed; not: {', '.join(missed)}"
        return f"{len(warmed)} warmed: " + ", ".join(f"uvx {w}" for w in warmed)
