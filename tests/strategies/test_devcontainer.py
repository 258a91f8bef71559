"""The devcontainer strategy's plan and its devcontainer.json: checked against the official
Dev Container JSON schema (vendored in tests/fixtures/devcontainer/, see its README), the
GPU request per engine, the engine check, and `bootstrap devcontainer generate` never
replacing a file the user wrote."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator
from support import cli
from support.plans import host, profile

from bootstrap.plan import specs
from bootstrap.plan.planner import Overrides, make_plan
from bootstrap.profiles import load_profile
from bootstrap.strategies import devcontainer_config as dc
from bootstrap.transports.devcontainer_cli import CLI_PACKAGE, CLI_VERSION, cli_argv

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "tests" / "fixtures" / "devcontainer" / "devContainer.base.schema.json"


def schema_errors(doc: dict[str, Any]) -> list[str]:
    validator = Draft201909Validator(json.loads(SCHEMA.read_text()))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def with_engine(name: str, engine: str | None, **tools: Any) -> Any:
    facts = host(name)
    new_tools = dataclasses.replace(facts.tools, container_engine=engine, **tools)
    return dataclasses.replace(facts, tools=new_tools, container=None)


def image_profile(tmp_path: Path, base: str, **settings: Any) -> Any:
    """A profile extending a shipped one with a devcontainer image (and ``settings``)."""
    lines = [f'extends = "{REPO / "profiles" / (base + ".toml")}"', f'name = "{base}-dc"', ""]
    lines.append("[strategies.devcontainer]")
    lines.append('image = "localhost/debian:bookworm"')
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / f"{base}-dc.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_profile(str(path))


def config_of(plan: Any) -> dict[str, Any]:
    spec = plan.step(specs.DevcontainerConfig)
    assert spec is not None
    doc: dict[str, Any] = spec.document()
    return doc


def test_the_schema_is_the_official_one_and_rejects_a_bad_file() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["description"] == "Defines a dev container"
    Draft201909Validator.check_schema(schema)
    # The check can fail: an unknown key and a wrongly typed one are refused.
    assert schema_errors({"image": "x", "mounts": "not-a-list"})
    assert schema_errors({"image": "x", "hostRequirements": {"gpu": "sometimes"}})


def test_cpu_config_carries_the_cache_volume_env_and_stage0(tmp_path: Path) -> None:
    prof = image_profile(tmp_path, "python-service", run_args=["--network=none"])
    plan = make_plan(
        with_engine("linux-docker", "podman"), prof, Overrides(strategy="devcontainer")
    )
    doc = config_of(plan)
    assert schema_errors(doc) == []
    assert doc["image"] == "localhost/debian:bookworm"
    assert doc["runArgs"] == ["--network=none"]
    assert "hostRequirements" not in doc
    env = doc["containerEnv"]
    assert env["UV_CACHE_DIR"] == dc.UV_CACHE_DIR and env["UV_LINK_MODE"] == "copy"
    # The environment lives outside the bind-mounted workspace.
    assert not env["UV_PROJECT_ENVIRONMENT"].startswith("/workspaces/")
    volume, bundle = doc["mounts"]
    assert volume.startswith(f"type=volume,source={dc.CACHE_VOLUME},target={dc.UV_CACHE_DIR}")
    assert bundle.endswith(f"target={dc.BUNDLE_DIR},readonly")
    assert "BOOTSTRAP_HANDOFF_ELAPSED" in doc["remoteEnv"]
    # Stage 0 of the bootstrapper the handoff installs into the project, for the project.
    assert "sh .bootstrap/self/install.sh" in doc["postCreateCommand"]
    assert "--project ." in doc["postCreateCommand"]
    assert f"--profile {tmp_path.name}" not in doc["postCreateCommand"]  # no host path
    up = plan.step(specs.ContainerUp)
    assert up is not None and up.engine == "podman"
    assert "--docker-path podman" in up.describe()


@pytest.mark.parametrize(
    ("engine", "run_arg"),
    [("docker", "--gpus=all"), ("podman", "--device=nvidia.com/gpu=all")],
)
def test_a_gpu_variant_asks_the_engine_for_the_gpu(
    tmp_path: Path, engine: str, run_arg: str
) -> None:
    """The host's driver (550.x: CUDA <= 12.4) chooses the variant the container gets."""
    prof = image_profile(tmp_path, "ai-training")
    facts = with_engine("linux-nvidia-550", engine, docker="/usr/bin/docker")
    plan = make_plan(facts, prof, Overrides(strategy="devcontainer"))
    assert plan.target == "linux-x86_64-cu124"
    doc = config_of(plan)
    assert schema_errors(doc) == []
    assert run_arg in doc["runArgs"]
    assert doc["hostRequirements"] == {"gpu": "optional"}
    why = next(r for r in plan.reasons if r.decision == "strategy").why
    assert "GPU passthrough" in why


