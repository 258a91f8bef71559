"""`bootstrap up --strategy devcontainer` for real: rootful podman, the pinned Dev
Containers CLI from npm, the Debian image imported from the mmdebstrap root filesystem
(tests/support/podman.py), every container with `--network=none`. The host writes the
devcontainer.json, brings the container up, ships the bundle into its read-only mount,
runs stage 0 in it, and records the container's report as its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from support import cli
from support.machine import fresh_env
from support.podman import IMAGE, PodmanEnv, write_devcontainer_json

from bootstrap.strategies import devcontainer_config as dc

pytestmark = [pytest.mark.devcontainer, pytest.mark.slow]

SERVICE_BUNDLE = ("python-service", "linux-x86_64-cpu")
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "devcontainer"


def project_of(tree: Path) -> Path:
    """The project python-service names: the dev container's workspace, where its
    devcontainer.json lives (not the bootstrapper's checkout around it)."""
    return tree / "examples" / "python-service"


def up(tree: Path, env: dict[str, str], *args: str, timeout: float = 600) -> tuple[int, str]:
    p = cli.bootstrap("up", *args, cwd=tree, env=env, timeout=timeout, merge=True)
    return p.returncode, p.stdout


def host_env(tmp_path: Path, podman_env: PodmanEnv) -> dict[str, str]:
    """A fresh host with the CLI on PATH (as `npm install -g` would put it) and podman."""
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env["PATH"] = f"{podman_env.devcontainer.parent}:{env['PATH']}"
    env.update(podman_env.env())
    return env


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def dc_profile(tree: Path) -> Path:
    """The shipped python-service profile with the local image and no network."""
    path = tree / "profiles" / "python-service-dc.toml"
    path.write_text(
        'extends = "python-service"\nname = "python-service-dc"\n\n'
        f'[strategies.devcontainer]\nimage = "{IMAGE}"\nrun_args = ["--network=none"]\n'
    )
    return path


@pytest.fixture
def containers(podman_env: PodmanEnv, tree: Path) -> Any:
    yield podman_env
    podman_env.remove_containers(project_of(tree))
    # The uv cache volume outlives containers by design; a test leaves none behind (a
    # volume another container still uses is refused without -f, and stays).
    podman_env.podman("volume", "rm", dc.CACHE_VOLUME, check=False)


def in_container(
    podman_env: PodmanEnv, tree: Path, command: str
) -> subprocess.CompletedProcess[str]:
    (cid,) = podman_env.containers_of(project_of(tree))
    return podman_env.podman("exec", cid, "sh", "-c", command, check=False)


def test_up_runs_stage0_in_the_container_offline_and_a_rerun_is_a_noop(
    tree: Path, bundle: Any, containers: PodmanEnv, tmp_path: Path
) -> None:
    from jsonschema import Draft201909Validator

    env = host_env(tmp_path, containers)
    # Secrets of this host (a proxy password, a sink token) never reach the container.
    secret = uuid.uuid4().hex
    env.update(HTTPS_PROXY=f"http://user:{secret}@127.0.0.1:9", TEAM_METRICS_TOKEN=secret)
    profile = dc_profile(tree)
    args = ("--profile", str(profile), "--strategy", "devcontainer")

    code, out = up(tree, env, *args, "--cache-bundle", str(bundle(*SERVICE_BUNDLE)))

    assert code == 0, out
    assert "service ok" in out  # the first run's own line, printed in the container
    assert "[devcontainer]" in out
    # The generated file is a valid devcontainer.json.
    doc = json.loads((project_of(tree) / ".devcontainer" / "devcontainer.json").read_text())
    schema = json.loads((SCHEMA / "devContainer.base.schema.json").read_text())
    assert list(Draft201909Validator(schema).iter_errors(doc)) == []
    # The host recorded the container's report as its own.
    (report,) = history(env)
    assert report["strategy"] == "devcontainer"
    assert report["outcome"] == "success"
    assert report["target"] == "linux-x86_64-cpu"
    assert report["bundle_used"] is True and report["network_used"] is False
    phases = report["phases"]
    assert phases["container"] > 0 and phases["first_run"] > 0 and phases["sync"] >= 0
    assert report["total_seconds"] >= sum(v for v in phases.values() if v)
    assert not (project_of(tree) / ".bootstrap-stage").exists()  # staging removed after the run

    # No network in the container, only loopback.
    links = in_container(containers, tree, "ip -o link show")
    assert [line.split(":")[1].strip() for line in links.stdout.splitlines()] == ["lo"]
    # The environment lives in the container, outside the bind mount; the bundle is
    # mounted read-only; uv's cache is the named volume.
    venv = dc.project_env("python-service")
    assert in_container(containers, tree, f"test -x {venv}/bin/python").returncode == 0
    assert not (tree / "examples" / "python-service" / ".venv").exists()
    ro = in_container(containers, tree, f"touch {dc.BUNDLE_DIR}/x")
    assert ro.returncode != 0 and "Read-only" in ro.stderr
    volume = containers.podman("volume", "inspect", dc.CACHE_VOLUME)
    assert json.loads(volume.stdout)[0]["Name"] == dc.CACHE_VOLUME
    leaked = in_container(
        containers, tree, f"grep -rl {secret} /root /opt/bootstrap /proc/1/environ"
    )
    assert leaked.stdout == "", leaked.stdout
    (first_id,) = containers.containers_of(project_of(tree))

    start = time.monotonic()
    code, out = up(tree, env, *args)
    elapsed = time.monotonic() - start
    assert code == 0, out
    assert "up to date" in out
    assert elapsed < 2.0, f"no-op re-run took {elapsed:.2f}s"
    assert containers.containers_of(project_of(tree)) == [first_id]

    # Stopped, the container is not up to date: `devcontainer up` starts the same one,
    # and stage 0 there finds everything done.
    containers.podman("stop", "-t", "0", first_id)
    code, out = up(tree, env, *args, "--cache-bundle", str(bundle(*SERVICE_BUNDLE)))
    assert code == 0, out
    assert "reused" in out
    assert "already imported there" in out  # the same bundle is not copied again
    inside = [line for line in out.splitlines() if "[devcontainer]" in line]
    assert any("up to date" in line for line in inside), out  # stage 0's own no-op
    assert containers.containers_of(project_of(tree)) == [first_id]
    # The no-op in between is recorded too (run_kind noop), as a native no-op is.
    recorded = history(env)
    assert [r["strategy"] for r in recorded] == ["devcontainer"] * 3
    assert [r["run_kind"] for r in recorded[:2]] == ["first", "noop"]


def test_a_failing_post_create_prints_the_log_tail_and_the_retry_command(
    tree: Path, containers: PodmanEnv, tmp_path: Path
) -> None:
    """The user's own devcontainer.json (kept as it is) whose postCreateCommand fails."""
    env = host_env(tmp_path, containers)
    profile = dc_profile(tree)
    users = write_devcontainer_json(
        project_of(tree),
        {
            "image": IMAGE,
            "runArgs": ["--network=none"],
            "postCreateCommand": "echo 'migrations: table users is locked' && exit 3",
        },
    )
    before = users.read_text()

    code, out = up(tree, env, "--profile", str(profile), "--strategy", "devcontainer")

    assert code == 1, out
    assert users.read_text() == before  # never replaced without --force
    assert "is yours" in out and "+  " in out  # the difference is shown
    assert "postCreateCommand failed" in out
    assert "migrations: table users is locked" in out  # the tail of the log
    retry = next(line for line in out.splitlines() if "retry with" in line)
    assert f"devcontainer up --workspace-folder {project_of(tree)} --docker-path podman" in retry
    (report,) = history(env)
    assert report["strategy"] == "devcontainer"
    assert report["outcome"] == "failure"
    assert report["error_code"] == "devcontainer.post_create"
    assert report["phases"]["container"] > 0


@pytest.fixture
def docker_on_podman(podman_env: PodmanEnv, tmp_path: Path) -> Any:
    """The machine's real Docker client talking to podman's Docker-compatible API on a
    socket of this test (`podman system service`): Docker as the engine, for real."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    sock = tmp_path / "podman.sock"
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{sock}"],
        env={**os.environ, **podman_env.env()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        host = f"unix://{sock}"
        deadline = time.monotonic() + 30
        while True:
            probe = subprocess.run(
                [docker, "-H", host, "version", "--format", "{{.Server.Version}}"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"podman's API did not answer on {sock}: {probe.stderr}")
            time.sleep(0.2)
        yield host
    finally:
        service.terminate()
        service.wait(timeout=30)


def test_docker_is_the_engine_when_docker_answers(
    tree: Path, bundle: Any, containers: PodmanEnv, docker_on_podman: str, tmp_path: Path
) -> None:
    env = host_env(tmp_path, containers)
    env["DOCKER_HOST"] = docker_on_podman
    profile = dc_profile(tree)
    plan = subprocess.run(
        [sys.executable, "-m", "bootstrap", "plan", "--profile", str(profile), "--strategy",
         "devcontainer", "--json"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    step = next(s for s in json.loads(plan.stdout)["steps"] if s["name"] == "container-up")
    assert step["engine"] == "docker"  # so the CLI runs without --docker-path

    code, out = up(
        tree, env, "--profile", str(profile), "--strategy", "devcontainer", "--cache-bundle",
        str(bundle(*SERVICE_BUNDLE)),
    )  # fmt: skip

    assert code == 0, out
    assert "service ok" in out
    assert "--docker-path" not in out
    (report,) = history(env)
    assert report["strategy"] == "devcontainer" and report["outcome"] == "success"
