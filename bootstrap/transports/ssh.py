"""The remote strategy's transport: the system OpenSSH client, one connection per run.

The user's ``~/.ssh/config``, agent and known_hosts work as they do for everything else
(``BOOTSTRAP_SSH_CONFIG`` names another config file, given to ssh as ``-F``, for CI and
tests). One multiplexed connection (ControlMaster) carries the many small commands of a
run, so they cost one handshake. Nothing ever prompts: BatchMode, and an unknown host
key is an error naming the choice unless the profile or a flag accepts new keys.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import proc
from bootstrap.errors import EXIT_TARGET_REFUSED, EXIT_UNREACHABLE, BootstrapError
from bootstrap.transports.base import CommandTransport, env_prefix, home_word, show

CONNECT_TIMEOUT = 10  # seconds for the TCP connection and the handshake


class Unreachable(BootstrapError):
    exit_code = EXIT_UNREACHABLE


class Refused(BootstrapError):
    exit_code = EXIT_TARGET_REFUSED


@dataclass(frozen=True)
class Destination:
    """``[user@]host[:port]`` or an ssh_config alias."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> Destination:
        """Raises UserError for what ssh would misread: no host (an unset variable), a
        port that is not 1-65535, an option-like or blank word."""
        from bootstrap.errors import UserError

        user, _, rest = text.strip().rpartition("@")
        host, port = rest, None
        m = re.fullmatch(r"(.+):(\d+)", rest)
        if m:
            host, port = m.group(1), int(m.group(2)[:6])
            if len(m.group(2)) > 5 or not 1 <= port <= 65535:
                raise UserError(
                    f"remote host {text!r}: port {m.group(2)[:20]} is not a port (1-65535)",
                    code="remote.bad_host",
                )
        if not host or host.startswith("-") or any(c.isspace() for c in host + user):
            raise UserError(
                f"remote host {text!r}: expected [user@]host[:port] or an ssh_config alias",
                fix="give the box, e.g. --remote me@gpu-box or --remote gpu-box:2222",
                code="remote.bad_host",
            )
        return cls(host, user or None, port)

    def login(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        return self.login() + (f":{self.port}" if self.port else "")


def _classify(
    dest: Destination, stderr: str, resolved: tuple[str, int] | None = None
) -> BootstrapError:
    """ssh's own failure as an error with a fix. ``resolved``: (host name, port) as the
    ssh config resolves ``dest`` (an alias names neither), for the commands in fixes."""
    text = stderr.strip()
    last = text.splitlines()[-1] if text else "ssh exited 255 with no message"
    where = str(dest)
    host, port = resolved or (dest.host, dest.port or 22)
    login = shlex.quote(dest.login())
    if "Host key verification failed" in text or "host key for" in text.lower():
        changed = "REMOTE HOST IDENTIFICATION HAS CHANGED" in text
        # ssh-keyscan reads no ssh config: it needs the real host name and port.
        known = f"[{host}]:{port}" if port != 22 else host
        return Refused(
            f"{where}: the host key is {'different from the one known' if changed else 'not known'}"
            " (ssh refuses it in batch mode)",
            fix=(
                f"remove the old key with `ssh-keygen -R {shlex.quote(known)}` after checking "
                "why it changed"
                if changed
                else f"check the key and add it: `ssh-keyscan -p {port} {shlex.quote(host)} "
                ">> ~/.ssh/known_hosts`, or accept new keys explicitly with "
                "--accept-new-host-key or [strategies.remote] accept_new_host_keys = true"
            ),
            code="remote.host_key",
        )
    if "Permission denied" in text or "Too many authentication failures" in text:
        return Refused(
            f"{where}: authentication refused ({last})",
            fix="load your key (`ssh-add`) or set IdentityFile for the host in ~/.ssh/config; "
            f"check with `ssh -o BatchMode=yes {login} true`",
            code="remote.auth",
        )
    return Unreachable(
        f"{where}: cannot connect ({last})",
        fix="check the host name and port, the VPN, and that sshd runs there; "
        f"check with `ssh -o BatchMode=yes {login} true`",
        code="remote.unreachable",
    )


# A Unix socket's path holds at most 104 (macOS) or 108 (Linux) bytes, and ssh's %C is
# 40 of them: the connection's socket goes where the whole path fits.
SOCKET_PATH_MAX = 104
_CONTROL_NAME = len("/bs-ssh-xxxxxxxx/") + 40


def control_dir() -> Path:
    """A private directory for the shared connection's socket: in the temporary
    directory, unless its path is too long for a socket (a deep TMPDIR, macOS's
    /var/folders/...), then in /tmp."""
    base = tempfile.gettempdir()
    short = Path("/tmp")  # noqa: S108 - only the parent of a private (0700) mkdtemp directory
    if len(os.fsencode(base)) + _CONTROL_NAME > SOCKET_PATH_MAX and short.is_dir():
        base = str(short)
    return Path(tempfile.mkdtemp(prefix="bs-ssh-", dir=base))


@dataclass
class Ssh(CommandTransport):
    """One remote box: ssh and rsync argv with the shared connection options."""

    dest: Destination
    accept_new_host_keys: bool = False
    config: str | None = field(default_factory=lambda: os.environ.get("BOOTSTRAP_SSH_CONFIG"))
    control_dir: Path = field(default_factory=control_dir)
    dry_run: Callable[[str], None] | None = None  # print each command instead of running it

    def options(self) -> list[str]:
        opts = ["ssh"]
        if self.config:
            opts += ["-F", self.config]
        checking = "accept-new" if self.accept_new_host_keys else "yes"
        opts += [
            "-o",
            "BatchMode=yes",
            "-o",
            f"StrictHostKeyChecking={checking}",
            "-o",
            f"ConnectTimeout={CONNECT_TIMEOUT}",
            "-o",
            "ControlMaster=auto",
            "-o",
            f"ControlPath={self.control_dir}/%C",
            "-o",
            "ControlPersist=60",
            "-o",
            "LogLevel=ERROR",
        ]
        if self.dest.port:
            opts += ["-p", str(self.dest.port)]
        return opts

    @property
    def name(self) -> str:
        return str(self.dest)

    def resolve(self) -> tuple[str, int] | None:
        """(host name, port) as the ssh config resolves the destination (`ssh -G`: reads
        the config only, connects nowhere); None when ssh cannot say."""
        argv = ["ssh", *(["-F", self.config] if self.config else [])]
        argv += [*(["-p", str(self.dest.port)] if self.dest.port else []), "-G"]
        res = proc.run([*argv, "--", self.dest.login()], timeout=10)
        if not res.ok:
            return None
        seen = dict(line.split(" ", 1) for line in res.stdout.splitlines() if " " in line)
        host, port = seen.get("hostname", "").strip(), seen.get("port", "").strip()
        if not host or not port.isdigit():
            return None
        return host, int(port)

    def argv(self, command: str) -> list[str]:
        return [*self.options(), "--", self.dest.login(), command]

    def pipe_argv(self, command: str) -> list[str]:
        return self.argv(command)

    def dir_word(self, directory: str) -> str:
        return home_word(directory)

    def _show(self, argv: Sequence[str]) -> bool:
        return show(self.dry_run, argv)

    def command_argv(self, command: str, env: Mapping[str, str] | None) -> list[str]:
        return self.argv(env_prefix(env) + command)

    def check(self, returncode: int | None, not_found: bool, output: str) -> None:
        if not_found:
            raise Unreachable(
                "ssh was not found", fix="install an OpenSSH client", code="remote.no_ssh"
            )
        if returncode == 255:  # ssh's own failure: connection, authentication, host key
            raise _classify(self.dest, output, self.resolve())

    def timed_out(self, command: str, timeout: float) -> Exception:
        return Unreachable(
            f"{self.dest}: `{command[:60]}` timed out after {timeout:g}s", code="remote.timeout"
        )

    def rsync(
        self, args: Sequence[str], *, timeout: float, input: str | None = None
    ) -> proc.Result:
        """rsync over this connection; ``args`` use ``{remote}:`` for the box."""
        shell = shlex.join(self.options())
        argv = ["rsync", "-e", shell, *[a.replace("{remote}", self.dest.login()) for a in args]]
        if self._show(argv):
            return proc.Result(tuple(argv), 0, "", "", 0.0)
        res = proc.run(argv, timeout=timeout, input=input)
        if res.returncode == 255 or (res.returncode and "connection unexpectedly" in res.stderr):
            raise _classify(self.dest, res.stderr, self.resolve())
        return res

    def sync_tree(
        self, repo: Path, files: Sequence[str], directory: str, *, timeout: float
    ) -> proc.Result:
        args = ["-a", "--stats", "--from0", "--files-from=-", f"{repo}/"]
        return self.rsync(
            [*args, "{remote}:" + rsync_dir(directory)], timeout=timeout, input="\0".join(files)
        )

    def put_file(self, path: Path, directory: str, name: str, *, timeout: float) -> proc.Result:
        target = "{remote}:" + rsync_dir(directory) + "/" + name
        return self.rsync(["--partial", str(path), target], timeout=timeout)

    def close(self) -> None:
        if self.dry_run is None:
            proc.run([*self.options(), "-O", "exit", self.dest.login()], timeout=10)
        import shutil

        shutil.rmtree(self.control_dir, ignore_errors=True)


def rsync_dir(directory: str) -> str:
    """rsync's remote paths are relative to the login directory: ``~/x`` is ``x``."""
    if directory.startswith("~/"):
        return directory[2:]
    return directory.lstrip("~") or "."
