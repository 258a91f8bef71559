"""Detection on this real machine: against the system's own tools, capture -> replay,
a stuck probe, a crashing probe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import cli

from bootstrap.host import capture, detect, probes, replay
from bootstrap.host.facts import HostFacts
from bootstrap.host.parse import os_release

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="compares with Linux tools")


def comparable(f: HostFacts) -> dict[str, object]:
    d = f.to_dict()
    d["probes"] = {k: v["status"] for k, v in d["probes"].items()}
    d.pop("disk_free_bytes")  # changes as other tests write files
    return d


def test_detect_matches_the_system_tools() -> None:
    f = detect()
    machine = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout
    expected_arch = {"x86_64": "x86_64", "aarch64": "arm64"}[machine.strip()]
    assert f.arch == expected_arch
    nproc = subprocess.run(["nproc", "--all"], capture_output=True, text=True, check=True)
    assert f.cpu_count == int(nproc.stdout)
    kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    assert f.memory_bytes == kb * 1024
    rel = os_release(Path("/etc/os-release").read_text())
    assert f.distro is not None
    assert (f.distro.id, f.distro.version) == (rel["ID"], rel.get("VERSION_ID", ""))
    assert f.kernel == os.uname().release
    assert f.os == "linux"
    assert f.disk_free_bytes > 0
    assert all(r.status in ("ok", "absent") for r in f.probes.values()), f.probes


def test_capture_then_replay_gives_the_same_facts(tmp_path: Path) -> None:
    captured = capture(tmp_path / "cap")
    index = json.loads((tmp_path / "cap" / "capture.json").read_text())
    assert index["format"] == 1
    assert "unlisted" not in index  # a real capture records every read, misses included
    assert "/etc/os-release" in index["files"]
    # Only the variables the probes consult, never the whole environment.
    assert "PATH" not in index["env"] and "HOME" not in index["env"]
    assert set(index["env"]) <= set(probes.CI_VARS) | set(probes.PROXY_VARS) | {
        "WSL_DISTRO_NAME",
        "WSL_INTEROP",
        "container",
        "PROCESSOR_ARCHITEW6432",
        "PROCESSOR_IDENTIFIER",
    }
    replayed = replay(tmp_path / "cap")
    assert comparable(replayed) == comparable(captured)
    assert comparable(replayed) == comparable(detect())


def test_capture_records_no_hostname_or_username(tmp_path: Path) -> None:
    capture(tmp_path / "cap")
    blob = "\n".join(
        p.read_text(errors="replace") for p in (tmp_path / "cap").rglob("*") if p.is_file()
    )
    hostname = os.uname().nodename
    if len(hostname) >= 4:
        assert hostname not in blob


def test_capture_writes_the_home_directory_as_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "someone"
    (home / "bin").mkdir(parents=True)
    git = home / "bin" / "git"
    git.write_text("#!/bin/sh\n")
    git.chmod(0o755)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}")
    live = capture(tmp_path / "cap")
    assert live.tools.git == str(git)
    text = (tmp_path / "cap" / "capture.json").read_text()
    assert "someone" not in text
    assert replay(tmp_path / "cap").tools.git == "~/bin/git"


@pytest.fixture
def stuck_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


@pytest.mark.skipif(
    Path("/sys/module/nvidia/version").exists() or Path("/proc/driver/nvidia").exists(),
    reason="a real NVIDIA driver answers before nvidia-smi is asked",
)
def test_a_stuck_nvidia_smi_costs_only_its_timeout(stuck_nvidia_smi: Path) -> None:
    start = time.monotonic()
    f = detect(timeout=1.0)
    elapsed = time.monotonic() - start
    assert elapsed < 4, f"detect took {elapsed:.1f}s"
    assert f.probes["nvidia"].status == "timeout"
    assert f.probes["nvidia"].duration_ms < 3000
    assert f.gpus == ()
    # Everything else still answered.
    assert f.probes["distro"].status == "ok" and f.distro is not None


@pytest.mark.skipif(
    Path("/sys/module/nvidia/version").exists() or Path("/proc/driver/nvidia").exists(),
    reason="a real NVIDIA driver answers before nvidia-smi is asked",
)
def test_cli_with_a_stuck_nvidia_smi(stuck_nvidia_smi: Path) -> None:
    start = time.monotonic()
    r = cli.bootstrap("detect", "--json", "--timeout", "1", env=os.environ, timeout=25)
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["probes"]["nvidia"]["status"] == "timeout"
    assert elapsed < 6, f"detect took {elapsed:.1f}s"


def test_a_crashing_probe_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> tuple[dict[str, object], str]:
        raise KeyError("boom")

    monkeypatch.setitem(probes.PROBES, "amd", broken)
    f = detect()
    assert f.probes["amd"].status == "failed"
    assert "KeyError" in (f.probes["amd"].detail or "")
    assert f.probes["distro"].status == "ok"


def test_a_hung_probe_thread_is_abandoned_at_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # A probe stuck in Python (not in a command) is given up on too.
    def hangs(*_: object) -> tuple[dict[str, object], str]:
        time.sleep(30)
        return {}, "never"

    monkeypatch.setitem(probes.PROBES, "apple", hangs)
    start = time.monotonic()
    f = detect(timeout=0.5)
    assert time.monotonic() - start < 3
    assert f.probes["apple"].status == "timeout"


def test_cli_summary_renders(tmp_path: Path) -> None:
    r = cli.bootstrap("detect", "--capture", str(tmp_path / "c"), timeout=60)
    assert r.returncode == 0, r.stderr
    for label in ("os", "arch", "libc", "memory", "gpu", "probes", "nvidia"):
        assert label in r.stdout
    assert (tmp_path / "c" / "capture.json").is_file()
