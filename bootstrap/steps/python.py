"""Provide a Python for the environment: a system interpreter that satisfies the project,
or a uv-managed one (from the cache or a bundle; downloaded only when the profile's
``python_downloads`` and the network policy allow it)."""

from __future__ import annotations

from pathlib import Path

from bootstrap import proc
from bootstrap.errors import BootstrapError
from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


class PythonMissing(BootstrapError):
    pass


class ProvidePython:
    phase = "python"

    def fingerprint(self, spec: specs.ProvidePython, ctx: Context) -> str:
        return fingerprint(spec.request, ctx.uv_version, spec.downloads)

    def check(self, spec: specs.ProvidePython, ctx: Context) -> str | None:
        ctx.env["UV_PYTHON_DOWNLOADS"] = spec.uv_python_downloads
        rec = ctx.state.steps.get("python", {})
        found = rec.get("path")
        if isinstance(found, str) and Path(found).exists():
            ctx.python = found
            ctx.env["UV_PYTHON"] = found
            return found
        return None

    def run(self, spec: specs.ProvidePython, ctx: Context) -> str:
        if ctx.uv is None:  # pragma: no cover - ensure-uv always runs first
            raise PythonMissing("no uv to find a Python with", code="python.no_uv")
        request = spec.request
        ctx.env["UV_PYTHON_DOWNLOADS"] = spec.uv_python_downloads
        env = dict(ctx.env)
        # Finding never downloads; installing is a separate, explicit step below.
        env["UV_PYTHON_DOWNLOADS"] = "never"
        found = proc.run(
            [ctx.uv, "python", "find", "--system", "--no-project", request], env=env, timeout=30
        )
        if not found.ok and spec.may_download:
            ctx.network_used = True
            proc.run([ctx.uv, "python", "install", request], env=ctx.env, timeout=600, check=True)
            found = proc.run(
                [ctx.uv, "python", "find", "--system", "--no-project", request], env=env, timeout=30
            )
        if not found.ok:
            raise PythonMissing(
                f"no Python satisfying {request!r} on this machine or in uv's store",
                fix="install one, use a cache bundle that carries it, or set "
                "[project] python_downloads = 'automatic' and run with --online",
                code="python.missing",
            )
        path = found.stdout.strip().splitlines()[-1]
        ctx.python = path
        ctx.env["UV_PYTHON"] = path
        ctx.step_data["python"] = {"path": path}
        return path
