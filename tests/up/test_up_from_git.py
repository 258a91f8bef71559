"""`up --project git+URL@ref`: a project that is only in git, set up on a machine with
no network but loopback, where a real git daemon serves it; the checkout lands in the
workspace, its own tests pass as the first run, and a re-run never touches local work."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.gitserver import git
from support.machine import fresh_env
from support.network import netns_available

# In a new network namespace: loopback up, a git daemon on it, then the installer.
IN_NETNS = """\
ip link set lo up
root=$1; shift
git daemon --reuseaddr --export-all --base-path="$root" --listen=127.0.0.1 --port=9418 "$root" &
daemon=$!
i=0
until git ls-remote git://127.0.0.1:9418/srcapp.git >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "git daemon did not start" >&2; exit 99; }; sleep 0.1
done
sh "$@"; rc=$?
kill $daemon; wait $daemon 2>/dev/null
exit $rc
"""


def _serve(template: Path, root: Path) -> None:
    work = root.parent / "work"
    shutil.copytree(template, work, ignore=shutil.ignore_patterns(".venv"))
    git(work, "init", "--quiet", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "srcapp")
    root.mkdir()
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work), str(root / "srcapp.git")],
                   check=True)  # fmt: skip


def _install(tree: Path, root: Path, env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        ["unshare", "-n", "sh", "-c", IN_NETNS, "netns", str(root), str(tree / "install.sh"),
         *args],
        cwd=root.parent, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    return out


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_project_from_git_is_cloned_set_up_and_left_alone_after(
    shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    root = tmp_path / "served"
    _serve(template, root)
    env = fresh_env(tmp_path / "machine")
    source = "git+git://127.0.0.1:9418/srcapp.git@main"

    first = _install(tree, root, env, "--project", source, "--cache-bundle", str(bundle))
    checkout = Path(env["HOME"]) / ".local/share/bootstrap/projects/srcapp"
    assert f"cloned git://127.0.0.1:9418/srcapp.git@main into {checkout}" in first, first
    assert "5 passed" in first, first
    assert git(checkout, "symbolic-ref", "--short", "HEAD").strip() == "main"

    # Work in progress in the checkout: the re-run fetches, sees it, leaves it, and the
    # environment is still up to date.
    (checkout / "NOTES.md").write_text("mine\n")
    cli = checkout / "src/srcapp/cli.py"
    cli.write_text(cli.read_text() + "# edited\n")
    again = _install(tree, root, env, "--project", source)
    assert f"left {checkout} as it is: it has local changes" in again, again
    assert cli.read_text().endswith("# edited\n")
    assert "ready: profile None" not in again  # a no-op prints no run summary
    assert (checkout / "NOTES.md").read_text() == "mine\n"

    history = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    records = [json.loads(line) for line in history.read_text().splitlines()]
    assert records[0]["run_kind"] == "first"
    assert all("127.0.0.1:9418" not in json.dumps(r) for r in records)  # no raw host names


TEAM_PROFILE = """\
name = "svc"
description = "Kept in the team's profiles repository; the project is in git."

[project]
git = "git://127.0.0.1:9418/srcapp.git"
ref = "main"
python = ">=3.9"

[[locks]]
kind = "uv"
path = "uv.lock"
groups = ["tests"]

[first_run]
command = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
timeout_seconds = 120

[sync]
network = "offline"
"""


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_profile_naming_the_projects_repository_clones_it_first(
    shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    root = tmp_path / "served"
    _serve(template, root)
    env = fresh_env(tmp_path / "machine")
    profile = tmp_path / "team-profiles" / "svc.toml"
    profile.parent.mkdir()
    profile.write_text(TEAM_PROFILE)

    out = _install(tree, root, env, "--profile", str(profile), "--cache-bundle", str(bundle))
    checkout = Path(env["HOME"]) / ".local/share/bootstrap/projects/srcapp"
    assert f"cloned git://127.0.0.1:9418/srcapp.git@main into {checkout}" in out, out
    assert "5 passed" in out, out
    assert (checkout / ".venv").is_dir()


def test_a_bad_git_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    from bootstrap.errors import ConfigError
    from bootstrap.profiles import load_profile

    profile = tmp_path / "svc.toml"
    profile.write_text(TEAM_PROFILE.replace("git://127.0.0.1:9418", "http://git.example.com"))
    with pytest.raises(ConfigError) as caught:
        load_profile(str(profile))
    assert f"{profile}: `project.git`" in str(caught.value)
    assert "not encrypted" in str(caught.value)