def test_macos_plans_no_gpu_and_says_why(tmp_path: Path) -> None:
    prof = image_profile(tmp_path, "ai-training")
    plan = make_plan(
        with_engine("macos-arm64-docker", "docker"), prof, Overrides(strategy="devcontainer")
    )
    assert plan.target == "linux-arm64-cpu"
    assert "hostRequirements" not in config_of(plan)
    why = next(r for r in plan.reasons if r.decision == "strategy").why
    assert "no GPU on macOS" in why and "emulated" in why


def test_a_client_without_an_engine_is_rejected_with_a_fix(tmp_path: Path) -> None:
    prof = image_profile(tmp_path, "python-service")
    facts = with_engine(
        "linux-docker",
        None,
        docker="/usr/bin/docker",
        engine_error="docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
    )
    plan = make_plan(facts, prof)
    assert plan.strategy == "native"
    strategy = next(r for r in plan.reasons if r.decision == "strategy")
    rejected = next(r for r in strategy.rejected if r["candidate"] == "devcontainer")
    assert "no container engine answers" in rejected["why"]
    assert "Cannot connect to the Docker daemon" in rejected["why"]
    # Forced, the plan says why it looks wrong and how to fix it.
    forced = make_plan(facts, prof, Overrides(strategy="devcontainer"))
    (warning,) = [w for w in forced.warnings if "devcontainer looks wrong" in w]
    assert "no container engine answers" in warning and "docker version" in warning


