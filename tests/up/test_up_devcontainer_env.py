"""A user's devcontainer.json may copy any host variable into the container
(`${localEnv:NAME}`): the Dev Containers CLI is started with an allow-listed environment,
so a sink token, a GITHUB_TOKEN or an index password of this host is not there to copy.
Real podman and the pinned CLI (tests/support/podman.py), the container without network."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.machine import fresh_env
from support.podman import IMAGE, PodmanEnv, write_devcontainer_json

from bootstrap.strategies import devcontainer_config as dc

pytestmark = [pytest.mark.devcontainer, pytest.mark.slow]


def project_of(tree: Path) -> Path:
    """The project python-service names: the dev container's workspace, where its
    devcontainer.json lives (not the bootstrapper's checkout around it)."""
    return tree / "examples" / "python-service"


PLANTED = ("METRICS_TOKEN", "GITHUB_TOKEN", "UV_INDEX_TEAM_PASSWORD", "TEAM_SINK_TOKEN")


@pytest.fixture
def containers(podman_env: PodmanEnv, tree: Path) -> Any:
    yield podman_env
    podman_env.remove_containers(project_of(tree))
    podman_env.podman("volume", "rm", dc.CACHE_VOLUME, check=False)


def test_local_env_of_a_users_file_copies_no_host_secret(
    tree: Path, containers: PodmanEnv, tmp_path: Path
) -> None:
    secret = uuid.uuid4().hex
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env["PATH"] = f"{containers.devcontainer.parent}:{env['PATH']}"
    env.update(containers.env())
    env.update({name: f"{name}-{secret}" for name in PLANTED})
    copied = {name: f"${{localEnv:{name}}}" for name in PLANTED}
    write_devcontainer_json(
        project_of(tree),
        {
            "image": IMAGE,
            "runArgs": ["--network=none"],
            "containerEnv": copied,
            "remoteEnv": copied,
            # What the lifecycle command sees is kept, then the run stops there.
            "postCreateCommand": "env > /tmp/post-create-env; exit 3",
        },
    )
    profile = tree / "profiles" / "python-service-dc.toml"
    profile.write_text(
        'extends = "python-service"\nname = "python-service-dc"\n\n'
        f'[strategies.devcontainer]\nimage = "{IMAGE}"\nrun_args = ["--network=none"]\n'
    )

    res = subprocess.run(
        [sys.executable, "-m", "bootstrap", "up", "--profile", str(profile),
         "--strategy", "devcontainer"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert res.returncode == 1, res.stdout + res.stderr  # the user's postCreateCommand
    assert "Traceback" not in res.stdout + res.stderr
    (cid,) = containers.containers_of(project_of(tree))
    inspect = containers.podman("inspect", cid).stdout
    assert secret not in inspect
    seen = containers.podman(
        "exec", cid, "sh", "-c", "cat /proc/1/environ /tmp/post-create-env; env", check=False
    )
    assert "METRICS_TOKEN" in seen.stdout  # the variables exist, empty
    assert secret not in seen.stdout
    # Nor is it in anything the tool wrote here (history, state, the workspace).
    for root in (Path(env["BOOTSTRAP_HOME"]), project_of(tree) / ".devcontainer"):
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    (report,) = [
        json.loads(line)
        for line in (Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl")
        .read_text()
        .splitlines()
    ]
    assert report["error_code"] == "devcontainer.post_create"
