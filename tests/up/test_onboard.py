"""`bootstrap onboard`: three real projects from a real git server, set up side by side
on a machine with nothing but loopback, each to its first run; the whole timed to all
green; a failure in one stops nothing else; a kill -9 then a re-run converges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.gitserver import git, write
from support.machine import fresh_env
from support.network import netns_available
from support.onboarding import IN_NETNS, Team, bootstrap_argv, in_netns, team_fixture  # noqa: F401

pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here"),
]
PROJECTS = ["srcapp", "flatws", "ai-training"]


def _history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _machine(tmp_path: Path, name: str = "machine") -> dict[str, str]:
    return fresh_env(tmp_path / name, BOOTSTRAP_CUDA_DRIVER="550.54.14")


def test_three_projects_to_all_green_then_a_rerun_redoes_nothing(
    team: Team, tree: Path, tmp_path: Path
) -> None:
    env = _machine(tmp_path)
    manifest = team.manifest(tmp_path / "onboard.toml", PROJECTS)
    # The new hire's one command: the installer (its uv and tool from a bundle, as on a
    # machine with no network), then the onboarding.
    stage0 = ["sh", str(tree / "install.sh"), "--cache-bundle", str(team.bundles["srcapp"])]
    res = in_netns(team, [*stage0, "onboard", str(manifest), "--json"], env)
    out = json.loads(res.stdout)
    assert out["exit_code"] == 0, res.stderr
    by_name = {p["name"]: p for p in out["projects"]}
    assert sorted(by_name) == sorted(PROJECTS)
    workspace = Path(env["HOME"]) / ".local/share/bootstrap/projects"
    for name in PROJECTS:
        project = by_name[name]
        assert project["green"], project
        assert project["checkout"] == "cloned"
        assert project["path"] == str(workspace / name)
        assert project["report"]["run_kind"] == "first"
        assert project["report"]["first_run_ran"] is True
    # The variant each project's own plan chose: CUDA 12.4 from the driver in the env.
    assert by_name["ai-training"]["report"]["target"] == "linux-x86_64-cu124"
    assert by_name["srcapp"]["report"]["target"] == "linux-x86_64-cpu"

    whole = out["report"]
    assert whole["run_kind"] == "onboard"
    assert whole["profile"] == "onboard:team"
    assert (whole["projects"], whole["projects_green"]) == (3, 3)
    assert whole["outcome"] == "success"
    assert whole["total_from"] == "stage0"  # timed from the installer's first second
    slowest = max(p["seconds"] for p in out["projects"])
    assert whole["all_green_seconds"] >= slowest > 0
    history = _history(env)
    assert sorted(r["run_kind"] for r in history) == ["first", "first", "first", "onboard"]
    assert history[-1]["report_id"] == whole["report_id"]

    # The same command again: every project is a no-op; the summary says all green.
    again = in_netns(team, bootstrap_argv("onboard", str(manifest)), env)
    assert "all green: 3 project(s)" in again.stdout, again.stdout + again.stderr
    assert again.stdout.count("(already set up)") == 3, again.stdout
    kinds = [r["run_kind"] for r in _history(env)]
    assert kinds[4:] == ["noop", "noop", "noop", "onboard"] or sorted(kinds[4:]) == sorted(
        ["noop", "noop", "noop", "onboard"]
    )


def test_one_failing_project_stops_nothing_else(team: Team, tmp_path: Path) -> None:
    work = team.work / "srcapp"
    git(work, "checkout", "--quiet", "-b", "broken")
    write(work, {"tests/test_broken.py": "def test_broken():\n    assert 1 == 2\n"})
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "a failing test")
    git(work, "push", "--quiet", "origin", "broken")
    env = _machine(tmp_path)
    manifest = team.manifest(tmp_path / "onboard.toml", ["srcapp", "flatws"],
                             refs={"srcapp": "broken"})  # fmt: skip
    res = in_netns(team, bootstrap_argv("onboard", str(manifest)), env, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    srcapp = next(line for line in lines if line.startswith("FAIL srcapp"))
    assert "failed (exit 1)" in srcapp, res.stdout
    assert "first run" in srcapp, res.stdout
    assert any(line.startswith("ok   flatws") and "green" in line for line in lines), res.stdout
    assert "1 of 2 green, 1 failed" in res.stdout
    whole = _history(env)[-1]
    assert whole["run_kind"] == "onboard"
    assert (whole["projects"], whole["projects_green"], whole["all_green_seconds"]) == (2, 1, None)
    assert whole["error_code"] == "onboard.project_failed"


def test_a_kill_in_the_middle_then_a_rerun_converges(team: Team, tmp_path: Path) -> None:
    env = _machine(tmp_path)
    manifest = team.manifest(tmp_path / "onboard.toml", PROJECTS, jobs=1)
    history = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    proc = subprocess.Popen(
        ["unshare", "-n", "sh", "-c", IN_NETNS, "netns", str(team.root),
         *bootstrap_argv("onboard", str(manifest))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    # Kill everything (the onboarding, the `up` it runs, the git daemon) once the first
    # project is green and the second is under way.
    deadline = time.monotonic() + 600
    while not (history.exists() and history.read_text().count("\n") >= 1):
        assert proc.poll() is None, "the onboarding ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = [r for r in _history(env) if r["run_kind"] == "first"]
    assert 1 <= len(done_before) < 3

    res = in_netns(team, bootstrap_argv("onboard", str(manifest), "--json"), env)
    out = json.loads(res.stdout)
    assert out["exit_code"] == 0, res.stderr
    kinds = sorted(p["report"]["run_kind"] for p in out["projects"])
    # What finished before the kill is a no-op now; the rest ran its first run (a
    # project killed between its first run's end and its report is a no-op too: its
    # steps are all done).
    assert kinds.count("noop") >= len(done_before), kinds
    assert len(kinds) == 3 and set(kinds) <= {"first", "resync", "noop"}, kinds
    assert all(p["green"] for p in out["projects"])
    workspace = Path(env["HOME"]) / ".local/share/bootstrap/projects"
    assert sorted(p.name for p in workspace.iterdir()) == sorted(PROJECTS)  # no partial clone
