"""The remote box itself, proven with the plain OpenSSH and rsync clients (no product code):
what the remote strategy's tests rely on."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.servers import free_port
from support.sshbox import MakeRemoteBox, RemoteBox

pytestmark = [pytest.mark.remote, pytest.mark.slow]

REACH_PYPI = "import socket; socket.create_connection(('pypi.org', 443), 3)"
# An address, so the check does not stop at name resolution.
REACH_ADDRESS = "import socket; socket.create_connection(('1.1.1.1', 443), 3)"


def test_plain_ssh_with_the_config_reaches_the_box(remote_box: RemoteBox) -> None:
    argv = ["ssh", "-F", str(remote_box.ssh_config), "-o", "BatchMode=yes"]
    done = subprocess.run(
        [*argv, remote_box.alias, "uname", "-n"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "remotebox"
    assert remote_box.env() == {"BOOTSTRAP_SSH_CONFIG": str(remote_box.ssh_config)}
    config = remote_box.ssh_config.read_text()
    assert f"Host {remote_box.alias}\n" in config
    assert f"Port {remote_box.port}\n" in config
    assert "IdentitiesOnly yes" in config
    assert remote_box.user == "root"
    who = remote_box.ssh("id -un; echo $HOME; pwd")
    assert who.stdout.split() == ["root", "/root", "/root"]


def test_the_remote_home_is_the_host_directory_and_fresh(remote_box: RemoteBox) -> None:
    assert sorted(p.name for p in remote_box.remote_home.iterdir()) == [".ssh"]
    remote_box.ssh("mkdir -p /root/proj && echo from-remote > /root/proj/note", check=True)
    assert (remote_box.remote_home / "proj" / "note").read_text() == "from-remote\n"
    (remote_box.remote_home / "from-host").write_text("hello\n")
    assert remote_box.ssh("cat /root/from-host", check=True).stdout == "hello\n"


def test_boxes_do_not_share_files(make_remote_box: MakeRemoteBox) -> None:
    one, two = make_remote_box(), make_remote_box()
    assert one.port != two.port
    one.ssh("echo one > /root/mine && echo one > /etc/box-marker", check=True)
    assert two.ssh("ls /root/mine").returncode != 0
    assert two.run("test -e /etc/box-marker").returncode == 1
    assert one.run("cat /etc/box-marker").stdout == "one\n"
    assert (one.upper / "etc" / "box-marker").is_file()  # the change lives in the overlay
    assert not (one.rootfs / "etc" / "box-marker").exists()


def test_run_enters_the_box_without_ssh(remote_box: RemoteBox) -> None:
    done = remote_box.run(["sh", "-c", 'hostname; pwd; echo "$HOME"; cat /etc/debian_version'])
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[:3] == ["remotebox", "/root", "/root"]
    assert lines[3].startswith("12.")
    assert remote_box.run("exit 7").returncode == 7


def test_offline_box_has_only_loopback(remote_box: RemoteBox) -> None:
    links = remote_box.ssh("ip -o link show")
    assert links.returncode == 0, links.stderr
    assert [line.split(":")[1].strip() for line in links.stdout.splitlines()] == ["lo"]
    for code in (REACH_PYPI, REACH_ADDRESS):
        done = remote_box.ssh(f'python3 -c "{code}"', timeout=30)
        assert done.returncode == 1
        assert re.search(r"gaierror|Network is unreachable|OSError", done.stderr), done.stderr
    # Loopback works: a server and a client inside the same session.
    loop = remote_box.ssh(
        "python3 -c \"import socket; s = socket.create_server(('127.0.0.1', 0)); "
        "c = socket.create_connection(s.getsockname(), 3); print('loopback ok')\""
    )
    assert loop.stdout.strip() == "loopback ok", loop.stderr


def test_online_box_has_the_hosts_network(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(offline=False)
    links = box.ssh("ip -o link show", check=True).stdout.splitlines()
    assert len(links) > 1  # the host's interfaces, not a namespace of its own


def test_interactive_shell_is_offline_too(remote_box: RemoteBox) -> None:
    done = subprocess.run(
        ["ssh", "-F", str(remote_box.ssh_config), "-tt", remote_box.alias],
        input="echo links=$(ip -o link show | wc -l); hostname; exit 3\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "links=1" in done.stdout
    assert "remotebox" in done.stdout


def test_remote_env_is_seen_by_every_command(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(remote_env={"BOOTSTRAP_CUDA_DRIVER": "550.54", "OTHER": "a b"})
    done = box.ssh('printf "%s|%s" "$BOOTSTRAP_CUDA_DRIVER" "$OTHER"', check=True)
    assert done.stdout == "550.54|a b"
    py = box.ssh("python3 -c \"import os; print(os.environ['BOOTSTRAP_CUDA_DRIVER'])\"")
    assert py.stdout.strip() == "550.54", py.stderr


def test_box_without_python(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(without_python=True)
    which = box.ssh("command -v python3")
    assert which.returncode != 0
    assert which.stdout == ""
    done = box.ssh("python3 -c 'print(1)'")
    assert done.returncode == 127
    assert "not found" in done.stderr
    assert box.ssh("ls /usr/bin/ | grep -c '^python'").stdout.strip() == "0"
    assert (box.rootfs / "usr" / "bin" / "python3").exists()  # the shared rootfs keeps it
    other = make_remote_box()
    assert other.ssh("python3 -c 'print(1)'").stdout == "1\n"


@pytest.mark.skipif(not shutil.which("rsync"), reason="no rsync on the host")
def test_rsync_twice_transfers_nothing_the_second_time(
    remote_box: RemoteBox, tmp_path: Path
) -> None:
    src = tmp_path / "repo"
    (src / "pkg").mkdir(parents=True)
    for i in range(5):
        (src / "pkg" / f"m{i}.py").write_text(f"X = {i}\n" * 100)
    (src / "README").write_text("readme\n")
    rsh = f"ssh -F {remote_box.ssh_config} -o BatchMode=yes"

    def sync() -> int:
        done = subprocess.run(
            ["rsync", "-a", "--delete", "--stats", "-e", rsh,
             f"{src}/", f"{remote_box.alias}:repo/"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        found = re.search(r"Number of regular files transferred: (\d+)", done.stdout)
        assert found, done.stdout
        return int(found.group(1))

    assert sync() == 6
    assert (remote_box.remote_home / "repo" / "pkg" / "m4.py").read_text().startswith("X = 4")
    assert sync() == 0


def test_scp_both_protocols(remote_box: RemoteBox, tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(bytes(range(256)) * 1000)
    for i, legacy in enumerate(([], ["-O"])):  # SFTP (the default since 9.0), then scp
        argv = ["scp", "-F", str(remote_box.ssh_config), "-o", "BatchMode=yes", *legacy]
        up = subprocess.run(
            [*argv, str(blob), f"{remote_box.alias}:blob{i}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert up.returncode == 0, up.stderr
        assert (remote_box.remote_home / f"blob{i}").read_bytes() == blob.read_bytes()
        back = tmp_path / f"back{i}"
        down = subprocess.run(
            [*argv, f"{remote_box.alias}:blob{i}", str(back)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert down.returncode == 0, down.stderr
        assert back.read_bytes() == blob.read_bytes()


def test_unknown_host_key_fails_in_batch_mode(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(trust_host_key=False)
    assert box.known_hosts.read_text() == ""
    done = box.ssh("true")
    assert done.returncode == 255
    assert "Host key verification failed" in done.stderr
    # Accepting it once records exactly the box's host key.
    ok = box.ssh("true", extra=["-o", "StrictHostKeyChecking=accept-new"])
    assert ok.returncode == 0, ok.stderr
    assert box.host_key.split()[1] in box.known_hosts.read_text()


def test_nothing_listening_fails(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(listening=False)
    done = box.ssh("true", timeout=30)
    assert done.returncode == 255
    assert "Connection refused" in done.stderr


def test_a_config_pointing_at_a_dead_port_fails(remote_box: RemoteBox, tmp_path: Path) -> None:
    wrong = remote_box.write_ssh_config(tmp_path / "wrong_config", port=free_port())
    done = subprocess.run(
        ["ssh", "-F", str(wrong), "-o", "BatchMode=yes", remote_box.alias, "true"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 255
    assert "Connection refused" in done.stderr
    assert remote_box.ssh("true").returncode == 0  # the box itself is fine


def test_auth_refused_fails(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box(authorize_client=False)
    done = box.ssh("true")
    assert done.returncode == 255
    assert "Permission denied (publickey)" in done.stderr


def _processes_in_pid_namespace(of_pid: int) -> list[int]:
    ns = Path(f"/proc/{of_pid}/ns/pid").readlink()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "ns" / "pid").readlink() == ns:
                    found.append(int(proc.name))
            except OSError:  # gone meanwhile
                pass
    return found


def test_stop_ends_everything_in_the_box(make_remote_box: MakeRemoteBox) -> None:
    box = make_remote_box()
    sshd = box.pid
    # A process left running in the background must not outlive the box.
    box.ssh("nohup sleep 300 </dev/null >/dev/null 2>&1 &", check=True)
    inside = _processes_in_pid_namespace(sshd)
    cmdlines = []
    for pid in inside:
        # A short-lived process of the login (the session's shell) may end meanwhile.
        with contextlib.suppress(OSError):
            cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
    assert b"sleep\x00300\x00" in cmdlines
    box.stop()
    assert not [pid for pid in inside if Path(f"/proc/{pid}").exists()]
    refused = box.ssh("true", timeout=30)
    assert refused.returncode == 255
