"""A laptop swap, end to end: the old machine onboards three projects (one of them on a
GPU variant), the guard refuses every way of losing work, the export packs a bundle per
project; the new machine (another HOME, no GPU, nothing but loopback) restores all three
to their first runs, re-planned for itself; `swap check` is clean, then finds a drift."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support.gitserver import git, write
from support.machine import fresh_env
from support.network import netns_available
from support.onboarding import Team, bootstrap_argv, in_netns, team_fixture  # noqa: F401

pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here"),
]
PROJECTS = ["srcapp", "flatws", "ai-training"]


def _guard_cases(srcapp: Path) -> list[tuple[str, str, object, object]]:
    """(kind, what the refusal names, make it, undo it) for each way to lose work."""

    def run(*args: str) -> object:
        return lambda: git(srcapp, *args)

    def commit_on(branch: str | None) -> object:
        def make() -> None:
            if branch:
                git(srcapp, "checkout", "--quiet", "-b", branch)
            write(srcapp, {"wip.py": "x = 1\n"})
            git(srcapp, "add", "wip.py")
            git(srcapp, "commit", "--quiet", "-m", "wip")

        return make

    def reset_main() -> None:
        git(srcapp, "checkout", "--quiet", "main")
        git(srcapp, "reset", "--quiet", "--hard", "origin/main")
        git(srcapp, "clean", "-fdq")
        for branch in git(srcapp, "branch", "--format=%(refname:short)").split():
            if branch != "main":
                git(srcapp, "branch", "-D", "--quiet", branch)

    cli = srcapp / "src/srcapp/cli.py"
    return [
        ("uncommitted", "src/srcapp/cli.py", lambda: cli.write_text("# changed\n"), reset_main),
        ("untracked", "notes.txt", lambda: (srcapp / "notes.txt").write_text("n\n"), reset_main),
        ("stash", "stash@{0}", lambda: (cli.write_text("# s\n"), git(srcapp, "stash", "--quiet")),
         lambda: (git(srcapp, "stash", "clear"), reset_main())),
        ("ahead", "branch main is 1 commit(s) ahead of origin/main", commit_on(None), reset_main),
        ("no-upstream", "branch spike: 1 commit(s) on no remote", commit_on("spike"), reset_main),
        ("detached", "detached HEAD at", lambda: (run("checkout", "--quiet", "--detach")(),
                                                  commit_on(None)()), reset_main),
    ]  # fmt: skip


def test_swap_from_a_gpu_machine_to_a_new_one(team: Team, tmp_path: Path) -> None:
    old = fresh_env(tmp_path / "old", BOOTSTRAP_CUDA_DRIVER="550.54.14")
    manifest = team.manifest(tmp_path / "onboard.toml", PROJECTS)
    in_netns(team, bootstrap_argv("onboard", str(manifest)), old)
    workspace = Path(old["HOME"]) / ".local/share/bootstrap/projects"
    swap_file = tmp_path / "carry" / "swap.json"
    swap_file.parent.mkdir()

    # The guard: each way of losing work is refused (exit 6), named, with its fix.
    for kind, named, make, undo in _guard_cases(workspace / "srcapp"):
        make()  # type: ignore[operator]
        res = in_netns(team, bootstrap_argv("swap", "export", "--out", str(swap_file)), old,
                       check=False)  # fmt: skip
        assert res.returncode == 6, (kind, res.stdout + res.stderr)
        assert f"{kind}: " in res.stderr and named in res.stderr, (kind, res.stderr)
        assert "save it: cd " in res.stderr, res.stderr
        assert not swap_file.exists(), kind
        undo()  # type: ignore[operator]

    # Clean: the export writes the file and a bundle per project and target it can have.
    # (The old machine is online: packing downloads what the bundles carry.)
    res = subprocess.run(bootstrap_argv(
        "swap", "export", "--out", str(swap_file),
        "--for", "linux-x86_64-cpu", "--for", "linux-x86_64-cu124",
    ), env=old, capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads(swap_file.read_text())
    by_name = {p["name"]: p for p in data["projects"]}
    assert sorted(by_name) == sorted(PROJECTS), res.stdout
    assert "srcapp: no bundle for linux-x86_64-cu124" in res.stdout, res.stdout
    assert by_name["ai-training"]["target"] == "linux-x86_64-cu124"
    assert {b["target"] for b in by_name["ai-training"]["bundles"]} == {
        "linux-x86_64-cpu", "linux-x86_64-cu124"}  # fmt: skip
    assert by_name["srcapp"]["path"] == "~/.local/share/bootstrap/projects/srcapp"
    assert by_name["srcapp"]["git"] == "git+git://127.0.0.1:9418/srcapp.git"
    assert by_name["srcapp"]["branch"] == "main"
    assert by_name["srcapp"]["unpushed"] == []
    text = swap_file.read_text()
    assert str(tmp_path) not in text  # no machine path, so no user name
    # On the machine it describes, the file matches: nothing differs.
    same = subprocess.run(bootstrap_argv("swap", "check", str(swap_file)), env=old,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert same.returncode == 0, same.stdout + same.stderr
    assert "no difference: 3 project(s) as the file says" in same.stdout

    # The new machine: another HOME, no GPU; the git server only on loopback.
    new = fresh_env(tmp_path / "new")
    res = in_netns(team, bootstrap_argv("swap", "restore", str(swap_file), "--json"), new,
                   timeout=1800)  # fmt: skip
    out = json.loads(res.stdout)
    assert out["exit_code"] == 0, res.stderr
    assert all(p["green"] and p["report"]["run_kind"] == "first" for p in out["projects"]), out
    reports = {p["name"]: p["report"] for p in out["projects"]}
    assert reports["ai-training"]["target"] == "linux-x86_64-cpu"  # re-planned here
    assert any("linux-x86_64-cu124 on the old machine, linux-x86_64-cpu here" in n
               for n in out["notes"]), out["notes"]  # fmt: skip
    assert all(r["bundle_used"] for r in reports.values()), reports
    assert out["report"]["run_kind"] == "restore"
    assert out["report"]["all_green_seconds"] > 0
    assert (out["report"]["projects"], out["report"]["projects_green"]) == (3, 3)

    # swap check: the file's other variant is the one difference, named with its fix...
    res = in_netns(team, bootstrap_argv("swap", "check", str(swap_file)), new, check=False)
    assert res.returncode == 1, res.stdout
    assert "ai-training: other-variant: linux-x86_64-cu124 in the file" in res.stdout
    assert res.stdout.count(": other-variant:") == 1 and "drifted" not in res.stdout
    # ... and an environment changed behind the tool's back is a drift.
    new_ws = Path(new["HOME"]) / ".local/share/bootstrap/projects"
    site = next((new_ws / "srcapp/.venv/lib").glob("python3*/site-packages"))
    shutil.rmtree(next(site.glob("six-*.dist-info")))
    res = in_netns(team, bootstrap_argv("swap", "check", str(swap_file)), new, check=False)
    assert res.returncode == 1
    assert "srcapp: drifted:" in res.stdout, res.stdout
    assert f"fix: bootstrap up --project {new_ws / 'srcapp'} --refresh" in res.stdout


def test_a_tampered_bundle_is_refused_before_its_project_is_set_up(
    team: Team, tmp_path: Path
) -> None:
    from bootstrap.swap.file import load

    swap_file = tmp_path / "swap.json"
    bundles = tmp_path / "swap.bundles"
    bundles.mkdir()
    shutil.copy(team.bundles["srcapp"], bundles / "srcapp-linux-x86_64-cpu.tar")
    commit = git(team.work / "srcapp", "rev-parse", "HEAD").strip()
    swap_file.write_text(json.dumps({
        "swap_version": 1, "created_at": "2026-12-07T10:00:00Z", "tool_version": "0",
        "source": {"os": "linux", "arch": "x86_64", "accel": "cpu"},
        "projects": [{"name": "srcapp", "path": "~/code/srcapp",
                      "git": "git+git://127.0.0.1:9418/srcapp.git", "branch": "main",
                      "commit": commit, "target": "linux-x86_64-cpu",
                      "bundles": [{"target": "linux-x86_64-cpu",
                                   "file": "srcapp-linux-x86_64-cpu.tar", "sha256": "0" * 64}]}],
    }))  # fmt: skip
    assert load(swap_file).projects[0].name == "srcapp"
    env = fresh_env(tmp_path / "new")
    res = in_netns(team, bootstrap_argv("swap", "restore", str(swap_file)), env, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAIL srcapp  failed (exit 2): " in res.stdout, res.stdout
    assert "its SHA-256 is not the one the swap file records for srcapp" in res.stdout
    assert not (Path(env["HOME"]) / "code/srcapp/.venv").exists()