def test_this_machines_docker_client_alone_is_not_an_engine(tmp_path: Path) -> None:
    """The real docker client of this machine, with no daemon behind it, and no podman on
    PATH: `bootstrap plan` rejects devcontainer and says how to fix it."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    probe = subprocess.run([docker, "version", "--format", "{{.Server.Version}}"],
                           capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    if probe.returncode == 0:
        pytest.skip("a Docker daemon answers here")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").symlink_to(docker)
    prof_path = tmp_path / "python-service-dc.toml"
    prof_path.write_text(
        f'extends = "{REPO / "profiles" / "python-service.toml"}"\nname = "python-service-dc"\n'
        '[strategies.devcontainer]\nimage = "localhost/debian:bookworm"\n'
    )
    env = {**os.environ, "PATH": str(bin_dir)}
    argv = [sys.executable, "-m", "bootstrap", "plan", "--profile", str(prof_path), "--json"]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    strategy = next(r for r in plan["reasons"] if r["decision"] == "strategy")
    assert plan["strategy"] != "devcontainer"
    rejected = next(r for r in strategy["rejected"] if r["candidate"] == "devcontainer")
    assert "no container engine answers (docker:" in rejected["why"], rejected

    forced = subprocess.run([*argv, "--strategy", "devcontainer"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    warnings = json.loads(forced.stdout)["warnings"]
    assert any("no container engine answers" in w and "start the Docker daemon" in w
               for w in warnings), warnings  # fmt: skip


def test_the_cli_comes_from_path_else_npx_else_a_clear_error(tmp_path: Path) -> None:
    found = {"devcontainer": "/opt/bin/devcontainer", "npx": "/usr/bin/npx"}
    assert cli_argv(which=found.get) == ["/opt/bin/devcontainer"]
    npx_only = {"npx": "/usr/bin/npx"}
    assert cli_argv(which=npx_only.get) == ["/usr/bin/npx", "--yes", f"{CLI_PACKAGE}@{CLI_VERSION}"]
    from bootstrap.errors import ActionRequired

    with pytest.raises(ActionRequired) as caught:
        cli_argv(which={}.get)
    assert "npx" in caught.value.message and "devcontainer" in caught.value.message
    assert caught.value.fix and f"npm install -g {CLI_PACKAGE}@{CLI_VERSION}" in caught.value.fix


def test_the_tests_and_the_product_pin_the_same_cli() -> None:
    from support.podman import DEVCONTAINER_CLI_VERSION

    assert DEVCONTAINER_CLI_VERSION == CLI_VERSION


def _generate(tree: Path, prof: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.bootstrap("devcontainer", "generate", "--profile", str(prof), *args, cwd=tree)


def test_generate_writes_a_valid_file_and_never_replaces_the_users(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(REPO / "bootstrap", tree / "bootstrap")
    shutil.copytree(REPO / "profiles", tree / "profiles")
    shutil.copytree(REPO / "examples" / "python-service", tree / "examples" / "python-service")
    prof = tree / "profiles" / "python-service-dc.toml"
    prof.write_text(
        'extends = "python-service"\nname = "python-service-dc"\n'
        '[strategies.devcontainer]\nimage = "localhost/debian:bookworm"\n'
    )
    # The workspace is the project the profile names, not the bootstrapper's checkout.
    project = tree / "examples" / "python-service"
    path = project / ".devcontainer" / "devcontainer.json"

    first = _generate(tree, prof)
    assert first.returncode == 0, first.stderr
    assert not (tree / ".devcontainer").exists()
    written = path.read_text()
    doc = json.loads(written)
    assert schema_errors(doc) == []
    # A profile from outside the project is sent with it, merged, as .bootstrap/profile.toml.
    assert "--profile .bootstrap/profile.toml" in doc["postCreateCommand"]
    assert (project / dc.BUNDLE_HOST_DIR / ".gitignore").is_file()  # the mount's source

    again = _generate(tree, prof)
    assert again.returncode == 0 and "unchanged" in again.stdout + again.stderr

    # The user's own edit makes the file theirs: kept byte for byte, the difference shown.
    users = written.replace('"name": "python-service-dc (bootstrap)"', '"name": "mine"')
    path.write_text(users)
    kept = _generate(tree, prof)
    assert kept.returncode == 0, kept.stderr
    assert path.read_text() == users
    out = kept.stdout + kept.stderr
    assert "--force" in out
    assert '-  "name": "mine",' in out and '+  "name": "python-service-dc (bootstrap)",' in out

    forced = _generate(tree, prof, "--force")
    assert forced.returncode == 0, forced.stderr
    assert path.read_text() == written


def test_a_commented_user_file_is_read() -> None:
    text = (
        '{\n  // the image\n  "image": "x", /* inline */\n  "runArgs": ["--a//b", "a,]",],\n'
        '  "name": "say \\"hi\\" // not a comment", // trailing\n}\n'
    )
    assert dc.parse(text) == {
        "image": "x",
        "runArgs": ["--a//b", "a,]"],
        "name": 'say "hi" // not a comment',
    }
    assert dc.parse("[1, 2]") is None and dc.parse("{") is None


def test_profile_settings_are_validated(tmp_path: Path) -> None:
    from bootstrap.errors import ConfigError

    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{REPO / "profiles" / "python-service.toml"}"\nname = "bad"\n'
        '[strategies.devcontainer]\nrun_args = "--network=none"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_profile(str(bad))
    assert "run_args" in caught.value.message and "array" in caught.value.message
    assert profile("python-service").strategies.devcontainer.run_args == ()


def test_a_users_file_gets_only_what_it_lacks() -> None:
    mounts = tuple(dc.mounts())
    env = tuple(f"{k}={v}" for k, v in dc.container_env("svc").items())
    users = {
        "mounts": [{"type": "volume", "source": "mine", "target": dc.UV_CACHE_DIR}],
        "containerEnv": {"UV_LINK_MODE": "hardlink"},
    }
    add_mounts, add_env = dc.missing(users, mounts, env)
    assert add_mounts == (mounts[1],)  # their cache volume stays theirs
    assert [e.partition("=")[0] for e in add_env] == ["UV_CACHE_DIR", "UV_PROJECT_ENVIRONMENT"]
    assert dc.missing({}, mounts, env) == (mounts, env)
    as_string = {"mounts": [f"source=x,target={dc.BUNDLE_DIR},type=bind"]}
    assert dc.missing(as_string, mounts, env)[0] == (mounts[0],)
    # The CLI's --mount takes no variables and no readonly.
    assert dc.cli_mount(mounts[1], "/w") == (
        f"type=bind,source=/w/{dc.BUNDLE_HOST_DIR},target={dc.BUNDLE_DIR}"
    )


def test_a_dockerfile_profile_builds_the_image(tmp_path: Path) -> None:
    prof = image_profile(tmp_path, "python-service", dockerfile="Dockerfile")
    prof = dataclasses.replace(
        prof,
        strategies=dataclasses.replace(
            prof.strategies,
            devcontainer=dataclasses.replace(prof.strategies.devcontainer, image=None),
        ),
    )
    plan = make_plan(
        with_engine("linux-docker", "docker"), prof, Overrides(strategy="devcontainer")
    )
    doc = config_of(plan)
    assert schema_errors(doc) == []
    assert doc["build"] == {"dockerfile": "Dockerfile", "context": ".."}
    assert "image" not in doc
