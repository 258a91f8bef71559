"""Stage 0 as a Mac runs it: install.sh in a macOS userland (tests/support/macos.py) with
bash-as-sh, zsh-as-sh and dash (which, like Apple's bash 3.2, has no EPOCHREALTIME), a
Darwin/arm64 uname, BSD date, bsdtar, BWK awk, no sha256sum and no Command Line Tools.

The uv that gets installed is this machine's (pinned here for aarch64-apple-darwin in a
test pin): the script under test is install.sh, and every part of it runs for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from support import macos
from support.servers import serve_directory
from support.stage0 import INSTALL_SH, Artifacts, add_bytes, sha256

MAC_TRIPLE = "aarch64-apple-darwin"
SHELLS = ["bash", "zsh", "dash"]


@pytest.fixture
def mac(tmp_path: Path) -> macos.MacUserland:
    return macos.build(tmp_path / "mac")


@pytest.fixture(scope="session")
def mac_artifacts(
    artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, Path]:
    """(served root, pin file, local dir): the real uv as uv-aarch64-apple-darwin.tar.gz
    in the release layout, and as the pinned wheel name in a local directory."""
    tmp_path = tmp_path_factory.mktemp("mac-artifacts")
    root = tmp_path / "served"
    archive = root / "mirror" / artifacts.version / f"uv-{MAC_TRIPLE}.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz", compresslevel=1) as tf:
        add_bytes(tf, f"uv-{MAC_TRIPLE}/uv", artifacts.uv_bytes)
        add_bytes(tf, f"uv-{MAC_TRIPLE}/uvx", artifacts.uvx_bytes)
    wheel_name = f"uv-{artifacts.version}-py3-none-macosx_11_0_arm64.whl"
    local = tmp_path / "local"
    local.mkdir()
    wheel = local / wheel_name  # the wheel's contents do not name the platform
    shutil.copy(artifacts.wheel, wheel)
    pin = tmp_path / "mac-pin.txt"
    pin.write_text(
        f"version {artifacts.version}\n"
        f"wheel {MAC_TRIPLE} {wheel_name} {sha256(wheel)}\n"
        f"archive {MAC_TRIPLE} {archive.name} {sha256(archive)}\n"
    )
    return root, pin, local


def mac_env(mac: macos.MacUserland, home: Path, pin: Path, **extra: str) -> dict[str, str]:
    """A Mac user's environment: no BOOTSTRAP_HOME, so the data dir is
    ~/Library/Application Support/bootstrap (with its space), as on a Mac."""
    home.mkdir(exist_ok=True)
    env = {
        "PATH": mac.path,
        "HOME": str(home),
        "SHELL": "/bin/zsh",
        "LANG": "C",
        "BOOTSTRAP_UV_PIN_FILE": str(pin),
        "BOOTSTRAP_RETRY_DELAY": "0",
        "UV_CACHE_DIR": str(home / "uv-cache"),
    }
    env.update(extra)
    return env


def run_mac(
    mac: macos.MacUserland, shell: str, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*mac.sh(shell), str(INSTALL_SH), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mac_uv_dir(home: Path, version: str) -> Path:
    return home / "Library" / "Application Support" / "bootstrap" / "uv" / version


def test_the_userland_is_a_macs(mac: macos.MacUserland, tmp_path: Path) -> None:
    """The fixture itself: what stage 0 would see on a Mac, and nothing a Mac lacks."""

    def sh(cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", cmd],
            env={"PATH": mac.path},
            capture_output=True,
            text=True,
            check=False,
        )

    assert sh("uname -s; uname -m").stdout.split() == ["Darwin", "arm64"]
    assert sh("date +%s.%N").stdout.strip().endswith(".N")
    for tool in ("sha256sum", "wget", "timeout", "ldd"):
        assert sh(f"command -v {tool}").returncode != 0, tool
    assert sh("readlink -f /").returncode != 0
    assert "bsdtar" in sh("tar --version").stdout
    assert sh("xcode-select -p").returncode != 0
    stub = sh("python3 -c 'print(1)'")
    assert stub.returncode == 1 and "No developer tools were found" in stub.stderr
    assert mac.stub_runs() == ["-c print(1)"]


@pytest.mark.parametrize("shell", SHELLS)
def test_install_rerun_and_verify_on_a_mac(
    shell: str,
    mac: macos.MacUserland,
    mac_artifacts: tuple[Path, Path, Path],
    artifacts: Artifacts,
    tmp_path: Path,
) -> None:
    root, pin, local = mac_artifacts
    home = tmp_path / "home"
    with serve_directory(root) as srv:
        env = mac_env(
            mac,
            home,
            pin,
            BOOTSTRAP_UV_SOURCES="mirror,local",
            BOOTSTRAP_UV_MIRROR_URL=f"{srv.url}/mirror",
            BOOTSTRAP_UV_LOCAL=str(local),
        )
        assert run_mac(mac, shell, ["--print-triple"], env).stdout.strip() == MAC_TRIPLE
        first = run_mac(mac, shell, ["--no-run"], env)
        assert first.returncode == 0, first.stderr
        assert f"from mirror {srv.url}/mirror" in first.stderr
        uv_dir = mac_uv_dir(home, artifacts.version)
        assert (uv_dir / "uv").read_bytes() == artifacts.uv_bytes
        hits = len(srv.requests)

        start = time.monotonic()
        again = run_mac(mac, shell, ["--no-run"], env)
        elapsed = time.monotonic() - start
        assert again.returncode == 0, again.stderr
        assert "installing" not in again.stderr and len(srv.requests) == hits
        assert elapsed < 1.0

        # --verify re-hashes (openssl here: no sha256sum); a binary changed behind the
        # marker's back, its time restored, is caught and reinstalled.
        stat = (uv_dir / "uvx").stat()
        (uv_dir / "uvx").write_bytes(b"#!/bin/sh\necho tampered\n")
        os.utime(uv_dir / "uvx", ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert run_mac(mac, shell, ["--no-run"], env).returncode == 0  # marker trusted
        verified = run_mac(mac, shell, ["--no-run", "--verify"], env)
        assert verified.returncode == 0, verified.stderr
        assert "does not match the checksum recorded" in verified.stderr
        assert (uv_dir / "uvx").read_bytes() == artifacts.uvx_bytes

        # Stage 0's clock has sub-second marks even where date has no %N. The probe runs
        # a given interpreter: uv looking for one on PATH would meet the stub.
        python = next(mac.local_bin.iterdir())
        probe = run_mac(
            mac,
            shell,
            ["--uv", "run", "--no-project", "--offline", "--python", str(python), "printenv",
             "BOOTSTRAP_STAGE0_MARKS"],
            env,
        )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    marks = dict(part.split("=") for part in probe.stdout.split())
    begin, uv_done = float(marks["begin"]), float(marks["uv"])
    assert all("." in value and not value.endswith(".N") for value in marks.values()), marks
    assert 0 < uv_done - begin < 1.0, marks  # a re-run: sub-second, and measured so
    assert abs(begin - time.time()) < 60
    assert mac.stub_runs() == []  # the CLT stub never ran


def test_without_unzip_a_mac_never_falls_back_to_the_stub(
    mac: macos.MacUserland, mac_artifacts: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, pin, local = mac_artifacts
    (mac.usr_bin / "unzip").unlink()
    env = mac_env(mac, tmp_path / "home", pin, BOOTSTRAP_UV_LOCAL=str(local))
    res = run_mac(mac, "bash", ["--no-run"], env)
    assert res.returncode == 1
    assert "no way to unpack a wheel" in res.stderr
    assert "Command Line Tools are not installed" in res.stderr
    assert mac.stub_runs() == []


def login_shell_finds(shell: list[str], home: Path) -> str:
    """What `command -v uv` says in a new login shell of HOME (the system's startup files
    first, as a terminal would run them)."""
    res = subprocess.run(
        [*shell, "command -v uv"],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb", "LANG": "C"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return res.stdout.strip().splitlines()[-1] if res.stdout.strip() else res.stderr


@pytest.mark.parametrize(
    ("where", "bash_profile"),
    [(w, b) for w in ("mac-bash", "mac-zsh", "linux-zsh") for b in (False, True)],
)
def test_modify_path_reaches_zsh_and_bash_login_shells(  # noqa: PLR0917 - pytest parameters
    where: str,
    bash_profile: bool,
    mac: macos.MacUserland,
    mac_artifacts: tuple[Path, Path, Path],
    artifacts: Artifacts,
    tmp_path: Path,
) -> None:
    if not shutil.which("zsh"):
        pytest.skip("zsh is not installed (.ci/run installs it)")
    _, pin, local = mac_artifacts
    home = tmp_path / "it's $HOME"
    home.mkdir()
    if bash_profile:  # bash then reads only this file, never ~/.profile
        (home / ".bash_profile").write_text("# mine\nexport EDITOR=vi\n")
    if where.startswith("mac-"):  # install.sh run by the Mac's sh: bash or zsh
        env = mac_env(mac, home, pin, BOOTSTRAP_UV_LOCAL=str(local))
        sh = where.removeprefix("mac-")
        run = lambda: run_mac(mac, sh, ["--no-run", "--modify-path"], env)  # noqa: E731
        uv = mac_uv_dir(home, artifacts.version) / "uv"
    else:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "SHELL": "/usr/bin/zsh",
            "BOOTSTRAP_HOME": str(tmp_path / "bs"),
            "BOOTSTRAP_UV_LOCAL": str(artifacts.local),
            "BOOTSTRAP_UV_PIN_FILE": str(tmp_path / "pin.txt"),
        }
        (tmp_path / "pin.txt").write_text(artifacts.pin_text())
        run = lambda: subprocess.run(  # noqa: E731
            ["dash", str(INSTALL_SH), "--no-run", "--modify-path"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        uv = tmp_path / "bs" / "data" / "uv" / artifacts.version / "uv"
    first = run()
    assert first.returncode == 0, first.stderr
    assert "~/.zprofile" in first.stderr and "~/.profile" in first.stderr
    assert ("~/.bash_profile" in first.stderr) == bash_profile
    assert run().returncode == 0
    for rc in (".profile", ".zprofile", *([".bash_profile"] if bash_profile else [])):
        assert (home / rc).read_text().count("/env'") == 1, rc  # idempotent
    if bash_profile:
        assert (home / ".bash_profile").read_text().startswith("# mine\nexport EDITOR=vi\n")
    assert login_shell_finds(["zsh", "-l", "-i", "-c"], home) == str(uv)
    assert login_shell_finds(["bash", "-l", "-c"], home) == str(uv)
    assert login_shell_finds(["dash", "-l", "-c"], home) == str(uv)
