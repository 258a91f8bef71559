"""The wsl.exe stand-in itself (tests/support/wsl_exe.py), proven without product code
except the detection parsers it has to satisfy: what the wsl2 tests rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.host.parse import decode_console, wsl_list_verbose
from support.wslbox import WslDistro

pytestmark = [pytest.mark.wsl2, pytest.mark.slow]

WINDOWS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts" / "windows-wsl2"
REACH_ADDRESS = "import socket; socket.create_connection(('1.1.1.1', 443), 3)"


@pytest.fixture
def distro(make_wsl_distro) -> WslDistro:
    return make_wsl_distro(WINDOWS)


def test_listing_is_utf16le_unless_wsl_utf8(distro: WslDistro) -> None:
    raw = distro.wsl("-l", "-v")
    assert raw.returncode == 0
    assert raw.stdout[1::2].count(0) == len(raw.stdout) // 2  # UTF-16LE, every 2nd byte NUL
    utf8 = distro.wsl("--list", "--verbose", env=distro.env({"PATH": "/bin", "WSL_UTF8": "1"}))
    assert b"\0" not in utf8.stdout
    for out in (raw.stdout, utf8.stdout):
        found = wsl_list_verbose(decode_console(out))
        assert found is not None
        assert ("Ubuntu", 2, True) in [(d.name, d.version, d.default) for d in found]
    assert decode_console(distro.wsl("-l", "-q").stdout).split() == ["Ubuntu"]


def test_commands_run_in_the_distro_with_the_c_drive_and_no_network(distro: WslDistro) -> None:
    (distro.cdrive / "Users").mkdir()
    (distro.cdrive / "Users" / "hello.txt").write_text("from windows\n")
    done = distro.wsl(
        "-d", "Ubuntu", "--", "sh", "-lc",
        "'cat /mnt/c/Users/hello.txt; echo \"$WSL_DISTRO_NAME\"; "
        "echo made > ~/made.txt; head -c3 - ; exit 7'",
        input=b"abc",
    )  # fmt: skip
    assert done.returncode == 7, done.stderr
    assert done.stdout.decode().split("\n")[:3] == ["from windows", "Ubuntu", "abc"]
    assert (distro.home / "made.txt").read_text() == "made\n"
    offline = distro.wsl("-d", "Ubuntu", "-e", "python3", "-c", REACH_ADDRESS)
    assert offline.returncode != 0
    assert b"unreachable" in offline.stderr.lower() or b"errno" in offline.stderr.lower()


def test_files_persist_in_the_distro_between_calls(distro: WslDistro) -> None:
    assert distro.wsl("-d", "Ubuntu", "-e", "sh", "-c", "echo 1 > /opt/marker").returncode == 0
    again = distro.wsl("-d", "Ubuntu", "-e", "cat", "/opt/marker")
    assert again.stdout == b"1\n"
    assert (distro.upper / "opt" / "marker").is_file()  # in the overlay, not the rootfs


def test_wslenv_carries_only_the_variables_it_names(distro: WslDistro) -> None:
    env = distro.env({"PATH": "/usr/bin:/bin", "A": "1", "B": "2", "C": "3", "WSLENV": "A:C/w"})
    done = distro.wsl("-d", "Ubuntu", "-e", "sh", "-c", 'echo "${A-}|${B-}|${C-}"', env=env)
    assert done.stdout == b"1||\n"


def test_an_unknown_distro_is_refused(distro: WslDistro) -> None:
    done = distro.wsl("-d", "Debian", "--", "true")
    assert done.returncode == 1
    assert "There is no distribution with the supplied name" in decode_console(done.stdout)
