"""`up --project git+ssh://...`: a project cloned over ssh from a real sshd (chrooted in
a Debian root filesystem, git copied into it), with the user's own ssh configuration
(GIT_SSH_COMMAND, a key and known_hosts), then set up offline from its bundle."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.gitserver import git
from support.machine import fresh_env
from support.sshbox import MakeRemoteBox

GIT = Path(shutil.which("git") or "/usr/bin/git")


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.remote
def test_a_project_cloned_over_ssh_with_the_users_ssh_config(
    make_remote_box: MakeRemoteBox,
    shape: Callable[[str], tuple[Path, Path]],
    tree: Path,
    tmp_path: Path,
) -> None:
    box = make_remote_box(extra_tools=(GIT, GIT.with_name("git-upload-pack")))
    template, bundle = shape("srcapp")
    work = tmp_path / "srcapp"
    shutil.copytree(template, work, ignore=shutil.ignore_patterns(".venv"))
    git(work, "init", "--quiet", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "srcapp")
    served = box.remote_home / "srcapp.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work), str(served)], check=True)

    env = fresh_env(tmp_path / "machine")
    # The user's ssh setup, as git uses it: the alias, the key and known_hosts all come
    # from the box's ssh_config. Nothing of it is passed to the tool.
    env["GIT_SSH_COMMAND"] = f"ssh -F {box.ssh_config}"
    source = f"git+ssh://{box.alias}/root/srcapp.git@main"
    res = subprocess.run(
        ["sh", str(tree / "install.sh"), "--project", source, "--cache-bundle", str(bundle)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    checkout = Path(env["HOME"]) / ".local/share/bootstrap/projects/srcapp"
    assert f"cloned ssh://{box.alias}/root/srcapp.git@main into {checkout}" in out, out
    assert "5 passed" in out, out
    assert git(checkout, "remote", "get-url", "origin").strip() == source[4:].rsplit("@", 1)[0]
    history = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    (record,) = [json.loads(line) for line in history.read_text().splitlines()]
    assert record["run_kind"] == "first" and record["outcome"] == "success"
    assert box.alias not in json.dumps(record)
