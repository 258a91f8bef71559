"""install.sh --cache-bundle as a Mac without the Command Line Tools runs it, offline: the
macOS userland of tests/support/macos.py (bsdtar lists and unpacks the bundle, BWK awk
checks it, openssl hashes it), under bash-as-sh and zsh-as-sh. The real bundle is
resealed for macos-arm64-cpu and its uv (this machine's) pinned for aarch64-apple-darwin.

Apple's python3 stub is first on the path where a Python is looked for; it must never
run: not by install.sh, not by uv looking for the bundle's Python."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from support import REPO, macos
from support.bundles import Packed
from support.network import netns_available, offline
from test_bundle import members, resealed

pytestmark = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")


def mac_bundle(packed: Packed, tmp_path: Path) -> tuple[Path, Path]:
    """(bundle, pin): the packed bundle for macos-arm64-cpu, and a pin naming its uv."""
    parts = members(packed.path)
    bundle = resealed(tmp_path / "mac.tar", parts, target="macos-arm64-cpu")
    (uv_member,) = [n for n in parts if n.startswith("uv/")]
    digest = hashlib.sha256(parts[uv_member]).hexdigest()
    pin = tmp_path / "pin.txt"
    pin.write_text(
        f"version {packed.pin.version}\n"
        f"wheel aarch64-apple-darwin {uv_member.removeprefix('uv/')} {digest}\n"
    )
    return bundle, pin


def stage0(
    mac: macos.MacUserland, shell: str, bundle: Path, home: Path, pin: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{mac.usr_bin}:{mac.local_bin}",  # the stub's directory first
        "HOME": str(home),
        "LANG": "C",
        "BOOTSTRAP_UV_PIN_FILE": str(pin),
        "UV_CACHE_DIR": str(home / "uv-cache"),
    }
    argv = [*mac.sh(shell), str(REPO / "install.sh"), "--cache-bundle", str(bundle), "--no-run"]
    argv = offline(argv)
    argv[0] = shutil.which(argv[0]) or argv[0]  # found here, not on the Mac's PATH
    return subprocess.run(
        argv, env=env, cwd=REPO, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_a_mac_imports_the_bundle_offline_and_never_runs_the_stub(
    shell: str, packed: Packed, tmp_path: Path
) -> None:
    mac = macos.build(tmp_path / "mac")
    bundle, pin = mac_bundle(packed, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    first = stage0(mac, shell, bundle, home, pin)
    assert first.returncode == 0, first.stderr
    data = home / "Library" / "Application Support" / "bootstrap"
    (tool,) = (data / "tool").iterdir()
    assert (tool / ".ok").read_text().strip() == str(REPO)
    assert first.stderr.count("Command Line Tools are not installed") == 1, first.stderr
    again = stage0(mac, shell, bundle, home, pin)
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stderr
    assert mac.stub_runs() == []


def test_a_mac_with_no_python_is_told_so_without_running_the_stub(
    packed: Packed, tmp_path: Path
) -> None:
    mac = macos.build(tmp_path / "mac")
    for python in mac.local_bin.iterdir():  # a Mac with no Python but Apple's stub
        python.unlink()
    bundle, pin = mac_bundle(packed, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    res = stage0(mac, "bash", bundle, home, pin)
    assert res.returncode == 2, res.stderr
    # No Python at all, and the bundle carries no pinned interpreter: the fix says how
    # to pack one that does (--with-python).
    assert "[bundle.no_python]" in res.stderr and "this machine has no Python" in res.stderr
    assert "--with-python" in res.stderr
    assert res.stderr.count("Command Line Tools are not installed") == 1, res.stderr
    assert mac.stub_runs() == []


def test_a_failed_checksum_is_one_reason_not_two(packed: Packed, tmp_path: Path) -> None:
    """A member that does not match SHA256SUMS is named once; no false "not covered by
    SHA256SUMS" line follows it (awk's END ran after the first reason's exit)."""
    mac = macos.build(tmp_path / "mac")
    bundle, pin = mac_bundle(packed, tmp_path)
    parts = members(bundle)
    victim = next(n for n in parts if n.startswith("wheels/"))
    raw = bundle.read_bytes()
    at = raw.index(parts[victim])
    bad = tmp_path / "bad.tar"
    bad.write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :])
    home = tmp_path / "home"
    home.mkdir()
    linux = subprocess.run(  # this machine's own tools and awk: the same single line
        offline(["sh", str(REPO / "install.sh"), "--cache-bundle", str(bad), "--no-run"]),
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C"},
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    for res in (linux, stage0(mac, "bash", bad, home, pin), stage0(mac, "dash", bad, home, pin)):
        assert res.returncode == 2, res.stderr
        assert "does not match SHA256SUMS" in res.stderr and "[bundle.checksum]" in res.stderr
        assert "not covered by SHA256SUMS" not in res.stderr
        assert res.stderr.count("error:") == 1, res.stderr
