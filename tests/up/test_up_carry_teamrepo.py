"""Handoffs carry the team's project, not the bootstrapper's checkout.

A team repository made in the test (git-initialised; its own pyproject.toml, uv.lock and
bootstrap.toml, from tests/fixtures/teamrepo; no bootstrapper source at all) is set up
from this host, which runs the bootstrapper from its checkout elsewhere:

* (c) ``--remote`` to the chrooted sshd box (tests/support/sshbox.py, no network there);
* (d) ``--strategy devcontainer`` with rootful podman and the Dev Containers CLI
  (tests/support/podman.py, ``--network=none``): devcontainer.json lands in the team's
  repository;
* (e) WSL2 through the ``wsl.exe`` stand-in in front of the Debian distro
  (tests/support/wslbox.py), the repository on the folder that plays ``C:\\``;

and, for remote and devcontainer, with a profile given by a path outside both
repositories (which `extends` another file there): it is sent with the project, merged,
its ``[project] path`` pointing at the project there. Each run reaches the team's first
run (its own tests) on the target from the team's bundle, offline, and the host's history
records it. What is sent is what git tracks or would track: a tracked ``.env`` and an
ignored file are not; the bootstrapper goes as its wheel, checked there by SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.machine import fresh_env
from support.podman import IMAGE, PodmanEnv

from bootstrap.strategies import devcontainer_config as dc

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"
HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"
WINDOWS = HOSTS / "windows-wsl2"
HOST_CPU = "linux-x86_64-cpu"
DOTENV_LINE = "TEAM_API_TOKEN=s3cr3t-never-sent"
# The team's profile, without the strategy settings each test adds.
TEAM_PROFILE = (TEAMREPO / "bootstrap.toml").read_text()
DEVCONTAINER = f'\n[strategies.devcontainer]\nimage = "{IMAGE}"\nrun_args = ["--network=none"]\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=team", "-c", "user.email=team@example.com",
         *args],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def make_team_repo(where: Path, *, profile: str | None = TEAM_PROFILE) -> Path:
    """The team's repository: the fixture's files, git-initialised and committed, with a
    tracked .env (a secret), an untracked file git does not ignore and one it ignores."""
    repo = where / "team"
    shutil.copytree(TEAMREPO, repo, ignore=shutil.ignore_patterns("bootstrap.toml"))
    if profile is not None:
        (repo / "bootstrap.toml").write_text(profile)
    (repo / ".gitignore").write_text("build/\n")
    (repo / ".env").write_text(DOTENV_LINE + "\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "add", "-f", ".env")  # tracked by mistake: still never sent
    git(repo, "commit", "-q", "-m", "team")
    (repo / "NOTES.md").write_text("not committed yet, not ignored: sent\n")
    (repo / "build").mkdir()
    (repo / "build" / "artifact.txt").write_text("ignored: not sent\n")
    assert not (repo / "bootstrap").exists() and not (repo / "install.sh").exists()
    return repo


def outside_profile(where: Path, project: Path, extra: str = "") -> Path:
    """A profile outside both repositories, given by path: svc.toml extends base.toml
    beside it; its [project] path is this host's."""
    where.mkdir(parents=True, exist_ok=True)
    base = TEAM_PROFILE.replace('name = "teamrepo"', 'name = "team-base"')
    base = base.replace('path = "."', f"path = {json.dumps(os.path.relpath(project, where))}")
    (where / "base.toml").write_text(base)
    svc = where / "svc.toml"
    svc.write_text(f'extends = "base.toml"\nname = "svc"\n{extra}')
    return svc


