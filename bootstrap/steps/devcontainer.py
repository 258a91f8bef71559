"""The devcontainer handoff's own steps: write the config, bring the container up, run
stage 0 in it. The rest (the bundle, the report, recording it here) is the handoff
contract's (bootstrap.steps.handoff), driven through the CLI's transport."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import BootstrapError
from bootstrap.peer import clean_line
from bootstrap.plan import specs
from bootstrap.steps import Context
from bootstrap.steps.handoff import STAGE, EveryRun, Unfit, _target
from bootstrap.strategies import devcontainer_config as dc

# Beside the config: the SHA-256 of the file as bootstrap last wrote it. A config whose
# hash still matches is ours to rewrite; any other is the user's and is never touched.
MARKER = ".bootstrap-generated"
UP_TIMEOUT = 1800.0  # an image build or pull can be slow; the CLI has no timeout of its own


@dataclass(frozen=True)
class ConfigResult:
    status: str  # "written" | "unchanged" | "kept" (the user's) | "overwritten" (--force)
    path: Path
    diff: tuple[str, ...] = ()


def write_config(workspace: Path, rel: str, text: str, *, force: bool = False) -> ConfigResult:
    """Write the generated devcontainer.json unless the user has their own there."""
    from bootstrap.paths import atomic_write

    path = workspace / rel
    marker = path.parent / MARKER
    (workspace / dc.BUNDLE_HOST_DIR).mkdir(parents=True, exist_ok=True)  # the mount's source
    ignore = workspace / dc.BUNDLE_HOST_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# cache bundles staged by bootstrap for the dev container\n*\n")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if path.is_file():
        current = path.read_text(encoding="utf-8", errors="replace")
        if current == text:
            return ConfigResult("unchanged", path)
        ours = marker.is_file() and marker.read_text().strip() == _sha(current)
        if not (ours or force):
            return ConfigResult("kept", path, tuple(dc.diff(current, text, rel)))
        status = "overwritten" if not ours else "written"
    else:
        status = "written"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())
    atomic_write(marker, (digest + "\n").encode())
    return ConfigResult(status, path)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class DevcontainerConfigStep(EveryRun):
    phase = "container"

    def run(self, spec: specs.DevcontainerConfig, ctx: Context) -> str:
        from bootstrap.steps.carry import TOOL_REPO
        from bootstrap.steps.handoff import check_stage0_script

        check_stage0_script(TOOL_REPO)  # the install.sh the container runs: before anything
        workspace = Path(spec.workspace)
        text = dc.render(spec.document())
        if _target(ctx).link.dry_run is not None:
            return f"would write {spec.path} unless the user has one"
        result = write_config(workspace, spec.path, text)
        if result.status == "kept":
            ctx.handoff["user_config"] = dc.check_user_config(
                spec.path, result.path.read_text(errors="replace")
            )
            if result.diff:
                ctx.view.note(
                    f"{spec.path} is yours: it is used as it is (`bootstrap devcontainer "
                    "generate --force` replaces it); what bootstrap would write differs:"
                )
                for line in result.diff[:60]:
                    ctx.view.output(line)
            return f"kept your {spec.path}; the cache volume, bundle and environment are added"
        return f"{spec.path} {result.status}"


class ContainerUpStep(EveryRun):
    phase = "container"

    def run(self, spec: specs.ContainerUp, ctx: Context) -> str:
        from bootstrap.transports.devcontainer_cli import DevcontainerLink

        target = _target(ctx)
        link = target.link
        assert isinstance(link, DevcontainerLink)  # noqa: S101 - the strategy's transport
        if ctx.facts.tools.container_engine is None and link.dry_run is None:
            # Forced with --strategy on a host where no engine answered detection.
            from bootstrap.errors import ActionRequired
            from bootstrap.strategies.devcontainer import ENGINE_FIX

            raise ActionRequired(
                "no container engine answers here"
                + (f" ({ctx.facts.tools.engine_error})" if ctx.facts.tools.engine_error else ""),
                fix=ENGINE_FIX,
                code="devcontainer.no_engine",
            )
        users = ctx.handoff.get("user_config")
        user = users is not None
        if spec.config_path != ".devcontainer/devcontainer.json":
            link.config = spec.config_path
        if users is not None:
            # The user's file may lack what the handoff needs: add only that, on the
            # command line, and leave the file as it is.
            mounts, link.remote_env = dc.missing(users, spec.mounts, spec.remote_env)
            link.mounts = tuple(dc.cli_mount(m, spec.workspace) for m in mounts)
        if link.dry_run is None:  # the bundle mount's source must exist
            (Path(spec.workspace) / dc.BUNDLE_HOST_DIR).mkdir(parents=True, exist_ok=True)
        # Our own config's postCreateCommand is stage 0, which the next step runs (timed,
        # streamed); a user's lifecycle commands run here, as any editor would run them.
        from bootstrap.transports.devcontainer_cli import cli_environment

        link.pass_proxy = spec.pass_proxy
        env = cli_environment(os.environ, pass_proxy=spec.pass_proxy)
        res, result = link.up(skip_post_create=not user, env=env, timeout=UP_TIMEOUT)
        if link.dry_run is not None:
            target.probe = {"dry_run": "1"}
            return "dry run"
        if result.get("outcome") != "success":
            raise _up_failed(link.up_argv(skip_post_create=not user), res, result, ctx)
        before = ctx.state.steps.get(spec.name, {}).get("container")
        ctx.step_data[spec.name] = {"container": link.container_id}
        probe = link.run(
            "command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; "
            'print("%d.%d.%d" % sys.version_info[:3])\'; '
            f"rm -rf {STAGE} && mkdir -p {STAGE}",
            timeout=60,
        )
        if probe.overflow:
            from bootstrap.peer import overflowed

            raise overflowed(target.name, "Python check")
        version = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else ""
        if not re.fullmatch(r"\d{1,3}\.\d{1,4}\.\d{1,4}", version):
            version = ""  # not a version: what the check printed is not shown as one
        # The workspace is bind-mounted: the transfer copies on this host, never through
        # the container.
        target.probe = {
            "os": "Linux",
            "python": version,
            "python_cmd": "python3",
            "bind_mount": "1",
        }
        parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        if not version or parts < (3, 9):
            raise Unfit(
                f"the container has {'Python ' + version if version else 'no python3'}; "
                "the bootstrapper needs Python >= 3.9 there",
                fix="use an image with python3 (Debian/Ubuntu: install the python3 package "
                "in its Dockerfile)",
                code="devcontainer.no_python",
            )
        how = "reused" if before == link.container_id else "created"
        return f"container {(link.container_id or '?')[:12]} {how}, Python {version}"


def _up_failed(
    argv: list[str], res: object, result: dict[str, object], ctx: Context
) -> BootstrapError:
    """`devcontainer up` failed: the tail of its log, and the exact command to retry."""
    from bootstrap import proc

    assert isinstance(res, proc.Streamed)  # noqa: S101
    message = clean_line(str(result.get("message") or "").strip(), 500)
    description = clean_line(str(result.get("description") or "").strip(), 500)
    lifecycle = next(
        (
            word
            for word in ("postCreateCommand", "onCreateCommand", "updateContentCommand",
                         "postStartCommand", "initializeCommand")
            if word in message or word in description
        ),
        None,
    )  # fmt: skip
    ctx.view.note("the last lines of `devcontainer up`:")
    # The CLI's own JavaScript stack frames tell the user nothing: leave them out.
    log = [ln for ln in res.tail if '"outcome"' not in ln and not ln.lstrip().startswith("at ")]
    for line in log[-20:]:
        ctx.view.output(clean_line(line))
    if res.timed_out:
        message = f"timed out after {res.duration:.0f}s"
    what = f"the devcontainer's {lifecycle} failed" if lifecycle else "`devcontainer up` failed"
    return BootstrapError(
        f"{what}: {message or f'exit {res.returncode}'}",
        fix="fix it, then retry with `" + shlex.join(argv) + "` or re-run `bootstrap up`",
        code="devcontainer.post_create" if lifecycle else "devcontainer.up",
    )


class PostCreateStep(EveryRun):
    phase = "remote"  # replaced by stage 0's own phases in the report (as run-there's)

    def run(self, spec: specs.PostCreate, ctx: Context) -> str:
        from bootstrap.transports.devcontainer_cli import DevcontainerLink

        target = _target(ctx)
        link = target.link
        assert isinstance(link, DevcontainerLink)  # noqa: S101
        started = float(ctx.handoff.get("started", time.time()))
        env = {
            "BOOTSTRAP_HANDOFF_ELAPSED": f"{max(0.0, time.time() - started):.3f}",
            "BOOTSTRAP_NO_METRICS": "1",  # sinks and their tokens stay on this host
        }
        res = link.stream(
            spec.command,
            timeout=float(ctx.handoff.get("timeout", 3600)),
            on_line=lambda line: ctx.view.output("[devcontainer] " + clean_line(line)),
            env=env,
        )
        target.exit_code = res.returncode
        if res.returncode != 0 and link.dry_run is None:
            retry = link.exec_argv(spec.command)
            ctx.view.note("retry stage 0 in the container with: " + shlex.join(retry))
        return f"exit {res.returncode} in {res.duration:.2f}s"
