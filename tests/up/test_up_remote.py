"""`bootstrap up --strategy remote` against a real remote box: OpenSSH's sshd chrooted
in a Debian root filesystem on 127.0.0.1 (tests/support/sshbox.py), every session of
which runs with no network but loopback. The box gets the repository and the bundle,
runs install.sh there, and the host records the box's report as its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from support import cli
from support.machine import fresh_env

from bootstrap.errors import EXIT_TARGET_REFUSED, EXIT_TARGET_UNFIT, EXIT_UNREACHABLE

pytestmark = [pytest.mark.remote, pytest.mark.slow]

SERVICE_BUNDLE = ("python-service", "linux-x86_64-cpu")


def up(tree: Path, env: dict[str, str], *args: str, timeout: float = 300) -> tuple[int, str]:
    """The host side, as a user runs it; stdout and stderr together."""
    p = cli.bootstrap("up", *args, cwd=tree, env=env, timeout=timeout, merge=True)
    return p.returncode, p.stdout


def host_env(tmp_path: Path, box: object, **extra: str) -> dict[str, str]:
    env = fresh_env(tmp_path / "host", **extra)
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env.update(box.env())  # type: ignore[attr-defined]
    return env


def history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def remote_profile(tree: Path, alias: str, base: str = "python-service") -> Path:
    """A team profile that names the box, extending a shipped one."""
    path = tree / "profiles" / f"{base}-remote.toml"
    path.write_text(
        f'extends = "{base}"\nname = "{base}-remote"\n\n[strategies.remote]\nhosts = ["{alias}"]\n'
    )
    return path


def test_remote_up_runs_the_first_run_there_offline(tree, bundle, make_remote_box, tmp_path):
    box = make_remote_box()
    bundle_file = bundle(*SERVICE_BUNDLE)
    profile = remote_profile(tree, box.alias)
    # Secrets on the host (a proxy password, a sink token) never reach the box.
    secret = uuid.uuid4().hex
    env = host_env(
        tmp_path,
        box,
        HTTPS_PROXY=f"http://user:{secret}@127.0.0.1:9",
        TEAM_METRICS_TOKEN=secret,
    )

    code, out = up(
        tree, env, "--profile", str(profile), "--strategy", "remote", "--cache-bundle",
        str(bundle_file),
    )  # fmt: skip

    assert code == 0, out
    assert "[remotebox]" in out  # the box's output, streamed with a prefix
    assert "service ok" in out  # the first run's own line, printed there
    # The box got the project (not the bootstrapper's checkout) and the bootstrapper as
    # its wheel, unpacked beside it in .bootstrap/.
    remote_dir = box.remote_home / "python-service"
    assert (remote_dir / "pyproject.toml").is_file() and (remote_dir / ".venv").is_dir()
    assert not (remote_dir / "install.sh").exists() and not (remote_dir / "profiles").exists()
    assert (remote_dir / ".bootstrap" / "self" / "install.sh").is_file()
    assert (remote_dir / ".bootstrap" / "self" / "bootstrap" / "__main__.py").is_file()
    assert not (remote_dir / ".bootstrap-stage").exists()  # staging removed after the run
    # The host recorded the box's report as its own.
    (report,) = history(env)
    assert report["strategy"] == "remote"
    assert report["outcome"] == "success"
    assert report["target"] == "linux-x86_64-cpu"
    assert report["bundle_used"] is True
    phases = report["phases"]
    assert phases["handoff"] > 0 and phases["first_run"] > 0 and phases["sync"] >= 0
    # The host's phases and the box's (its stage 0 included) add up to total (within 5 %).
    total = report["total_seconds"]
    assert abs(sum(v for v in phases.values() if v) - total) <= 0.05 * total, phases
    assert {"stage0_uv", "stage0_tool_env"} <= set(phases)
    assert report["run_kind"] == "first" and report["time_to_first_run_seconds"] == total
    leaked = subprocess.run(
        ["grep", "-rl", secret, str(box.remote_home), str(box.upper)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert leaked.stdout == "", leaked.stdout


def test_remote_facts_choose_the_variant(tree, bundle, make_remote_box, tmp_path):
    """BOOTSTRAP_CUDA_DRIVER=550.54 on the box, none on the host: the box gets cu124."""
    box = make_remote_box(remote_env={"BOOTSTRAP_CUDA_DRIVER": "550.54"})
    bundle_file = bundle("ai-training", "linux-x86_64-cu124")
    env = host_env(tmp_path, box)
    env.pop("BOOTSTRAP_CUDA_DRIVER", None)

    code, out = up(
        tree,
        env,
        "--profile",
        "ai-training",
        "--remote",
        box.alias,
        "--cache-bundle",
        str(bundle_file),
    )

    assert code == 0, out
    assert "linux-x86_64-cu124" in out
    site = box.remote_home / "ai-training" / ".venv" / "lib"
    names = {p.name.lower() for p in site.glob("python3*/site-packages/*")}
    assert any(n.startswith("nvidia_cuda_runtime_cu12") for n in names), names
    (report,) = history(env)
    assert report["target"] == "linux-x86_64-cu124"


def test_a_bundle_for_another_variant_is_refused_before_sending(
    tree, bundle, make_remote_box, tmp_path
):
    box = make_remote_box(remote_env={"BOOTSTRAP_CUDA_DRIVER": "550.54"})
    cpu_bundle = bundle("ai-training", "linux-x86_64-cpu")
    env = host_env(tmp_path, box)
    code, out = up(
        tree,
        env,
        "--profile",
        "ai-training",
        "--remote",
        box.alias,
        "--cache-bundle",
        str(cpu_bundle),
    )
    assert code == 2, out
    assert "linux-x86_64-cu124" in out
    assert not list((box.remote_home / "ai-training").glob(".bootstrap-stage/*.tar"))


def test_second_up_is_a_noop_there_and_sends_only_what_changed(
    tree, bundle, make_remote_box, tmp_path
):
    box = make_remote_box()
    bundle_file = bundle(*SERVICE_BUNDLE)
    env = host_env(tmp_path, box)
    args = ("--profile", "python-service", "--remote", box.alias)

    code, out = up(tree, env, *args, "--cache-bundle", str(bundle_file))
    assert code == 0, out

    start = time.monotonic()
    code, out = up(tree, env, *args, "--cache-bundle", str(bundle_file))
    elapsed = time.monotonic() - start
    assert code == 0, out
    assert "0 of" in out and "files sent" in out
    assert "already imported there" in out
    assert "up to date" in out  # the box's own no-op
    print(f"no-op re-run: {elapsed:.2f}s")

    changed = tree / "examples" / "python-service" / "pyproject.toml"
    changed.write_text(changed.read_text() + "\n# one more line\n")
    code, out = up(tree, env, *args)
    assert code == 0, out
    assert "1 of" in out and "files sent" in out
    there = box.remote_home / "python-service" / "pyproject.toml"
    assert there.read_text().endswith("# one more line\n")
    assert [r["strategy"] for r in history(env)] == ["remote"] * 3


@pytest.mark.parametrize(
    ("box_options", "exit_code", "needle"),
    [
        ({"listening": False}, EXIT_UNREACHABLE, "cannot connect"),
        ({"authorize_client": False}, EXIT_TARGET_REFUSED, "authentication refused"),
        ({"trust_host_key": False}, EXIT_TARGET_REFUSED, "ssh-keyscan"),
        ({"without_python": True}, EXIT_TARGET_UNFIT, "no python3"),
    ],
    ids=["wrong-port", "auth-refused", "unknown-host-key", "no-python"],
)
def test_failures_have_a_message_and_their_own_exit_code(  # noqa: PLR0917 - fixtures
    tree, make_remote_box, tmp_path, box_options, exit_code, needle
):
    box = make_remote_box(**box_options)
    env = host_env(tmp_path, box)
    code, out = up(tree, env, "--profile", "python-service", "--remote", box.alias, timeout=120)
    assert code == exit_code, out
    assert needle in out
    assert "Traceback" not in out
    # A failure is a run too: it is in the history with its error code.
    (report,) = history(env)
    assert report["outcome"] == "failure" and report["strategy"] == "remote"
    assert str(report["error_code"]).startswith("remote.")


def test_an_unknown_host_key_can_be_accepted_explicitly(tree, bundle, make_remote_box, tmp_path):
    box = make_remote_box(trust_host_key=False)
    env = host_env(tmp_path, box)
    code, out = up(
        tree,
        env,
        "--profile",
        "python-service",
        "--remote",
        box.alias,
        "--accept-new-host-key",
        "--cache-bundle",
        str(bundle(*SERVICE_BUNDLE)),
    )
    assert code == 0, out
    assert box.host_key.split()[1] in box.known_hosts.read_text()


def test_kill_mid_transfer_then_rerun_converges(tree, bundle, make_remote_box, tmp_path):
    box = make_remote_box()
    bundle_file = bundle(*SERVICE_BUNDLE)
    env = host_env(tmp_path, box)
    args = [sys.executable, "-m", "bootstrap", "up", "--profile", "python-service"]
    args += ["--remote", box.alias, "--cache-bundle", str(bundle_file)]
    p = subprocess.Popen(
        args, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert p.stdout is not None
    for line in p.stdout:
        if "[ship-bundle]" in line or "[transfer]" in line:
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)

    code, out = up(tree, env, "--profile", "python-service", "--remote", box.alias,
                   "--cache-bundle", str(bundle_file))  # fmt: skip
    assert code == 0, out
    # Either this run did the first run, or the one killed on this side finished it there
    # (ssh's child outlives a kill -9 of its parent); either way the box is ready.
    assert "service ok" in out or "succeeded before" in out or "up to date" in out, out
    assert (box.remote_home / "python-service" / ".venv").is_dir()


def test_dry_run_prints_every_ssh_and_rsync_command(tree, make_remote_box, tmp_path):
    box = make_remote_box()
    env = host_env(tmp_path, box)
    code, out = up(
        tree, env, "--profile", "python-service", "--remote", box.alias, "--dry-run", timeout=60
    )
    assert code == 0, out
    commands = [line for line in out.splitlines() if "would run:" in line]
    assert any(" rsync " in f" {c} " for c in commands), out
    assert any("BatchMode=yes" in c and "install.sh" in c for c in commands), out
    assert not (box.remote_home / "python-service").exists()  # nothing was changed there


def test_plan_shows_the_boxs_facts_and_its_variant(tree, make_remote_box, tmp_path):
    """`bootstrap plan` with a remote strategy detects on the box (nothing installed
    there) and re-plans: a Linux box with driver 550.54 gets cu124."""
    box = make_remote_box(remote_env={"BOOTSTRAP_CUDA_DRIVER": "550.54"})
    env = host_env(tmp_path, box)
    profile = remote_profile(tree, box.alias, base="ai-training")
    argv = [sys.executable, "-m", "bootstrap", "plan", "--profile", str(profile)]
    done = subprocess.run(
        [*argv, "--strategy", "remote", "--json"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout)["remote"][box.alias]
    assert there["target"] == "linux-x86_64-cu124"
    assert there["extras"] == ["cu124"]
    assert there["facts"]["gpus"][0]["driver_version"] == "550.54"
    assert list(box.remote_home.iterdir()) == [box.remote_home / ".ssh"]  # nothing left
    text = subprocess.run(
        [*argv, "--strategy", "remote"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    ).stdout  # fmt: skip
    assert f"remote {box.alias}: linux x86_64" in text
    assert "re-planned there: linux-x86_64-cu124" in text