def up(cwd: Path, env: dict[str, str], *args: str, timeout: float = 600) -> tuple[int, str]:
    p = subprocess.run(
        [sys.executable, "-m", "bootstrap", "up", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    return p.returncode, p.stdout


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def host_env(tmp_path: Path) -> dict[str, str]:
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    return env


def the_wheel(env: dict[str, str]) -> tuple[str, str]:
    """(name, sha256) of the bootstrapper's wheel this host built for the handoff."""
    (wheel,) = (Path(env["BOOTSTRAP_HOME"]) / "cache" / "self").glob("*/*.whl")
    return wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest()


def assert_carried(there: Path, env: dict[str, str], *, mounted: bool = False) -> None:
    """``there`` (the project's directory on the target) holds the team's project as git
    sees it, nothing secret or ignored, and the bootstrapper unpacked from its wheel.
    ``mounted``: ``there`` is the team's repository itself (a dev container's bind mount),
    where nothing of the project is copied: the user's own files, .env included, stay
    as they are."""
    for name in ("pyproject.toml", "uv.lock", "NOTES.md", "tests/test_greet.py"):
        assert (there / name).is_file(), name
    assert (there / ".env").exists() is mounted
    assert (there / "build").exists() is mounted
    # No copy of the bootstrapper's checkout: its package only inside .bootstrap/self.
    for name in ("install.sh", "bootstrap", "profiles", "examples"):
        assert not (there / name).exists(), name
    wheel, sha = the_wheel(env)
    assert (there / ".bootstrap" / "in" / wheel).is_file()
    assert (there / ".bootstrap" / "self" / ".sha256").read_text().strip() == sha
    assert (there / ".bootstrap" / "self" / "bootstrap" / "__main__.py").is_file()
    assert (there / ".bootstrap" / ".gitignore").read_text().strip().endswith("*")


def assert_first_run_recorded(env: dict[str, str], strategy: str, profile: str) -> None:
    (report,) = history(env)
    assert report["strategy"] == strategy
    assert report["outcome"] == "success", report
    assert report["profile"] == profile
    assert report["target"] == HOST_CPU
    assert report["run_kind"] == "first" and report["first_run_ran"] is True
    assert report["bundle_used"] is True and report["network_used"] is False
    assert report["phases"]["first_run"] > 0


def no_secret_in(folder: Path) -> None:
    found = subprocess.run(
        ["grep", "-rl", "s3cr3t-never-sent", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.stdout == "", found.stdout


# -- (c) remote ----------------------------------------------------------------------------


@pytest.mark.remote
def test_c_remote_sets_up_the_team_repository_on_the_box(
    team_bundle: Path, make_remote_box: Any, tmp_path: Path
) -> None:
    box = make_remote_box()
    team = make_team_repo(tmp_path / "work")
    env = {**host_env(tmp_path), **box.env()}

    code, out = up(
        tmp_path, env, "--project", str(team), "--remote", box.alias,
        "--cache-bundle", str(team_bundle),
    )  # fmt: skip

    assert code == 0, out
    assert "passed" in out and "[remotebox]" in out  # the team's tests ran on the box
    there = box.remote_home / "team"
    assert_carried(there, env)
    assert (there / "bootstrap.toml").read_text() == TEAM_PROFILE  # the team's, as is
    assert (there / ".venv" / "bin" / "python").exists()
    assert_first_run_recorded(env, "remote", "teamrepo")
    no_secret_in(box.remote_home)

    # Again: nothing changed, nothing sent, the box's own no-op.
    code, out = up(tmp_path, env, "--project", str(team), "--remote", box.alias,
                   "--cache-bundle", str(team_bundle))  # fmt: skip
    assert code == 0, out
    assert "0 of" in out and "files sent" in out and "already there" in out
    assert "up to date" in out


@pytest.mark.remote
def test_c_a_profile_outside_both_repositories_goes_to_the_box_with_the_project(
    team_bundle: Path, make_remote_box: Any, tmp_path: Path
) -> None:
    box = make_remote_box()
    team = make_team_repo(tmp_path / "work", profile=None)  # the team keeps no profile
    svc = outside_profile(tmp_path / "elsewhere", team)
    env = {**host_env(tmp_path), **box.env()}

    code, out = up(
        tmp_path, env, "--profile", str(svc), "--remote", box.alias,
        "--cache-bundle", str(team_bundle),
    )  # fmt: skip

    assert code == 0, out
    assert "passed" in out
    there = box.remote_home / "team"
    assert_carried(there, env)
    sent = tomllib.loads((there / ".bootstrap" / "profile.toml").read_text())
    assert sent["name"] == "svc" and "extends" not in sent  # merged here
    assert sent["project"]["path"] == ".."  # the project's directory there
    assert sent["locks"][0]["groups"] == ["tests"]  # from base.toml
    assert not (there / "svc.toml").exists() and not (there / "bootstrap.toml").exists()
    assert_first_run_recorded(env, "remote", "svc")


# -- (d) devcontainer -----------------------------------------------------------------------


@pytest.fixture
def team_containers(podman_env: PodmanEnv, tmp_path: Path) -> Iterator[PodmanEnv]:
    yield podman_env
    for workspace in (tmp_path / "work" / "team",):
        podman_env.remove_containers(workspace)
    podman_env.podman("volume", "rm", dc.CACHE_VOLUME, check=False)


def dc_env(tmp_path: Path, podman_env: PodmanEnv) -> dict[str, str]:
    env = host_env(tmp_path)
    env["PATH"] = f"{podman_env.devcontainer.parent}:{env['PATH']}"
    env.update(podman_env.env())
    return env


@pytest.mark.devcontainer
def test_d_devcontainer_mounts_the_team_repository_and_writes_its_config_there(
    team_bundle: Path, team_containers: PodmanEnv, tmp_path: Path
) -> None:
    team = make_team_repo(tmp_path / "work", profile=TEAM_PROFILE + DEVCONTAINER)
    env = dc_env(tmp_path, team_containers)
    checkout_config = REPO / ".devcontainer" / "devcontainer.json"
    before = checkout_config.read_bytes() if checkout_config.exists() else None

    code, out = up(
        tmp_path, env, "--project", str(team), "--strategy", "devcontainer",
        "--cache-bundle", str(team_bundle),
    )  # fmt: skip

    assert code == 0, out
    assert "passed" in out and "[devcontainer]" in out
    # The config is the team's repository's, never the bootstrapper's checkout's.
    doc = json.loads((team / ".devcontainer" / "devcontainer.json").read_text())
    assert "--profile bootstrap.toml" in doc["postCreateCommand"]
    assert (checkout_config.read_bytes() if checkout_config.exists() else None) == before
    (cid,) = team_containers.containers_of(team)
    mounted = team_containers.podman(
        "exec", cid, "sh", "-c", "ls /workspaces/team && cat /workspaces/team/bootstrap.toml"
    )
    assert "uv.lock" in mounted.stdout and 'name = "teamrepo"' in mounted.stdout
    assert_carried(team, env, mounted=True)  # the workspace is the team's repository itself
    assert_first_run_recorded(env, "devcontainer", "teamrepo")
    # What the handoff added to the team's repository is invisible to git.
    status = subprocess.run(
        ["git", "-C", str(team), "status", "--porcelain"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert ".bootstrap" not in status and "cache-bundle" not in status, status


@pytest.mark.devcontainer
def test_d_a_profile_outside_both_repositories_reaches_the_container(
    team_bundle: Path, team_containers: PodmanEnv, tmp_path: Path
) -> None:
    team = make_team_repo(tmp_path / "work", profile=None)
    svc = outside_profile(tmp_path / "elsewhere", team, extra=DEVCONTAINER)
    env = dc_env(tmp_path, team_containers)

    code, out = up(
        tmp_path, env, "--profile", str(svc), "--strategy", "devcontainer",
        "--cache-bundle", str(team_bundle),
    )  # fmt: skip

    assert code == 0, out
    assert "passed" in out
    doc = json.loads((team / ".devcontainer" / "devcontainer.json").read_text())
    assert "--profile .bootstrap/profile.toml" in doc["postCreateCommand"]
    sent = tomllib.loads((team / ".bootstrap" / "profile.toml").read_text())
    assert sent["name"] == "svc" and sent["project"]["path"] == ".."
    assert not (svc.parent / ".devcontainer").exists()
    assert_first_run_recorded(env, "devcontainer", "svc")


# -- (e) WSL2 -------------------------------------------------------------------------------


@pytest.mark.wsl2
def test_e_wsl2_sets_up_the_team_repository_in_the_distro(
    team_bundle: Path, make_wsl_distro: Any, tmp_path: Path
) -> None:
    distro = make_wsl_distro(WINDOWS)
    team = make_team_repo(distro.cdrive / "Users" / "dev" / "src")
    downloads = distro.cdrive / "Users" / "dev" / "Downloads"
    downloads.mkdir(parents=True)
    bundle = Path(shutil.copy2(team_bundle, downloads))
    env = distro.env(host_env(tmp_path))

    code, out = up(
        team, env, "--replay", str(WINDOWS), "--strategy", "wsl2", "--project", str(team),
        "--cache-bundle", str(bundle),
    )  # fmt: skip

    assert code == 0, out
    assert "passed" in out and "[Ubuntu]" in out
    there = distro.home / "src" / "team"  # the distro's own filesystem, not /mnt/c
    assert_carried(there, env)
    assert (there / ".venv" / "bin" / "python").exists()
    assert not (team / ".venv").exists()
    assert_first_run_recorded(env, "wsl2", "teamrepo")
    no_secret_in(distro.home)
