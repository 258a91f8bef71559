"""`bootstrap up --strategy wsl2` from a replayed Windows host, into a real distro.

The Windows side is a capture of a real Windows 11 machine (tests/fixtures/hosts) and
the ``wsl.exe`` stand-in (tests/support/wsl_exe.py); behind it the distro is the real
Debian root filesystem with no network, where install.sh, uv and the bootstrapper run
for real. The repository and the bundle sit on the folder that plays ``C:\\``; the
distro copies them into its own home from ``/mnt/c``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support import cli
from support.machine import fresh_env

from bootstrap.errors import EXIT_ACTION_REQUIRED

pytestmark = [pytest.mark.wsl2, pytest.mark.slow]

HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"
WINDOWS = HOSTS / "windows-wsl2"


def up(cwd: Path, env: dict[str, str], *args: str, timeout: float = 300) -> tuple[int, str]:
    """The Windows side, as a user runs it; stdout and stderr together."""
    p = cli.bootstrap("up", *args, cwd=cwd, env=env, timeout=timeout, merge=True)
    return p.returncode, p.stdout


def history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def windows_side(tmp_path: Path, distro: object, tree: Path) -> tuple[Path, dict[str, str]]:
    """The repository checked out on C: (C:\\Users\\dev\\src\\bootstrap) and the
    environment of a Windows user who never ran the tool."""
    repo = distro.cdrive / "Users" / "dev" / "src" / "bootstrap"  # type: ignore[attr-defined]
    shutil.copytree(tree, repo)
    env = fresh_env(tmp_path / "windows")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "windows" / "bootstrap-home")
    return repo, distro.env(env)  # type: ignore[attr-defined]


def on_c(distro: object, bundle_file: Path) -> Path:
    """The bundle downloaded to C:\\Users\\dev\\Downloads."""
    downloads = distro.cdrive / "Users" / "dev" / "Downloads"  # type: ignore[attr-defined]
    downloads.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(bundle_file, downloads))


def test_up_wsl2_runs_stage0_in_the_distro_offline(tree, bundle, make_wsl_distro, tmp_path):
    distro = make_wsl_distro(WINDOWS)
    repo, env = windows_side(tmp_path, distro, tree)
    bundle_file = on_c(distro, bundle("python-service", "linux-x86_64-cpu"))

    code, out = up(
        repo, env, "--replay", str(WINDOWS), "--strategy", "wsl2",
        "--profile", "python-service", "--cache-bundle", str(bundle_file),
    )  # fmt: skip

    assert code == 0, out
    assert "[Ubuntu]" in out  # the distro's output, streamed with a prefix
    assert "service ok" in out  # the first run's own line, printed inside
    # The project lives in the distro's own filesystem, not on /mnt/c.
    project = distro.home / "src" / "python-service"
    assert (project / "pyproject.toml").is_file() and (project / ".venv").is_dir()
    assert not (project / "install.sh").exists()  # the project, not this checkout
    assert (project / ".bootstrap" / "self" / "install.sh").is_file()
    assert not (repo / "examples" / "python-service" / ".venv").exists()
    assert not (project / ".bootstrap-stage").exists()  # staging removed after the run
    # Every call went through `wsl.exe -d Ubuntu -- sh -lc '...'`; the handoff's elapsed
    # time crossed into the distro through WSLENV, not the command line.
    calls = distro.calls()
    assert calls and all(c["argv"][:5] == ["-d", "Ubuntu", "--", "sh", "-lc"] for c in calls)
    stage0 = [c for c in calls if "--report-out" in c["argv"][5]]
    assert len(stage0) == 1
    assert "BOOTSTRAP_HANDOFF_ELAPSED" in str(stage0[0]["wslenv"]).split(":")
    assert "BOOTSTRAP_HANDOFF_ELAPSED" not in stage0[0]["argv"][5]
    # The copies were made inside, reading /mnt/c.
    assert any("/mnt/c/Users/dev/src/bootstrap/" in c["argv"][5] for c in calls)
    assert any("/mnt/c/Users/dev/Downloads/" in c["argv"][5] for c in calls)
    # The Windows side recorded the distro's report as its own.
    (report,) = history(env)
    assert report["strategy"] == "wsl2"
    assert report["outcome"] == "success"
    assert report["target"] == "linux-x86_64-cpu"
    assert report["bundle_used"] is True
    phases = report["phases"]
    assert phases["handoff"] > 0 and phases["first_run"] > 0
    assert report["total_seconds"] >= sum(v for v in phases.values() if v)


BLOCKED = [
    # (capture, exit code, message, fix): each from a real Windows capture.
    (
        "windows-wsl-not-installed",
        "WSL is not installed on this Windows",
        "in an administrator terminal: `wsl --install --no-distribution`, reboot, then re-run "
        "(this needs an administrator and a reboot)",
    ),
    (
        "windows-virtualization-off",
        "virtualization is off in the firmware (Virtualization Enabled In Firmware: No)",
        "reboot into the UEFI/BIOS setup, enable Intel VT-x (Virtualization Technology) or "
        "AMD-V (SVM Mode), save, boot Windows, then re-run (this needs a reboot)",
    ),
    (
        "windows-wsl1-only",
        "WSL distro 'Ubuntu' is WSL1, not WSL2",
        "`wsl --set-version Ubuntu 2`, then re-run",
    ),
    (
        "windows-no-distro",
        "WSL has no Linux distro installed",
        "`wsl --install -d Ubuntu --no-launch`, then re-run",
    ),
]


@pytest.mark.parametrize(("capture", "message", "fix"), BLOCKED, ids=[b[0] for b in BLOCKED])
def test_each_blocker_stops_with_its_command_and_exit_6(tree, tmp_path, capture, message, fix):
    """No strategy fits these hosts but WSL2 would after the user's action: `up` plans
    wsl2, prints the exact command and exits 6 before calling wsl.exe at all."""
    env = fresh_env(tmp_path / "windows")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "windows" / "bootstrap-home")
    env["PATH"] = f"{tmp_path / 'no-wsl-here'}:{env['PATH']}"
    profile = tree / "tests" / "plan" / "profiles" / "linux-only-cpu.toml"

    code, out = up(tree, env, "--replay", str(HOSTS / capture), "--profile", str(profile))

    assert code == EXIT_ACTION_REQUIRED, out
    assert f"error: {message}" in out
    assert f"fix: {fix}" in out
    assert "Traceback" not in out
    (report,) = history(env)  # the attempt is in the history, with its reason
    assert report["strategy"] == "wsl2"
    assert report["outcome"] != "success"
    assert (
        report["error_code"]
        == "wsl2."
        + {
            "windows-wsl-not-installed": "wsl_not_installed",
            "windows-virtualization-off": "virtualization_off",
            "windows-wsl1-only": "distro_wsl1",
            "windows-no-distro": "no_distro",
        }[capture]
    )


def test_the_run_after_the_action_resumes(tree, bundle, make_wsl_distro, tmp_path):
    """Before: WSL missing (exit 6). After the install and the reboot (the Windows host
    now captured with WSL2 and a distro), the same command carries on to a first run."""
    distro = make_wsl_distro(WINDOWS)
    repo, env = windows_side(tmp_path, distro, tree)
    args = ("--profile", "python-service", "--strategy", "wsl2")
    bundle_file = on_c(distro, bundle("python-service", "linux-x86_64-cpu"))

    code, out = up(repo, env, "--replay", str(HOSTS / "windows-wsl-not-installed"), *args)
    assert code == EXIT_ACTION_REQUIRED, out
    assert distro.calls() == []  # nothing was tried in a distro that is not there

    code, out = up(repo, env, "--replay", str(WINDOWS), *args, "--cache-bundle", str(bundle_file))
    assert code == 0, out
    assert (distro.home / "src" / "python-service" / ".venv").is_dir()
    assert [r["outcome"] == "success" for r in history(env)] == [False, True]


def test_the_distros_own_detection_finds_the_gpu_through_the_windows_driver(
    tree, make_wsl_distro, tmp_path
):
    """In WSL2 nvidia-smi is /usr/lib/wsl/lib/nvidia-smi, off PATH. Here it prints a real
    output captured inside WSL2 (tests/fixtures/host/nvidia-smi/wsl2-537.13.txt): the
    distro's detection reads it, and the re-plan there weighs that driver."""
    from bootstrap.host.facts import HostFacts
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.profiles import load_profile

    distro = make_wsl_distro(WINDOWS)
    _repo, env = windows_side(tmp_path, distro, tree)
    smi = distro.cdrive / "nvidia-smi"
    capture = Path(__file__).resolve().parents[1] / "fixtures" / "host" / "nvidia-smi"
    smi.write_text("#!/bin/sh\ncat <<'EOF'\n" + (capture / "wsl2-537.13.txt").read_text() + "EOF\n")
    smi.chmod(0o755)
    install = "mkdir -p /usr/lib/wsl/lib && cp /mnt/c/nvidia-smi /usr/lib/wsl/lib/nvidia-smi"
    detect = "cd /mnt/c/Users/dev/src/bootstrap && python3 -m bootstrap.host"
    done = subprocess.run(
        ["wsl.exe", "-d", "Ubuntu", "--", "sh", "-lc", f"'{install} && {detect}'"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = HostFacts.from_dict(json.loads(done.stdout))
    assert (facts.os, facts.wsl) == ("linux", 2)
    (gpu,) = facts.gpus
    assert (gpu.vendor, gpu.driver_version) == ("nvidia", "537.13")
    assert shutil.which("nvidia-smi", path=env["PATH"]) is None  # not on the Windows side
    plan = make_plan(facts, load_profile("ai-training"), Overrides(strategy="native"))
    accel = next(r for r in plan.reasons if r.decision == "accelerator")
    assert accel.evidence["driver"] == "537.13"


def test_a_distro_wsl_does_not_have_is_an_action(tree, make_wsl_distro, tmp_path):
    """The capture lists Ubuntu, but this machine's WSL has only another distro (it was
    removed since): wsl.exe says so, and `up` names the command that installs it."""
    distro = make_wsl_distro(WINDOWS, distros=("Debian",))
    repo, env = windows_side(tmp_path, distro, tree)
    code, out = up(repo, env, "--replay", str(WINDOWS), "--strategy", "wsl2", "--profile",
                   "python-service")  # fmt: skip
    assert code == EXIT_ACTION_REQUIRED, out
    assert "error: WSL distro 'Ubuntu' is not installed" in out
    assert "fix: `wsl --install -d Ubuntu --no-launch`, then re-run" in out
    assert not (distro.home / "src").exists()


def test_dry_run_shows_each_wsl_command_and_runs_none(tree, tmp_path):
    env = fresh_env(tmp_path / "windows")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "windows" / "bootstrap-home")
    env["BOOTSTRAP_WSL_EXE"] = str(tmp_path / "must-not-run.exe")
    code, out = up(tree, env, "--replay", str(WINDOWS), "--strategy", "wsl2", "--profile",
                   "python-service", "--dry-run")  # fmt: skip
    assert code == 0, out
    exe = tmp_path / "must-not-run.exe"
    run_there = f'would run: {exe} -d Ubuntu -- sh -lc \'cd "$HOME"/src/python-service && '
    assert run_there in out
    # Stage 0 of the bootstrapper sent with the project, for the project, with the
    # shipped profile sent beside it (merged).
    assert "sh .bootstrap/self/install.sh --project . --profile .bootstrap/profile.toml" in out
    assert not (Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl").exists()
