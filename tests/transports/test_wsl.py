"""The wsl2 transport's pure parts: Windows paths as the distro sees them, WSLENV, the
argv wsl.exe gets (its end-to-end use is tests/up/test_up_wsl2.py)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from bootstrap.errors import EXIT_ACTION_REQUIRED, EXIT_USAGE, ActionRequired, UserError
from bootstrap.transports.wsl import Wsl, local_to_wsl, windows_to_wsl, with_wslenv


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("C:\\Users\\a\\b", "/mnt/c/Users/a/b"),
        ("c:\\Users\\a b\\proj", "/mnt/c/Users/a b/proj"),
        ("D:\\", "/mnt/d"),
        ("C:/Users/a/b", "/mnt/c/Users/a/b"),
        ("\\\\server\\share\\x", None),  # a UNC share is not under /mnt
        ("Users\\a", None),  # relative
        ("C:relative", None),  # drive-relative
    ],
)
def test_windows_to_wsl(path: str, expected: str | None) -> None:
    assert windows_to_wsl(path) == expected


def test_local_paths_through_a_drive_map(tmp_path: Path) -> None:
    env = {"BOOTSTRAP_WSL_DRIVES": f"c={tmp_path / 'c'};d={tmp_path / 'd'}"}
    assert local_to_wsl(tmp_path / "c" / "Users" / "a", env) == "/mnt/c/Users/a"
    assert local_to_wsl(tmp_path / "d", env) == "/mnt/d"
    assert local_to_wsl(tmp_path / "elsewhere", env) is None


def test_wslenv_lists_what_crosses_over() -> None:
    out = with_wslenv({"X": "1", "USERPROFILE": "u"}, {"WSLENV": "USERPROFILE/p", "PATH": "p"})
    assert out["WSLENV"] == "USERPROFILE/p:X"
    assert (out["X"], out["PATH"]) == ("1", "p")
    assert with_wslenv({"X": "1"}, {})["WSLENV"] == "X"


def test_the_command_is_quoted_once_for_the_distros_shell() -> None:
    argv = Wsl("Ubuntu-24.04").argv("cd \"$HOME\"/src && echo 'a b'")
    assert argv[:6] == ["wsl.exe", "-d", "Ubuntu-24.04", "--", "sh", "-lc"]
    # wsl.exe joins the words after `--` and hands them to the default shell, which
    # must get back exactly `sh -lc <command>`.
    assert shlex.split(" ".join(argv[4:])) == ["sh", "-lc", "cd \"$HOME\"/src && echo 'a b'"]


def test_no_wsl_exe_on_windows_is_an_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("bootstrap.transports.wsl.on_windows", lambda: True)
    with pytest.raises(ActionRequired) as caught:
        Wsl("Ubuntu").run("true")
    assert caught.value.exit_code == EXIT_ACTION_REQUIRED
    assert "wsl --install --no-distribution" in (caught.value.fix or "")


def test_no_wsl_exe_elsewhere_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("bootstrap.transports.wsl.on_windows", lambda: False)
    with pytest.raises(UserError) as caught:
        Wsl("Ubuntu").run("true")
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.code == "wsl2.not_windows"
