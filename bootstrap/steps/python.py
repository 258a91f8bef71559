"""Provide a Python for the environment: a system interpreter that satisfies the project,
or a uv-managed one (from the cache or a bundle; downloaded only when the profile's
``python_downloads`` and the network policy allow it).

With ``source = "bundle"`` it is the pinned CPython the cache bundle carried (imported
into ``<data>/python`` by stage 0 or the import-cache step, checked against the pin):
uv installs it offline from a downloads list written from the plan's copy of the pin,
and every later uv call of the run gets ``UV_MANAGED_PYTHON=1`` and ``UV_PYTHON`` set to
it, so no sync can quietly pick another interpreter."""

from __future__ import annotations

from pathlib import Path

from bootstrap import proc
from bootstrap.errors import BootstrapError
from bootstrap.plan import specs
from bootstrap.python.pin import Interpreter
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint


class PythonMissing(BootstrapError):
    pass


class ProvidePython:
    phase = "python"

    def fingerprint(self, spec: specs.ProvidePython, ctx: Context) -> str:
        return fingerprint(spec.request, ctx.uv_version, spec.downloads, *spec.pinned)

    def check(self, spec: specs.ProvidePython, ctx: Context) -> str | None:
        ctx.env["UV_PYTHON_DOWNLOADS"] = spec.uv_python_downloads
        if spec.source == "bundle":
            return self._bundled_present(spec, ctx)
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
        if spec.source == "bundle":
            return self._bundled(spec, ctx)
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

    # -- the interpreter the bundle carried -------------------------------------------

    def _use(self, ctx: Context, path: str) -> str:
        ctx.python = path
        ctx.env["UV_PYTHON"] = path
        ctx.env["UV_MANAGED_PYTHON"] = "1"
        ctx.env.pop("UV_NO_MANAGED_PYTHON", None)
        ctx.step_data["python"] = {"path": path}
        return path

    def _bundled_present(self, spec: specs.ProvidePython, ctx: Context) -> str | None:
        from bootstrap.python.downloads import PythonInstallFailed, find

        if ctx.uv is None:  # pragma: no cover - ensure-uv always runs first
            return None
        try:
            path = find(str(ctx.uv), _interpreter(spec), ctx.env)
        except PythonInstallFailed:
            return None
        return self._use(ctx, path) + f" (CPython {spec.pinned[1]}, managed, from the bundle)"

    def _bundled(self, spec: specs.ProvidePython, ctx: Context) -> str:
        from bootstrap.python.downloads import install

        present = self._bundled_present(spec, ctx)  # stage 0 installed it already
        if present is not None:
            return present
        it = _interpreter(spec)
        archive = ctx.paths.python_archives / it.filename
        if not archive.is_file():
            raise PythonMissing(
                f"the plan takes CPython {it.version} from the cache bundle, but "
                f"{archive} is not there (the bundle was not imported, or it carries none)",
                fix="re-run with the bundle packed with --with-python: "
                "bootstrap up --cache-bundle FILE",
                code="python.bundle_missing",
            )
        list_path = ctx.paths.python_archives / f"downloads-{it.triple}.json"
        assert ctx.uv is not None  # noqa: S101 - ensure-uv runs first
        done = install(str(ctx.uv), it, archive, list_path, ctx.env)
        if done.dropped:
            ctx.view.note(
                f"{', '.join(done.dropped)} unset for the interpreter's install: the list "
                "written from bootstrap/python/pin.txt decides where it comes from"
            )
        self._use(ctx, done.python)
        return f"{done.python} (CPython {it.version}, managed, from the bundle, offline)"


def _interpreter(spec: specs.ProvidePython) -> Interpreter:
    triple, version, filename, sha256 = spec.pinned
    return Interpreter(triple, version, filename, sha256, "file:///")
