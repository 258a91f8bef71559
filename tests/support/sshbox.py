"""A real remote Linux box for the remote strategy: OpenSSH's sshd chrooted in the Debian
root filesystem, on a free 127.0.0.1 port, reached with the system OpenSSH client.

Each box runs in its own mount, PID and UTS namespaces (hostname ``remotebox``) on an
overlay of the shared root filesystem, so whatever a test changes inside its box (even
deleting python3) is gone when the box stops. The box's /root is a per-test directory on
the host (`RemoteBox.remote_home`), so a test can look at what the remote wrote.

OpenSSH reads ~/.ssh/config from the passwd entry's home, not from $HOME, so a test cannot
point ssh at a config by changing HOME: it passes `RemoteBox.ssh_config` explicitly, to
the product as ``BOOTSTRAP_SSH_CONFIG`` (`RemoteBox.env()`) and to ssh as ``-F``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

import pytest

from support.servers import free_port

HOSTNAME = "remotebox"
DEFAULT_ALIAS = "remotebox"
HOST_TOOLS = ("unshare", "nsenter", "mount", "chroot", "ssh", "ssh-keygen")
BOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
START_TIMEOUT = 15.0

# Inside the box, /run/box is the host directory holding sshd_config, the host key and
# the offline wrapper (read-only).
SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey /run/box/ssh_host_ed25519_key
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile .ssh/authorized_keys
# An external sftp-server, not internal-sftp: ForceCommand gets the subsystem as
# SSH_ORIGINAL_COMMAND, and the wrapper has to be able to run it (scp uses SFTP since 9.0).
Subsystem sftp /usr/lib/openssh/sftp-server
"""

# Every command of an offline box (ssh, scp, sftp, rsync, an interactive shell) runs in a
# fresh network namespace that has only a loopback interface.
OFFLINE_WRAPPER = """\
#!/bin/sh
exec unshare --net sh -c '
ip link set lo up
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec sh -c "$SSH_ORIGINAL_COMMAND"; fi
exec "${SHELL:-/bin/sh}" -l
'
"""

# Runs under `unshare --mount --pid --uts --fork`: $1 merged root, $2 the shared rootfs,
# $3 the box directory, $4 the remote home, $5 "1" to remove python3.
# `--fork` makes this shell (then sshd) PID 1 of the new PID namespace: when it exits,
# everything the box started dies with it.
NAMESPACE_SCRIPT = r"""
set -eu
R=$1 LOWER=$2 BOX=$3 HOME_DIR=$4 NO_PYTHON=$5
hostname remotebox
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$BOX/upper,workdir=$BOX/work" "$R"
mount --bind "$HOME_DIR" "$R/root"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$R/dev"
for d in null zero full random urandom tty; do
  : >"$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"
done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/box"
mount --bind "$BOX/sshd" "$R/run/box"
mount -o remount,bind,ro "$R/run/box"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
if [ "$NO_PYTHON" = 1 ]; then
  rm -f "$R"/usr/bin/python3* "$R"/usr/bin/python
fi
exec chroot "$R" /usr/sbin/sshd -D -e -f /run/box/sshd_config
"""

Command = Union[str, Sequence[str]]


def _die_with_parent() -> list[str]:
    """A prefix that SIGKILLs the box when the test process dies, so a crashed or killed
    session cannot leave a box running (unshare --kill-child takes sshd along)."""
    return ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


def missing_host_tools() -> list[str]:
    return [tool for tool in HOST_TOOLS if not shutil.which(tool)]


