"""The shipped profiles validate, point at real projects, and their locks are current."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bootstrap.profiles import REPO_PROFILES, load_profile

SHIPPED = ("default", "python-service", "ai-training")
REPO = REPO_PROFILES.parent


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profile_loads(name: str) -> None:
    p = load_profile(name)
    assert p.name == name
    assert p.source == str(REPO_PROFILES / f"{name}.toml")
    assert p.description
    assert p.first_run.command
    project = Path(p.project.path)
    assert (project / "pyproject.toml").is_file()
    for lock in p.locks:
        assert lock.exists, f"{project / lock.path} is missing"


def test_default_is_this_repository() -> None:
    p = load_profile("default")
    assert Path(p.project.path) == REPO
    assert p.budget_seconds == 900
    assert p.first_run.command == ("python", "-m", "bootstrap", "--version")


def _toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    data: dict[str, Any] = tomllib.loads(path.read_text())
    return data


def test_ai_training_variants_are_the_project_extras() -> None:
    """Every variant's extras exist in the project and are declared mutually exclusive."""
    p = load_profile("ai-training")
    assert p.kind == "ai" and p.budget_seconds == 2700
    project = _toml(Path(p.project.path) / "pyproject.toml")
    extras = project["project"]["optional-dependencies"]
    (conflict,) = project["tool"]["uv"]["conflicts"]
    exclusive = {c["extra"] for c in conflict}
    accels = [v.accel for v in p.locks[0].variants]
    assert accels == ["cpu", "cu124", "cu126", "cu130"]
    for v in p.locks[0].variants:
        assert v.extras == (v.accel,)
        assert v.accel in extras and v.accel in exclusive
    # The variants install genuinely different packages.
    assert extras["cpu"] == []
    assert extras["cu126"][0].startswith("nvidia-cuda-runtime-cu12==12.6.")
    assert extras["cu130"][0].startswith("nvidia-cuda-runtime==13.0.")


@pytest.mark.parametrize("name", SHIPPED)
def test_lock_is_up_to_date(name: str, uv_bin: Path) -> None:
    """`uv lock --check --offline`: the committed lock matches pyproject.toml."""
    project = load_profile(name).project.path
    r = subprocess.run(
        [str(uv_bin), "lock", "--check", "--offline", "--project", project],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr


def _sync_and_run(uv: Path, project: str, venv: Path, extras: tuple[str, ...]) -> str:
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [str(uv), "sync", "--frozen", "--no-build", "--project", project, "-q"]
    for extra in extras:
        argv += ["--extra", extra]
    subprocess.run(argv, env=env, check=True, timeout=300, capture_output=True)
    return argv[-1]


@pytest.mark.network
@pytest.mark.slow
def test_example_variants_install_different_packages(uv_bin: Path, tmp_path: Path) -> None:
    """Sync each ai-training variant for real and run the profile's first-run command."""
    p = load_profile("ai-training")
    seen = {}
    for v in p.locks[0].variants:
        venv = tmp_path / v.accel
        _sync_and_run(uv_bin, p.project.path, venv, v.extras)
        r = subprocess.run(
            [str(venv / "bin" / "python"), *p.first_run.command[1:]],
            cwd=p.project.path,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        seen[v.accel] = r.stdout.splitlines()[0]
    assert seen["cpu"] == "variant: cpu"
    assert seen["cu124"].startswith("variant: cu124 (nvidia-cuda-runtime-cu12==12.4.")
    assert seen["cu126"].startswith("variant: cu126 (nvidia-cuda-runtime-cu12==12.6.")
    assert seen["cu130"].startswith("variant: cu130 (nvidia-cuda-runtime==13.0.")


@pytest.mark.network
@pytest.mark.slow
def test_python_service_first_run_answers(uv_bin: Path, tmp_path: Path) -> None:
    p = load_profile("python-service")
    _sync_and_run(uv_bin, p.project.path, tmp_path / "venv", ())
    r = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), *p.first_run.command[1:]],
        cwd=p.project.path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "/health -> ok, token -> {'user': 'probe'}" in r.stdout
