"""A team's repository adopts the bootstrapper: `bootstrap init`, then a new machine runs
the committed install.sh, which fetches the pinned wheel (from a PEP 503 index on
127.0.0.1, or a cache bundle with no network at all), verifies it against the pin, and
takes the team's project to its first run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support.network import netns_available, offline
from support.teamkit import (
    Released,
    Seed,
    TeamIndex,
    bootstrap,
    fresh_env,
    git,
    write_team,
)

pytestmark = pytest.mark.slow


def adopt(team: Path, released: Released) -> None:
    """`bootstrap init` in the team's repository, and the team commits what it wrote."""
    res = bootstrap("init", str(team), pin=released.pin)
    assert res.returncode == 0, res.stdout + res.stderr
    git(team, "add", "-A")
    git(team, "commit", "-qm", "adopt bootstrap")


def history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def no_bootstrapper_source(team: Path) -> None:
    tracked = git(team, "ls-files").split()
    assert not [
        t
        for t in tracked
        if t.startswith("bootstrap/") or (t.endswith(".py") and "teamsvc" not in t)
    ]


def run_install(
    team: Path, env: dict[str, str], *args: str, netns: bool = False, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    argv = ["sh", str(team / "install.sh"), *args]
    return subprocess.run(
        offline(argv) if netns else argv,
        cwd=team.parent,  # not the repository: install.sh finds its project by its own path
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_online_from_a_local_index_to_the_first_run(
    released: Released, team_index: TeamIndex, uv_bin: Path, tmp_path: Path
) -> None:
    team = write_team(tmp_path / "teamsvc")
    # The team's lock, made by the pinned uv against the index the machine will use.
    subprocess.run(
        [str(uv_bin), "lock", "--project", str(team), "--default-index", team_index.url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    adopt(team, released)
    no_bootstrapper_source(team)
    env = fresh_env(
        tmp_path / "machine",
        BOOTSTRAP_UV_SOURCES="index",
        BOOTSTRAP_UV_INDEX_URL=team_index.url,
        UV_INDEX_URL=team_index.url,
    )
    res = run_install(team, env, "--online")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "teamsvc first run ok" in out
    assert f"fetched from index {team_index.url.rsplit('/simple', 1)[0]}" in out
    assert "verified against the pin" in out
    assert any(p.endswith(released.wheel.name) for _, p in team_index.requests)
    (last,) = history(env)
    assert last["outcome"] == "success"
    assert last["run_kind"] == "first"
    assert last["profile"] == "teamsvc"

    # A re-run reuses the wheel's environment: nothing is fetched again.
    before = len(team_index.requests)
    again = run_install(team, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(team_index.requests) == before
    assert len(history(env)) == 2

    # The team's CI gate runs the pinned wheel's own `init --check`: the installers the
    # wheel carries, with the repository's pin, write exactly what was committed.
    gate = run_install(team, env, "--bootstrap", "init", "--check", str(team))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "file(s) are what `bootstrap init` writes" in gate.stdout


def test_a_tampered_wheel_on_the_index_is_refused(
    released: Released, team_index: TeamIndex, seed: Seed, tmp_path: Path
) -> None:
    team = tmp_path / "teamsvc"
    shutil.copytree(seed.project, team)
    adopt(team, released)
    served = team_index.root / "files" / released.wheel.name
    original = served.read_bytes()
    served.write_bytes(original[:-64] + b"\0" * 64)
    try:
        env = fresh_env(
            tmp_path / "machine",
            BOOTSTRAP_UV_SOURCES="index",
            BOOTSTRAP_UV_INDEX_URL=team_index.url,
        )
        res = run_install(team, env)
    finally:
        served.write_bytes(original)
    assert res.returncode == 2, res.stdout + res.stderr
    assert (
        f"self 0.1.0 {released.wheel.name} sha256 {released.sha256} in install.sh's pin"
        in res.stderr
    )
    assert "refused" in res.stderr
    assert not (Path(env["BOOTSTRAP_HOME"]) / "data" / "self" / released.sha256).exists()
    assert not (Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl").exists()


@pytest.mark.netns
@pytest.mark.skipif(not netns_available(), reason="needs `unshare -n`")
def test_offline_from_a_bundle_to_the_first_run(
    released: Released, seed: Seed, tmp_path: Path
) -> None:
    team = tmp_path / "teamsvc"
    shutil.copytree(seed.project, team)
    adopt(team, released)
    no_bootstrapper_source(team)
    env = fresh_env(tmp_path / "machine")
    res = run_install(team, env, "--cache-bundle", str(seed.bundle), netns=True)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "teamsvc first run ok" in out
    (last,) = history(env)
    assert last["outcome"] == "success"
    assert last["run_kind"] == "first"
    assert last["bundle_used"] is True, last
    assert last["network_used"] is False, last
    # The bootstrapper ran from its wheel, in an environment of its own.
    envs = list((Path(env["BOOTSTRAP_HOME"]) / "data" / "tool").glob("self-*"))
    assert [e.name for e in envs] == [f"self-{released.sha256[:16]}"]


@pytest.mark.netns
@pytest.mark.skipif(not netns_available(), reason="needs `unshare -n`")
def test_a_bundle_whose_wheel_is_not_the_pinned_one_is_refused(
    released: Released, seed: Seed, tmp_path: Path
) -> None:
    import tarfile

    from support.teamkit import tar_bytes

    team = tmp_path / "teamsvc"
    shutil.copytree(seed.project, team)
    adopt(team, released)
    members: dict[str, bytes] = {}
    with tarfile.open(seed.bundle) as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m)
            assert f is not None
            members[m.name] = f.read()
    name = f"wheels/{released.wheel.name}"
    members[name] = members[name][:-64] + b"\0" * 64
    # SHA256SUMS and the manifest agree with the swapped file: only the pin can tell.
    import hashlib

    digest = hashlib.sha256(members[name]).hexdigest()
    manifest = json.loads(members["manifest.json"])
    manifest["members"][name] = digest
    members["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    new = {name: digest, "manifest.json": hashlib.sha256(members["manifest.json"]).hexdigest()}
    sums = []
    for line in members["SHA256SUMS"].decode().splitlines():
        member = line.split("  ", 1)[1]
        sums.append(f"{new[member]}  {member}" if member in new else line)
    members["SHA256SUMS"] = ("\n".join(sums) + "\n").encode()
    bad = tmp_path / "bad.tar"
    bad.write_bytes(tar_bytes({"manifest.json": members.pop("manifest.json"), **members}))
    env = fresh_env(tmp_path / "machine")
    res = run_install(team, env, "--cache-bundle", str(bad), netns=True)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "does not match the pin" in res.stderr
    assert "[bundle.self_checksum]" in res.stderr