def keygen(path: Path, comment: str) -> str:
    """A new ed25519 key pair at ``path`` / ``path.pub``; returns the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


@dataclass
class RemoteBox:
    """One running (or, with ``listening=False``, deliberately absent) remote box."""

    alias: str
    port: int
    user: str
    key: Path  # the client's private key (IdentityFile)
    ssh_config: Path  # `Host <alias>` -> 127.0.0.1:port; give it to ssh as -F
    known_hosts: Path  # UserKnownHostsFile of ssh_config
    host_key: str  # the box's public host key line ("ssh-ed25519 AAAA...")
    remote_home: Path  # the host directory mounted at /root in the box
    rootfs: Path  # the shared root filesystem under the box's overlay (do not write)
    upper: Path  # the overlay's upper dir: every file the box changed outside /root
    sshd_log: Path  # sshd's own log (-e)
    host: str = "127.0.0.1"
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def destination(self) -> str:
        """`alias`, for `ssh -F ssh_config <destination>`."""
        return self.alias

    @property
    def pid(self) -> int:
        """The host PID of sshd (PID 1 of the box's PID namespace)."""
        if self._proc is None:
            raise RuntimeError("this box was made with listening=False: no sshd runs")
        children = Path(f"/proc/{self._proc.pid}/task/{self._proc.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        if not pids:
            raise RuntimeError(f"the box's sshd is not running; its log:\n{self.log_text()}")
        return int(pids[0])

    def env(self) -> dict[str, str]:
        """What the product needs to reach this box with the system OpenSSH client."""
        return {"BOOTSTRAP_SSH_CONFIG": str(self.ssh_config)}

    def ssh_argv(self, *command: str, batch: bool = True) -> list[str]:
        """The plain OpenSSH client's argv for ``command`` on the box."""
        argv = ["ssh", "-F", str(self.ssh_config)]
        if batch:
            argv += ["-o", "BatchMode=yes"]
        return [*argv, self.alias, *command]

    def ssh(
        self,
        command: str,
        *,
        input: str | None = None,
        timeout: float = 60,
        check: bool = False,
        extra: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` (a remote shell line) over ssh, in BatchMode."""
        argv = ["ssh", "-F", str(self.ssh_config), "-o", "BatchMode=yes", *extra]
        argv += [self.alias, command]
        return subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=timeout, check=check
        )

    def run(
        self,
        command: Command,
        *,
        input: str | None = None,
        timeout: float = 60,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the box directly (nsenter + the box's root, not ssh):
        a shell line when a str, an argv otherwise. Cwd /root, a clean environment,
        the host's network (only ssh sessions are made offline)."""
        line = command if isinstance(command, str) else shlex.join(command)
        argv = [
            "nsenter", f"--target={self.pid}", "--mount", "--uts", "--pid", "--root",
            "env", "-i", f"PATH={BOX_PATH}", "HOME=/root", "LANG=C.UTF-8",
            "sh", "-c", f"cd /root || exit 1\n{line}",
        ]  # fmt: skip
        return subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=timeout, check=check
        )

    def log_text(self) -> str:
        return self.sshd_log.read_text(errors="replace") if self.sshd_log.exists() else ""

    def write_ssh_config(
        self, path: Path | None = None, *, port: int | None = None, alias: str | None = None
    ) -> Path:
        """Write an ssh_config for this box (by default: ``ssh_config`` itself); ``port``
        and ``alias`` make a variant, e.g. a config that points at a dead port."""
        path = path or self.ssh_config
        path.write_text(
            f"Host {alias or self.alias}\n"
            f"  HostName {self.host}\n"
            f"  Port {port or self.port}\n"
            f"  User {self.user}\n"
            f"  IdentityFile {self.key}\n"
            f"  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {self.known_hosts}\n"
            # Isolated from the machine's /etc/ssh/ssh_known_hosts.
            f"  GlobalKnownHostsFile /dev/null\n"
        )
        return path

    def known_hosts_line(self) -> str:
        return f"[{self.host}]:{self.port} {self.host_key}"

    def stop(self) -> None:
        """Stop sshd (and with it everything in the box's PID namespace).

        `unshare --fork` ignores SIGTERM, so sshd (its child) is signalled, then unshare
        is waited for; SIGKILL for both if that takes too long."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait(timeout=5)


def _wait_for_banner(box: RemoteBox, proc: subprocess.Popen[bytes]) -> bool:
    """True once sshd answers with its SSH banner; False if it died (e.g. port taken)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((box.host, box.port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-2.0-"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer within {START_TIMEOUT}s:\n{box.log_text()}")


def start_box(
    rootfs: Path,
    workdir: Path,
    *,
    offline: bool = True,
    remote_env: Mapping[str, str] | None = None,
    without_python: bool = False,
    trust_host_key: bool = True,
    authorize_client: bool = True,
    listening: bool = True,
    alias: str = DEFAULT_ALIAS,
    force_command: str | None = None,
    extra_tools: Sequence[Path] = (),
) -> RemoteBox:
    """Make the box's files under ``workdir`` and start its sshd (see `make_remote_box`)."""
    sshd_dir = workdir / "sshd"
    home = workdir / "home"
    for d in (sshd_dir, home / ".ssh", workdir / "upper", workdir / "work", workdir / "merged"):
        d.mkdir(parents=True)
    if extra_tools:  # into the overlay's upper dir before it is mounted: rootfs untouched
        local_bin = workdir / "upper" / "usr" / "local" / "bin"
        local_bin.mkdir(parents=True)
        for tool in extra_tools:
            shutil.copy2(tool, local_bin / tool.name)
    home.chmod(0o700)
    (home / ".ssh").chmod(0o700)

    host_key = keygen(sshd_dir / "ssh_host_ed25519_key", f"root@{HOSTNAME}")
    client_pub = keygen(workdir / "id_ed25519", "bootstrap-test-client")
    authorized = home / ".ssh" / "authorized_keys"
    if authorize_client:
        authorized.write_text(client_pub + "\n")
    else:  # sshd has a key list, just not this client's key
        authorized.write_text(keygen(workdir / "other_ed25519", "someone-else") + "\n")
    authorized.chmod(0o600)

    box = RemoteBox(
        alias=alias,
        port=free_port(),
        user="root",
        key=workdir / "id_ed25519",
        ssh_config=workdir / "ssh_config",
        known_hosts=workdir / "known_hosts",
        host_key=host_key,
        remote_home=home,
        rootfs=rootfs,
        upper=workdir / "upper",
        sshd_log=workdir / "sshd.log",
    )

    config = SSHD_CONFIG
    if force_command is not None:
        # A script of the test's runs every session instead (it sees the command in
        # SSH_ORIGINAL_COMMAND): a box that answers what the test wants it to.
        wrapper = sshd_dir / "force-command"
        wrapper.write_text(force_command)
        wrapper.chmod(0o755)
        config += "ForceCommand /run/box/force-command\n"
    elif offline:
        wrapper = sshd_dir / "offline-shell"
        wrapper.write_text(OFFLINE_WRAPPER)
        wrapper.chmod(0o755)
        config += "ForceCommand /run/box/offline-shell\n"
    pairs = []
    for name, value in (remote_env or {}).items():
        if not name.isidentifier() or any(c in value for c in '"\n\\'):
            raise ValueError(f"cannot pass {name}={value!r} through sshd_config SetEnv")
        pairs.append(f'"{name}={value}"')
    if pairs:  # one line: sshd keeps only the first SetEnv line it reads
        config += f"SetEnv {' '.join(pairs)}\n"

    if not listening:
        box.write_ssh_config()
        box.known_hosts.write_text(box.known_hosts_line() + "\n" if trust_host_key else "")
        return box

    for _attempt in range(3):  # another process may take the free port before sshd does
        (sshd_dir / "sshd_config").write_text(config.format(port=box.port))
        with box.sshd_log.open("ab") as log:
            proc = subprocess.Popen(
                [
                    *_die_with_parent(),
                    "unshare", "--mount", "--pid", "--uts", "--fork", "--kill-child",
                    "--propagation", "private",
                    "sh", "-c", NAMESPACE_SCRIPT, "box",
                    str(workdir / "merged"), str(rootfs), str(workdir), str(home),
                    "1" if without_python else "0",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        box._proc = proc
        if _wait_for_banner(box, proc):
            break
        box.stop()
        if "Address already in use" not in box.log_text():
            raise RuntimeError(f"the remote box did not start:\n{box.log_text()}")
        box.port = free_port()
    else:
        raise RuntimeError(f"no free port for the remote box:\n{box.log_text()}")

    box.write_ssh_config()
    box.known_hosts.write_text(box.known_hosts_line() + "\n" if trust_host_key else "")
    return box


def _skip_unless_boxes_can_run() -> None:
    if os.geteuid() != 0:
        pytest.skip("a remote box needs root (mount, chroot and PID namespaces)")
    missing = missing_host_tools()
    if missing:
        pytest.skip(f"a remote box needs {', '.join(missing)} on the host")
    probe = subprocess.run(
        ["unshare", "--mount", "--pid", "--uts", "--fork", "true"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"unshare cannot make namespaces here: {probe.stderr.decode().strip()}")


MakeRemoteBox = Callable[..., RemoteBox]


@pytest.fixture
def make_remote_box(
    debian_rootfs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MakeRemoteBox]:
    """A factory: ``make_remote_box(**options) -> RemoteBox``, each box stopped at the end
    of the test. Options (all keyword-only):

    - offline=True: every ssh session runs in a network namespace with only loopback
    - remote_env={}: variables every ssh session sees (sshd_config SetEnv)
    - without_python=False: python3 removed from the box (its overlay; rootfs untouched)
    - trust_host_key=True: known_hosts holds the box's host key (False: empty file)
    - authorize_client=True: the client key is in authorized_keys (False: another key is)
    - listening=False: start nothing; ssh_config points at a free port nobody listens on
    - alias="remotebox": the ssh_config Host alias
    - force_command=None: a shell script run for every session instead of the command
      (its text; the command is in SSH_ORIGINAL_COMMAND; files next to it are in
      /run/box, the host's ``RemoteBox.sshd_log.parent / "sshd"``): a box that lies
    - extra_tools=(): host binaries copied into the box's /usr/local/bin (its overlay)
    """
    if not (debian_rootfs / "usr/sbin/sshd").exists():
        pytest.skip("the root filesystem has no sshd")
    _skip_unless_boxes_can_run()
    boxes: list[RemoteBox] = []

    def make(**options: object) -> RemoteBox:
        workdir = tmp_path_factory.mktemp("remotebox")
        box = start_box(debian_rootfs, workdir, **options)  # type: ignore[arg-type]
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.stop()


@pytest.fixture
def remote_box(make_remote_box: MakeRemoteBox) -> RemoteBox:
    """A running box with the defaults: offline, python3, trusted host key."""
    return make_remote_box()
