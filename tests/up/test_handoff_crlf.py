"""Line endings on the way to a target: a Windows checkout's CRLF install.sh is refused by
the handoff with a named error and the fix, before anything is sent; the repository's
.gitattributes keeps it from happening (checked with real git, core.autocrlf=true as Git
for Windows sets it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bootstrap.errors import UserError
from bootstrap.steps.handoff import check_stage0_script

REPO = Path(__file__).resolve().parents[2]


def crlf(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("shell", [["dash"], ["bash", "--posix"], ["busybox", "sh"]])
def test_a_crlf_install_sh_is_a_raw_shell_error_in_every_posix_shell(
    shell: list[str], tmp_path: Path
) -> None:
    """Why the handoff checks: what the target's shell would say instead."""
    if not shutil.which(shell[0]):
        pytest.skip(f"{shell[0]} is not installed")
    script = tmp_path / "install.sh"
    shutil.copy(REPO / "install.sh", script)
    crlf(script)
    res = subprocess.run(
        [*shell, str(script), "--help"], capture_output=True, text=True, check=False, timeout=30
    )
    assert res.returncode != 0
    assert "Usage: install.sh" not in res.stdout
    assert "install.sh: error" not in res.stderr  # not ours: the shell's own complaint


def test_check_refuses_crlf_names_the_file_and_the_fix(tmp_path: Path) -> None:
    shutil.copy(REPO / "install.sh", tmp_path / "install.sh")
    check_stage0_script(tmp_path)  # LF: fine
    check_stage0_script(tmp_path / "elsewhere")  # no script: the transfer says so
    crlf(tmp_path / "install.sh")
    with pytest.raises(UserError) as caught:
        check_stage0_script(tmp_path)
    err = caught.value
    assert err.exit_code == 2 and err.code == "handoff.crlf_script"
    assert str(tmp_path / "install.sh") in str(err) and "CRLF" in str(err)
    assert err.fix is not None
    # The fix, run as printed in a git checkout, gives back a script sh runs.
    repo = tmp_path / "checkout"
    repo.mkdir()
    shutil.copy(REPO / "install.sh", repo / "install.sh")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "install.sh"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    crlf(repo / "install.sh")
    with pytest.raises(UserError) as caught:
        check_stage0_script(repo)
    fix = caught.value.fix
    assert fix is not None and fix.startswith("check it out again with LF endings: ")
    subprocess.run(["sh", "-c", fix.split(": ", 1)[1]], check=True)
    check_stage0_script(repo)
    ok = subprocess.run(
        ["dash", str(repo / "install.sh"), "--help"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0 and "Usage: install.sh" in ok.stdout


@pytest.mark.remote
@pytest.mark.slow
def test_the_remote_handoff_refuses_a_crlf_install_sh_before_sending_it(
    tree: Path, make_remote_box, tmp_path: Path
) -> None:
    """A real ssh box: the refusal comes from the host, with its code and fix, and the box
    never receives the project (no raw `sh: 1: set: Illegal option` from over there)."""
    from support.machine import fresh_env

    box = make_remote_box()
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env.update(box.env())
    crlf(tree / "install.sh")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "bootstrap",
            "up",
            "--profile",
            "python-service",
            "--remote",
            box.alias,
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 2, res.stdout
    assert "has Windows line endings (CRLF)" in res.stdout
    assert "git -c core.autocrlf=false checkout -- install.sh" in res.stdout
    assert "Illegal option" not in res.stdout and "not found" not in res.stdout
    assert not (box.remote_home / "python-service").exists()


# ----- .gitattributes, with real git ----------------------------------------------------


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_gitattributes_keeps_shell_files_lf_and_install_ps1_crlf_under_autocrlf(
    tmp_path: Path,
) -> None:
    """A commit of the repository's own attributes and scripts, cloned as Git for Windows
    does (core.autocrlf=true): every file a POSIX shell or tool reads comes out LF,
    install.ps1 CRLF, captured outputs byte for byte."""
    src = tmp_path / "src"
    files = [
        ".gitattributes",
        "install.sh",
        "install.ps1",
        ".ci/run",
        "bootstrap/uv/pin.txt",
        "uv.lock",
        "tests/fixtures/hosts/linux-small/files/0001",
    ]
    for name in files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, src / name)
    capture = src / "tests/fixtures/hosts/linux-small/files/0002"
    capture.write_bytes(b"wsl.exe says\r\nhello\r\n")  # as a Windows tool prints it
    _git("init", "-q", cwd=src)
    _git("add", ".", cwd=src)
    _git("commit", "-qm", "x", cwd=src)
    out = tmp_path / "windows-checkout"
    subprocess.run(
        ["git", "-c", "core.autocrlf=true", "clone", "-q", str(src), str(out)], check=True
    )
    for name in files:
        data = (out / name).read_bytes()
        if name == "install.ps1":
            assert data.count(b"\r\n") == data.count(b"\n") > 0, name
        else:
            assert b"\r" not in data, name
    assert (out / capture.relative_to(src)).read_bytes() == b"wsl.exe says\r\nhello\r\n"


def test_every_shell_script_in_the_repository_is_lf() -> None:
    """Each tracked file with a shell shebang or a .sh name has eol=lf by the attributes."""
    tracked = _git("ls-files", cwd=REPO).split()

    def shebang_sh(name: str) -> bool:
        path = REPO / name
        first = path.read_bytes().split(b"\n", 1)[0] if path.is_file() else b""
        return first.startswith(b"#!") and b"sh" in first

    scripts = [n for n in tracked if n.endswith(".sh") or shebang_sh(n)]
    assert "install.sh" in scripts and ".ci/run" in scripts
    attrs = _git("check-attr", "eol", "--", *scripts, "install.ps1", cwd=REPO)
    eol = dict(line.rsplit(": eol: ", 1) for line in attrs.splitlines())
    assert eol.pop("install.ps1") == "crlf"
    assert set(eol.values()) == {"lf"}, eol


@pytest.mark.devcontainer
@pytest.mark.slow
def test_the_devcontainer_handoff_refuses_a_crlf_install_sh_before_any_container(
    tree: Path, podman_env: Any, tmp_path: Path
) -> None:
    """Real podman and the Dev Containers CLI: the workspace's install.sh is checked
    before a container is made (it would run there as `sh install.sh`)."""
    from test_up_devcontainer import dc_profile, host_env, up

    crlf(tree / "install.sh")
    env = host_env(tmp_path, podman_env)
    code, out = up(tree, env, "--profile", str(dc_profile(tree)), "--strategy", "devcontainer")
    assert code == 2, out
    assert f"{tree / 'install.sh'} has Windows line endings (CRLF)" in out
    assert podman_env.containers_of(tree) == []
