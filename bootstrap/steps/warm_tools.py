"""warm-tools: the profile's pinned tools put into uv's cache, so `uvx NAME@VERSION`
works offline from the first day.

A tool that cannot be warmed (offline with nothing cached, an index error) does not fail
the run: the environment and the first run do not need it. It is named in the summary
with the command that warms it later.

After a cache bundle was imported, each tool it carries is warmed from the wheelhouse
(``--find-links``), with no network; the summary names the command that runs it.
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
        from bootstrap.cache.use import wheelhouse
        from bootstrap.policy.tools import Tool, run_argv

        assert ctx.uv is not None  # noqa: S101 - ensure-uv always runs first
        offline = spec.network == "offline"
        house = wheelhouse(ctx.paths)
        warmed: list[str] = []
        missed: list[str] = []
        for name, version in spec.tools:
            tool = Tool(name, version)
            argv = [*run_argv(ctx.uv, tool, offline=offline, wheelhouse=house), "--version"]
            res = proc.run(argv, env=ctx.env, timeout=600)
            if res.ok:
                warmed.append(tool.command_with(house))
            else:
                missed.append(f"{name}@{version}")
            if not res.ok:
                ctx.notes.append(
                    f"tool {name}@{version} is not in the cache ({res.describe()}); "
                    "warm it with network: bootstrap tools --warm"
                )
        if missed:
            return f"{len(warmed)} of {len(spec.tools)} warmed; not: {', '.join(missed)}"
        return f"{len(warmed)} warmed: " + ", ".join(warmed)
