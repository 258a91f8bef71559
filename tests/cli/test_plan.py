"""`bootstrap plan` end to end, in a subprocess like a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import bootstrap
from support.plans import HOSTS, PROFILES

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"


def test_plan_json_from_a_replayed_capture() -> None:
    r = bootstrap(
        "plan", "--profile", "ai-training", "--replay", str(CAPTURES / "linux-nvidia-550"), "--json"
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["profile"] == "ai-training"
    assert data["target"] == "linux-x86_64-cu124"
    assert data["strategy"] == "native"
    assert data["lock"] == {"path": "uv.lock", "kind": "uv", "extras": ["cu124"], "groups": []}
    assert [s["name"] for s in data["steps"]] == [
        "ensure-uv",
        "python",
        "sync",
        "first-run",
        "report",
    ]
    acc = next(r for r in data["reasons"] if r["decision"] == "accelerator")
    assert acc["choice"] == "cu124"
    assert acc["evidence"]["driver"] == "550.40.07"


def test_plan_replayed_windows_capture_shows_the_wsl2_decision() -> None:
    """A Windows capture whose firmware has virtualization off: nothing fits until the
    user switches it on, so the plan is wsl2 with that action first; the strategy
    reason has the new facts in its evidence and the fix to run."""
    r = bootstrap(
        "plan",
        "--profile",
        str(PROFILES / "linux-only-cpu.toml"),
        "--replay",
        str(CAPTURES / "windows-virtualization-off"),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["strategy"] == "wsl2"
    action = data["steps"][0]
    assert action["name"] == "action-required"
    assert (action["code"], action["admin"], action["reboot"]) == (
        "wsl2.virtualization_off",
        False,
        True,
    )
    assert "enable Intel VT-x" in action["fix"]
    wsl2 = next(x for x in data["reasons"] if x["decision"] == "strategy")
    assert wsl2["why"].startswith("virtualization is off in the firmware")
    assert "enable Intel VT-x" in wsl2["fix"]
    assert wsl2["evidence"]["virtualization_firmware"] is False
    assert wsl2["evidence"]["hypervisor_present"] is False
    assert wsl2["evidence"]["wsl_installed"] is True
    ok = bootstrap(
        "plan",
        "--profile",
        str(PROFILES / "linux-only-cpu.toml"),
        "--replay",
        str(CAPTURES / "windows-wsl2"),
    )
    assert ok.returncode == 0, ok.stderr
    assert "wsl2" in ok.stdout


def test_plan_text_shows_steps_then_why() -> None:
    r = bootstrap(
        "plan",
        "--profile",
        "ai-training",
        "--facts",
        str(HOSTS / "linux-nvidia-550.json"),
        "--cache-bundle",
        "env.tar",
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.index("steps") < out.index("why")
    # With a cache bundle the sync is the wheelhouse's: the lock's pins by hash.
    assert "uv pip sync --offline --no-index --require-hashes" in out
    assert "<uv export --frozen --extra cu124>" in out
    assert "check cache bundle env.tar against the locks" in out
    assert "not cu130: cu130 needs a driver supporting CUDA 13.0; driver 550.40.07" in out


def test_plan_that_fails_prints_every_check_and_exits_1() -> None:
    profile = str(PROFILES / "linux-only-cpu.toml")
    r = bootstrap("plan", "--profile", profile, "--facts", str(HOSTS / "macos-arm64.json"))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "error: no strategy fits profile 'linux-only-cpu'" in r.stderr
    for check in ("check:native", "check:wsl2", "check:remote", "check:devcontainer"):
        assert check in r.stdout
    assert "fix: use a remote Linux box ([strategies.remote] hosts)" in r.stdout
    j = bootstrap(
        "plan", "--profile", profile, "--facts", str(HOSTS / "macos-arm64.json"), "--json"
    )
    assert j.returncode == 1
    data = json.loads(j.stdout)
    assert data["ok"] is False
    assert data["strategy"] == "none"
    assert len(data["reasons"]) == 4


def test_plan_overrides_and_warnings() -> None:
    r = bootstrap(
        "plan",
        "--profile",
        "python-service",
        "--facts",
        str(HOSTS / "linux-no-gpu.json"),
        "--strategy",
        "wsl2",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["strategy"] == "wsl2"
    assert data["warnings"] == [
        "--strategy wsl2 looks wrong here: WSL2 is a Windows strategy; the host is linux"
    ]


def test_plan_bad_inputs_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "facts.json"
    bad.write_text('{"arch": "x86_64"}')
    cases = [
        ("--profile", "nope"),
        ("--profile", "ai-training", "--facts", str(bad)),
        ("--profile", "ai-training", "--facts", str(tmp_path / "missing.json")),
        ("--profile", "ai-training", "--facts", str(HOSTS / "linux-no-gpu.json"), "--target", "x"),
    ]
    for args in cases:
        r = bootstrap("plan", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("error: "), r.stderr
        assert "Traceback" not in r.stderr


def test_plan_on_this_machine() -> None:
    """Without --replay/--facts the planner gets this machine's detected facts."""
    r = bootstrap("plan", "--profile", "default", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["target"].startswith(("linux-", "macos-", "windows-"))
    assert data["lock"]["path"] == "uv.lock"
