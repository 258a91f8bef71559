"""install.sh's platform triple on machines this one cannot be: fake `uname`, `ldd` and
`sysctl` that print real outputs (tests/fixtures/host/README.md cites each source)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.stage0 import run_sh, shell_env

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "host"


def fake_bin(tmp_path: Path, *, system: str, machine: str, ldd: str | None, sysctl: str) -> str:
    """A PATH whose uname/ldd/sysctl answer like the machine described; the rest real."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    scripts = {
        "uname": f'case "$1" in -m) echo {machine} ;; *) echo {system} ;; esac',
        "sysctl": sysctl,
    }
    if ldd is not None:
        # musl's ldd prints its banner on stderr and exits 1; glibc's on stdout, exit 0.
        musl = "musl" in ldd
        scripts["ldd"] = f"cat {FIXTURES / 'ldd' / ldd} {'>&2; exit 1' if musl else ''}"
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    for tool in ("cat", "date", "dirname"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


# sysctl -in sysctl.proc_translated: "1" under Rosetta; Intel Macs lack the key, and -i
# turns "unknown oid" (macos/sysctl-unknown-oid.txt) into no output at all.
ROSETTA = 'test "$2" = sysctl.proc_translated && echo 1'
INTEL = "exit 0"


@pytest.mark.parametrize(
    ("system", "machine", "ldd", "sysctl", "triple"),
    [
        ("Linux", "x86_64", "glibc-2.25.txt", INTEL, "x86_64-unknown-linux-gnu"),
        ("Linux", "x86_64", "musl-1.1.24.txt", INTEL, "x86_64-unknown-linux-musl"),
        ("Linux", "aarch64", "ubuntu-glibc-2.39.txt", INTEL, "aarch64-unknown-linux-gnu"),
        ("Linux", "arm64", "musl-1.1.24.txt", INTEL, "aarch64-unknown-linux-musl"),
        ("Darwin", "arm64", None, INTEL, "aarch64-apple-darwin"),
        ("Darwin", "x86_64", None, INTEL, "x86_64-apple-darwin"),
        ("Darwin", "x86_64", None, ROSETTA, "aarch64-apple-darwin"),
    ],
    ids=["glibc", "musl", "arm-glibc", "arm-musl", "apple-silicon", "intel-mac", "rosetta"],
)
def test_triple(
    *, system: str, machine: str, ldd: str | None, sysctl: str, triple: str, tmp_path: Path
) -> None:
    path = fake_bin(tmp_path, system=system, machine=machine, ldd=ldd, sysctl=sysctl)
    res = run_sh(
        [shutil.which("dash") or "dash"], ["--print-triple"], shell_env(tmp_path, PATH=path)
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == triple


@pytest.mark.parametrize(
    ("system", "machine", "reason"),
    [
        ("Linux", "riscv64", "unsupported CPU architecture 'riscv64'"),
        ("MINGW64_NT-10.0", "x86_64", "use install.ps1"),
        ("FreeBSD", "amd64", "unsupported operating system 'FreeBSD'"),
    ],
)
def test_unsupported_platforms_say_what_to_do(
    system: str, machine: str, reason: str, tmp_path: Path
) -> None:
    path = fake_bin(tmp_path, system=system, machine=machine, ldd=None, sysctl=INTEL)
    res = run_sh(
        [shutil.which("dash") or "dash"], ["--print-triple"], shell_env(tmp_path, PATH=path)
    )
    assert res.returncode == 1
    assert reason in res.stderr and "fix:" in res.stderr
