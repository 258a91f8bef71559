"""The devcontainer strategy's transport: the Dev Containers CLI over Docker or Podman.

`devcontainer up` creates (or reuses) the container and `devcontainer exec` runs stage 0
in it, with the user, folder and environment the devcontainer.json gives. The few small
commands of a handoff (a probe, cleaning the staging directory) go through the engine's
own `exec` on the container the CLI reported: each `devcontainer exec` starts Node and
reads the configuration again (about a second), and a re-run must stay a fast no-op.

The CLI comes from PATH, else `npx --yes @devcontainers/cli@<CLI_VERSION>` when Node is
there; the version is pinned here so every machine runs the same CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bootstrap import proc
from bootstrap.errors import ActionRequired, BootstrapError
from bootstrap.transports.base import CAPTURE_LIMIT, env_prefix, show

CLI_VERSION = "0.89.0"
CLI_PACKAGE = "@devcontainers/cli"
BUNDLE_HOST_DIR = ".devcontainer/cache-bundle"  # relative to the workspace, git-ignored
BUNDLE_NAME = "bundle.tar"


class ContainerFailed(BootstrapError):
    """`devcontainer up` failed (the image, the container or a lifecycle command)."""


def cli_argv(
    version: str = CLI_VERSION, which: Callable[[str], str | None] = shutil.which
) -> list[str]:
    """How to start the Dev Containers CLI here."""
    found = which("devcontainer")
    if found:
        return [found]
    npx = which("npx")
    if npx:
        return [npx, "--yes", f"{CLI_PACKAGE}@{version}"]
    raise ActionRequired(
        "the Dev Containers CLI was not found: no `devcontainer` on PATH and no `npx` "
        "(Node.js) to run it",
        fix=f"install it with `npm install -g {CLI_PACKAGE}@{version}`, or install Node.js "
        f"so that `npx --yes {CLI_PACKAGE}@{version}` can run it",
        code="devcontainer.no_cli",
    )


PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")

# What the CLI (Node), npx and the engines need from this host's environment, and nothing
# else. A user's devcontainer.json may copy any host variable into the container
# (`${localEnv:NAME}` in containerEnv, remoteEnv, runArgs, ...), so a sink token, a
# GITHUB_TOKEN or an index password in our environment must not be there to copy.
CLI_ENV = frozenset(
    {
        # the basics of any process
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ",
        "TMPDIR", "TMP", "TEMP", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
        "XDG_CACHE_HOME", "DBUS_SESSION_BUS_ADDRESS",
        # Windows: where programs, profiles and the shell are
        "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE",
        "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)",
        "PROGRAMW6432", "COMMONPROGRAMFILES", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
        "USERNAME", "USERDOMAIN", "HOMEDRIVE", "HOMEPATH",
        # which engine the CLI talks to, and how (paths and addresses, no credentials)
        "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH",
        "DOCKER_TLS_VERIFY", "CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINERS_CONF",
        "CONTAINERS_REGISTRIES_CONF", "CONTAINERS_STORAGE_CONF", "BUILDAH_ISOLATION",
        # Node and npx (the CLI's runtime; the team's CA for npm's registry)
        "NODE_EXTRA_CA_CERTS", "NPM_CONFIG_REGISTRY", "NPM_CONFIG_CACHE",
        "NPM_CONFIG_USERCONFIG", "NPM_CONFIG_CAFILE",
        # what the generated devcontainer.json reads with ${localEnv:...}
        "BOOTSTRAP_HANDOFF_ELAPSED",
    }
)  # fmt: skip


def cli_environment(environ: Mapping[str, str], *, pass_proxy: bool = False) -> dict[str, str]:
    """The environment the Dev Containers CLI starts with: the allow-list above (names
    compared upper-cased, so Windows' mixed case and npm's lower-case spellings match),
    plus the proxy settings when the sync may use the network. Without ``pass_proxy`` they
    stay out: Podman copies them into every container it creates (`--http-proxy` is on
    by default), credentials included."""
    out = {k: v for k, v in environ.items() if k.upper() in CLI_ENV or k.startswith("LC_")}
    if pass_proxy:
        out.update({k: v for k, v in environ.items() if k.lower() in PROXY_VARS})
    return out


def outcome(lines: Sequence[str]) -> dict[str, Any]:
    """The JSON result `devcontainer up` prints as its last line on stdout."""
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("{") and '"outcome"' in text:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return {}


@dataclass
class DevcontainerLink:
    """One workspace's dev container, reached through the CLI and its engine."""

    workspace: Path
    engine: str = "docker"
    cli_version: str = CLI_VERSION
    config: str | None = None  # --config, relative to the workspace (None: the default)
    mounts: tuple[str, ...] = ()  # --mount, for a user's devcontainer.json
    remote_env: tuple[str, ...] = ()  # --remote-env NAME=value likewise
    pass_proxy: bool = False  # the CLI gets this host's proxy settings (an online sync)
    dry_run: Callable[[str], None] | None = None
    name: str = "devcontainer"
    container_id: str | None = None
    remote_user: str | None = None
    folder: str | None = None
    _cli: list[str] | None = field(default=None, repr=False)

    # -- the CLI -----------------------------------------------------------------------

    def cli(self, command: str, *args: str) -> list[str]:
        if self._cli is None:
            self._cli = cli_argv(self.cli_version)
        argv = [*self._cli, command, "--workspace-folder", str(self.workspace)]
        if self.engine != "docker":
            argv += ["--docker-path", self.engine]
        if self.config:
            argv += ["--config", str(self.workspace / self.config)]
        return [*argv, *args]

    def up_argv(self, *, skip_post_create: bool) -> list[str]:
        args: list[str] = []
        for mount in self.mounts:
            args += ["--mount", mount]
        for env in self.remote_env:
            args += ["--remote-env", env]
        if skip_post_create:
            args.append("--skip-post-create")
        return self.cli("up", *args)

    def up(
        self, *, skip_post_create: bool, env: Mapping[str, str], timeout: float
    ) -> tuple[proc.Streamed, dict[str, Any]]:
        """`devcontainer up` with ``env`` as its whole environment; (its run, its JSON
        result). The container's id, user and workspace folder are kept for the commands
        that follow."""
        argv = self.up_argv(skip_post_create=skip_post_create)
        if show(self.dry_run, argv):
            return proc.Streamed(tuple(argv), 0, (), 0.0), {"outcome": "success"}
        res = proc.stream(argv, timeout=timeout, on_line=lambda _line: None, env=env, keep=60)
        if res.not_found:
            raise ActionRequired(
                f"cannot start the Dev Containers CLI ({argv[0]})",
                fix=f"install it: `npm install -g {CLI_PACKAGE}@{self.cli_version}`",
                code="devcontainer.no_cli",
            )
        result = outcome(res.tail)
        if result.get("outcome") == "success":
            self.container_id = str(result.get("containerId") or "") or None
            self.remote_user = str(result.get("remoteUser") or "") or None
            self.folder = str(result.get("remoteWorkspaceFolder") or "") or None
        return res, result

    def exec_argv(self, command: str, env: Mapping[str, str] | None = None) -> list[str]:
        extra: list[str] = []
        for pair in (*self.remote_env, *(f"{k}={v}" for k, v in (env or {}).items())):
            extra += ["--remote-env", pair]
        return self.cli("exec", *extra, "sh", "-c", command)

    # -- Transport -------------------------------------------------------------------

    def _engine_exec(self, command: str, *, stdin: bool = False) -> list[str]:
        if not self.container_id:
            raise BootstrapError(
                "the dev container is not up yet", code="devcontainer.not_up"
            )  # pragma: no cover - container-up runs first
        argv = [self.engine, "exec"]
        if stdin:
            argv.append("-i")
        if self.remote_user:
            argv += ["-u", self.remote_user]
        if self.folder:
            argv += ["-w", self.folder]
        return [*argv, self.container_id, "sh", "-c", command]

    def run(
        self,
        command: str,
        *,
        timeout: float = 60.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        limit: int = CAPTURE_LIMIT,
    ) -> proc.Result:
        # ``env`` is exported in the command, as over ssh (the Transport contract).
        command = env_prefix(env) + command
        if self.dry_run is not None:
            show(self.dry_run, [self.engine, "exec", "<container>", "sh", "-c", command])
            return proc.Result((), 0, "", "", 0.0)
        return proc.run(self._engine_exec(command, stdin=input is not None), timeout=timeout,
                        input=input, limit=limit)  # fmt: skip

    def stream(
        self,
        command: str,
        *,
        timeout: float,
        on_line: Callable[[str], None],
        env: Mapping[str, str] | None = None,
    ) -> proc.Streamed:
        """``command`` through `devcontainer exec` (remoteEnv, remoteUser, the user's
        environment probe), ``env`` passed as --remote-env."""
        argv = self.exec_argv(command, env)
        if show(self.dry_run, argv):
            return proc.Streamed(tuple(argv), 0, (), 0.0)
        # `exec` resolves a user's ${localEnv:...} again: the same allow-listed environment.
        local = cli_environment(os.environ, pass_proxy=self.pass_proxy)
        return proc.stream(argv, timeout=timeout, on_line=on_line, env=local)

    def pipe_argv(self, command: str) -> list[str]:
        return self._engine_exec(command, stdin=True)

    def sync_tree(
        self, repo: Path, files: Sequence[str], directory: str, *, timeout: float
    ) -> proc.Result:
        """The workspace is bind-mounted: the container sees its files as they are, and
        nothing is copied. Files from elsewhere (``repo`` is not the workspace: what the
        handoff adds to it) are copied into the workspace on this host, only those that
        differ; ``directory`` is the container's name for the workspace folder."""
        if repo.resolve() == self.workspace.resolve():
            return proc.Result(
                ("bind-mount",), 0, "Number of regular files transferred: 0", "", 0.0
            )
        if show(self.dry_run, ["cp", "-p", f"{repo}/...", str(self.workspace)]):
            return proc.Result((), 0, "Number of regular files transferred: 0", "", 0.0)
        copied = 0
        for name in files:
            src, dest = repo / name, self.workspace / name
            st = src.stat()
            with contextlib.suppress(OSError):
                there = dest.stat()
                if there.st_size == st.st_size and (
                    int(there.st_mtime) == int(st.st_mtime)
                    if st.st_size > 1 << 22  # the wheel: size and time, as rsync
                    else dest.read_bytes() == src.read_bytes()  # small: the bytes
                ):
                    continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.partial")
            shutil.copy2(src, partial)
            partial.replace(dest)
            copied += 1
        stats = f"Number of regular files transferred: {copied}"
        return proc.Result(("cp", str(repo), str(self.workspace)), 0, stats, "", 0.0)

    def put_file(self, path: Path, directory: str, name: str, *, timeout: float) -> proc.Result:
        """The bundle goes to the workspace's bundle folder on this host, which the
        container mounts read-only; ``name`` is ignored (the devcontainer.json names one
        file)."""
        dest_dir = self.workspace / BUNDLE_HOST_DIR
        dest = dest_dir / BUNDLE_NAME
        if show(self.dry_run, ["cp", str(path), str(dest)]):
            return proc.Result((), 0, "", "", 0.0)
        dest_dir.mkdir(parents=True, exist_ok=True)
        ignore = dest_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# cache bundles staged by bootstrap for the dev container\n*\n")
        partial = dest_dir / f".{BUNDLE_NAME}.partial"
        partial.unlink(missing_ok=True)
        try:
            os.link(path, partial)  # same file system: no copy
        except OSError:
            shutil.copyfile(path, partial)
        partial.replace(dest)
        return proc.Result(("cp", str(path), str(dest)), 0, "", "", 0.0)

    def dir_word(self, directory: str) -> str:
        # Commands run in the workspace folder the CLI reported (`exec -w`).
        return "."

    def close(self) -> None:
        """The container keeps running: the user works in it, and a re-run reuses it."""


def workspace_container_running(engine: str, workspace: str, timeout: float = 5.0) -> bool:
    """Whether the engine runs the CLI's container for ``workspace`` now (one `ps`, no
    CLI: the CLI labels its containers with the workspace folder)."""
    res = proc.run(
        [engine, "ps", "-q", "--filter", f"label=devcontainer.local_folder={workspace}",
         "--filter", "status=running"],
        timeout=timeout,
    )  # fmt: skip
    return res.ok and bool(res.stdout.strip())
