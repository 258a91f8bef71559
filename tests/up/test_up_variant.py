"""The variant sticks: a project whose torch-like package comes from a different index per
extra (uv's per-extra sources with `conflicts`, as uv's PyTorch guide sets them up), two
real builds of one wheel (``fakegpu 1.0+cpu`` and ``1.0+cu124``) served as two PEP 503
indexes on 127.0.0.1 and locked by the real pinned uv.

After `up` on a machine whose driver takes CUDA 12.4 the cu124 build is installed and
`doctor` finds nothing; a plain `uv run` syncs uv's default selection and replaces the
build; `doctor` names that drift and the fix (exit 1); `bootstrap run` puts the variant
back (offline, from uv's cache) and passes the command's exit code through; so does `up`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fakegpu
from support.fakegpu import SHOW
from support.network import netns_available, offline


@pytest.fixture
def world(tmp_path: Path, uv_bin: Path, _isolated_home: Path) -> Iterator[dict[str, object]]:
    # The pinned uv where stage 0 puts it, and nothing else: a new machine.
    pinned = _isolated_home / "data" / "uv" / uv_bin.parent.name
    shutil.copytree(uv_bin.parent, pinned)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "BOOTSTRAP_HOME": str(_isolated_home),
        "BOOTSTRAP_NO_METRICS": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    with fakegpu.served_project(tmp_path, pinned / "uv", env) as (project, server):
        yield {"project": project, "env": env, "uv": pinned / "uv", "server": server}


def bootstrap(
    world: dict[str, object], *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**world["env"], **extra}  # type: ignore[dict-item]
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", *args],
        cwd=world["project"], env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def installed(world: dict[str, object]) -> str:
    py = Path(str(world["project"])) / ".venv" / "bin" / "python"
    out = subprocess.run([str(py), "-c", SHOW], capture_output=True, text=True, check=True)
    return out.stdout.strip().removeprefix("build ")


def drift(world: dict[str, object]) -> tuple[int, dict[str, dict[str, str]]]:
    r = bootstrap(world, "doctor", "--json")
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, {f["check"]: f for f in json.loads(r.stdout)["findings"]}


def plain_uv_run(world: dict[str, object]) -> str:
    r = subprocess.run(
        [str(world["uv"]), "run", "python", "-c", SHOW],
        cwd=world["project"], env=world["env"], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.slow
def test_the_variant_up_chose_sticks(world: dict[str, object]) -> None:
    project = world["project"]
    # `bootstrap run` before any `up`: the project was never set up here.
    never = bootstrap(world, "run", "python", "-c", "pass")
    assert never.returncode == 6, never.stderr
    assert "no `bootstrap up` has set up this project's environment here" in never.stderr
    assert "fix: set it up first: bootstrap up" in never.stderr

    up = bootstrap(world, "up", BOOTSTRAP_CUDA_DRIVER="550.54")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "linux-x86_64-cu124" in up.stdout and "build 1.0+cu124" in up.stdout
    assert installed(world) == "1.0+cu124"
    assert f"cd {project} && " in up.stdout and " run python -c " in up.stdout  # printed

    # doctor compares with the cu124 variant `up` chose, not the profile's first (cpu).
    code, found = drift(world)
    assert "venv-drift" not in found, found

    # What people type: a plain `uv run` syncs uv's default selection, the CPU build.
    assert plain_uv_run(world) == "build 1.0+cpu"
    assert installed(world) == "1.0+cpu"
    code, found = drift(world)
    assert code == 1
    message, fix = found["venv-drift"]["message"], found["venv-drift"]["fix"]
    assert "no longer matches the cu124 variant (--extra cu124) of uv.lock" in message
    assert "fakegpu 1.0+cpu is installed where the variant locks 1.0+cu124" in message
    assert fix.startswith(f"bootstrap up --project {project}")
    assert "`bootstrap run CMD`" in fix

    # `bootstrap run` puts the variant back before the command, with no network at all
    # (uv's cache has the build), and the command's exit code is its own.
    wrap = offline if netns_available() else (lambda argv: argv)
    env = {**world["env"]}  # type: ignore[dict-item]
    ran = subprocess.run(
        wrap([sys.executable, "-m", "bootstrap", "run", "python", "-c", SHOW]),
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "build 1.0+cu124"
    assert installed(world) == "1.0+cu124"
    code, found = drift(world)
    assert "venv-drift" not in found, found
    exits = bootstrap(world, "run", "python", "-c", "import sys; sys.exit(7)")
    assert exits.returncode == 7, exits.stderr
    # From a directory inside the project, and with options for the command itself.
    sub = Path(str(project)) / "src"
    sub.mkdir()
    inside = subprocess.run(
        [sys.executable, "-m", "bootstrap", "run", "python", "-c",
         "import os, fakegpu; print(os.getcwd(), fakegpu.BUILD)"],
        cwd=sub, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert inside.stdout.strip() == f"{sub} 1.0+cu124", inside.stderr

    # And `up` restores it too.
    assert plain_uv_run(world) == "build 1.0+cpu"
    again = bootstrap(world, "up", BOOTSTRAP_CUDA_DRIVER="550.54")
    assert again.returncode == 0, again.stdout + again.stderr
    assert installed(world) == "1.0+cu124"
    code, found = drift(world)
    assert "venv-drift" not in found, found


def test_a_record_of_another_variant_is_read_back(tmp_path: Path) -> None:
    """The record `up` writes is what doctor and `bootstrap run` read, and a broken one
    reads as none (a file on this machine, written by other versions too)."""
    from bootstrap.lockchoice import LockChoice
    from bootstrap.paths import Paths
    from bootstrap.plan.model import Plan
    from bootstrap.policy import lastplan
    from bootstrap.steps.state import RunState, selection

    paths = Paths.from_env({"BOOTSTRAP_HOME": str(tmp_path / "home")})
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    plan = Plan(
        "gpuproj", str(project), "linux-x86_64-cu124", "native",
        LockChoice("uv.lock", "uv", extras=("cu124",)), (), (), network="offline",
    )  # fmt: skip
    state = RunState.load(paths, "gpuproj-abc")
    state.record_success({}, selection=selection(plan, project, project / ".venv", tmp_path / "uv"))
    found = lastplan.for_directory(paths, project / "sub")
    assert found is not None
    assert (found.variant, found.lock.extras, found.network) == ("cu124", ("cu124",), "offline")
    assert found.described() == "cu124 variant (--extra cu124)"
    assert found.uv == tmp_path / "uv"
    assert lastplan.for_directory(paths, tmp_path) is None
    assert lastplan.newest([state.path], project / ".venv") == found
    assert lastplan.newest([state.path], tmp_path / "other-venv") is None
    for broken in (
        {"lock": {"kind": "uv", "path": "../../etc/passwd"}},
        {"lock": {"kind": "uv", "path": "uv.lock", "extras": "cu124"}},
        {"lock": {"kind": "conda", "path": "uv.lock"}},
        "cu124",
    ):
        data = json.loads(state.path.read_text())
        data["success"]["selection"] = (
            {**data["success"]["selection"], **broken} if isinstance(broken, dict) else broken
        )
        state.path.write_text(json.dumps(data))
        assert lastplan.read(state.path) is None, broken
    state.path.write_text("{not json")
    assert lastplan.read(state.path) is None


def test_what_bootstrap_run_executes(tmp_path: Path) -> None:
    """uv project lock: `uv run --frozen` with every selection flag (offline when the plan
    was); PEP 751 lock: the command straight from the environment; no uv: the fix."""
    from bootstrap.errors import ActionRequired
    from bootstrap.launcher import run_argv
    from bootstrap.lockchoice import LockChoice
    from bootstrap.policy.lastplan import LastPlan

    venv = tmp_path / "proj" / ".venv"
    (venv / "bin").mkdir(parents=True)
    tool = venv / "bin" / "pytest"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    choice = LockChoice("uv.lock", "uv", extras=("cu124",), groups=("tests",), no_dev=True)
    last = LastPlan(choice, "cu124", "linux-x86_64-cu124", "p", tmp_path / "proj", venv,
                    "offline", 0.0, tmp_path / "r.json")  # fmt: skip
    uv = tmp_path / "uv"
    argv, env = run_argv(last, uv, ["pytest", "-q"], {"PATH": "/usr/bin", "VIRTUAL_ENV": "/x"})
    assert argv == [
        str(uv), "run", "--frozen", "--project", str(tmp_path / "proj"), "--extra", "cu124",
        "--no-dev", "--group", "tests", "--offline", "--", "pytest", "-q",
    ]  # fmt: skip
    assert env["UV_PROJECT_ENVIRONMENT"] == str(venv) and "VIRTUAL_ENV" not in env
    with pytest.raises(ActionRequired, match="the pinned uv is not installed here"):
        run_argv(last, None, ["pytest"], {})
    pylock = LastPlan(LockChoice("pylock.linux-x86_64-cpu.toml", "pylock"), "cpu",
                      "linux-x86_64-cpu", "p", tmp_path / "proj", venv, "offline", 0.0,
                      tmp_path / "r.json")  # fmt: skip
    argv, env = run_argv(pylock, None, ["pytest", "-q"], {"PATH": "/usr/bin"})
    assert argv == [str(tool), "-q"]
    assert env["PATH"].split(":")[0] == str(venv / "bin") and env["VIRTUAL_ENV"] == str(venv)
