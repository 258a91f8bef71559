"""What a handoff needs from the way it reaches its target.

A transport runs shell commands there (captured or streamed), gives the argv of a command
that reads stdin (for a tar stream), copies a list of files and one large file, and names
a directory as a shell word there. The remote strategy's transport is the system OpenSSH
client (:mod:`bootstrap.transports.ssh`); others (a container's exec, ``wsl.exe``)
provide the same methods, so the handoff steps never know which one they drive.

Every method raises a :class:`~bootstrap.errors.BootstrapError` with the strategy's own
exit code when the transport itself fails (cannot connect, refused); a command that runs
and fails there is a result, not an exception. With ``dry_run`` set, commands are shown,
not run, and results are empty successes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from bootstrap import proc

# The most a peer's captured answer may hold (a probe, facts, a hash list, a report): a
# bigger one is cut there, and its result says ``overflow``.
CAPTURE_LIMIT = 8 << 20


class Transport(Protocol):
    dry_run: Callable[[str], None] | None

    @property
    def name(self) -> str:
        """The target as the user named it (for messages)."""
        ...

    def run(
        self,
        command: str,
        *,
        timeout: float = 60.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        limit: int = CAPTURE_LIMIT,
    ) -> proc.Result:
        """Run a shell command there and capture at most ``limit`` bytes of its output;
        ``env`` is set there for it (each transport carries it its own way: ssh in the
        command line, wsl.exe through WSLENV)."""

    def stream(
        self,
        command: str,
        *,
        timeout: float,
        on_line: Callable[[str], None],
        env: Mapping[str, str] | None = None,
    ) -> proc.Streamed:
        """Run a shell command there, each output line to ``on_line``."""

    def pipe_argv(self, command: str) -> list[str]:
        """The local argv that runs ``command`` there with our stdin as its stdin."""

    def sync_tree(
        self, repo: Path, files: Sequence[str], directory: str, *, timeout: float
    ) -> proc.Result:
        """Copy ``files`` (relative to ``repo``) into ``directory`` there, only what
        changed (rsync; the step falls back to a tar stream when the target has none)."""

    def put_file(self, path: Path, directory: str, name: str, *, timeout: float) -> proc.Result:
        """Copy one (large, resumable where possible) file to ``directory/name`` there."""

    def dir_word(self, directory: str) -> str:
        """``directory`` as a shell word there (``~/x`` is ``"$HOME"/x``)."""

    def close(self) -> None:
        """Release the connection and anything kept for it."""


class CommandTransport:
    """``run`` and ``stream`` for a transport that reaches its target through one local
    command per call (ssh, wsl.exe). A subclass says how a command becomes that argv
    (:meth:`command_argv`), which environment the local command gets
    (:meth:`command_env`), and which outcomes are the transport's own failure
    (:meth:`check`, :meth:`timed_out`); a dry run shows the argv instead."""

    dry_run: Callable[[str], None] | None = None

    def command_argv(self, command: str, env: Mapping[str, str] | None) -> list[str]:
        raise NotImplementedError

    def command_env(self, env: Mapping[str, str] | None) -> Mapping[str, str] | None:
        return None  # the local command inherits ours

    def shown(self, argv: Sequence[str]) -> bool:
        return show(self.dry_run, argv)

    def check(self, returncode: int | None, not_found: bool, output: str) -> None:
        """Raise when the transport itself failed (``output``: what it printed)."""

    def failure_output(self, stdout: str, stderr: str) -> str:
        """What :meth:`check` reads of a captured run (where the transport writes its own
        messages)."""
        return stderr

    def timed_out(self, command: str, timeout: float) -> Exception:
        raise NotImplementedError

    def run(
        self,
        command: str,
        *,
        timeout: float = 60.0,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        limit: int = CAPTURE_LIMIT,
    ) -> proc.Result:
        argv = self.command_argv(command, env)
        if self.shown(argv):
            return proc.Result(tuple(argv), 0, "", "", 0.0)
        res = proc.run(argv, timeout=timeout, input=input, env=self.command_env(env), limit=limit)
        self.check(res.returncode, res.not_found, self.failure_output(res.stdout, res.stderr))
        if res.timed_out:
            raise self.timed_out(command, timeout)
        return res

    def stream(
        self,
        command: str,
        *,
        timeout: float,
        on_line: Callable[[str], None],
        env: Mapping[str, str] | None = None,
    ) -> proc.Streamed:
        argv = self.command_argv(command, env)
        if self.shown(argv):
            return proc.Streamed(tuple(argv), 0, (), 0.0)
        res = proc.stream(argv, timeout=timeout, on_line=on_line, env=self.command_env(env))
        self.check(res.returncode, res.not_found, "\n".join(res.tail))
        return res


def home_word(directory: str) -> str:
    """A POSIX shell word for ``directory``: ``~/x`` becomes ``"$HOME"/x``."""
    import shlex

    if directory == "~":
        return '"$HOME"'
    if directory.startswith("~/"):
        return '"$HOME"/' + shlex.quote(directory[2:])
    return shlex.quote(directory)


def env_prefix(env: Mapping[str, str] | None) -> str:
    """A POSIX shell prefix that exports ``env`` for the command after it ("" for none)."""
    import shlex

    if not env:
        return ""
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " && "


def show(dry_run: Callable[[str], None] | None, argv: Sequence[str]) -> bool:
    """Print ``argv`` for a dry run; True when it must not run."""
    import shlex

    if dry_run is None:
        return False
    dry_run(shlex.join(argv))
    return True
