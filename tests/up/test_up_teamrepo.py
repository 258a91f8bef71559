"""A team's own repository (tests/fixtures/teamrepo: click's dependency groups, with
dev, pre-commit, tests and typing synced by default) set up through the profile it keeps
(`bootstrap.toml`, `path = "."`, only the tests group): only that group is bundled, only
that group is installed, and an offline miss lists only that group."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from support.machine import fresh_env
from support.network import netns_available

from bootstrap.errors import OfflineMiss
from bootstrap.plan.model import LockChoice
from bootstrap.sync import sync

REPO = Path(__file__).resolve().parents[2]
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"
HOST_CPU = "linux-x86_64-cpu"
# The tests group's closure in the fixture's uv.lock (pytest and what it needs on 3.10+).
TESTS_GROUP = {"iniconfig", "packaging", "pluggy", "pygments", "pytest"}
# What the default groups would add: none of it may be bundled or installed.
DEFAULT_ONLY = {"mypy", "pyright", "ruff", "tox", "tox-uv", "pre-commit", "virtualenv"}


def _names(files: list[str]) -> set[str]:
    return {Path(f).name.split("-")[0].lower().replace("_", "-") for f in files}


def _bundle_parts(bundle: Path) -> dict[str, list[str]]:
    with tarfile.open(bundle) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("manifest.json"))
        f = tar.extractfile(member)
        assert f is not None
        manifest = json.loads(f.read())
    parts: dict[str, list[str]] = manifest["parts"]
    return parts


@pytest.mark.network
@pytest.mark.slow
def test_the_bundle_holds_only_the_selected_group(team_bundle: Path) -> None:
    project = _names(_bundle_parts(team_bundle)["project"])
    assert project == TESTS_GROUP
    assert not project & DEFAULT_ONLY


def test_an_offline_miss_lists_only_the_selected_group(uv_bin: Path, tmp_path: Path) -> None:
    project = tmp_path / "teamrepo"
    shutil.copytree(TEAMREPO, project)
    lock = LockChoice("uv.lock", "uv", groups=("tests",), no_default_groups=True)
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "empty-cache"), "UV_OFFLINE": "1"}
    with pytest.raises(OfflineMiss) as caught:
        sync(uv_bin, project, lock, env=env)
    missing = {m.split("==")[0].lower() for m in getattr(caught.value, "missing", ())}
    assert missing == TESTS_GROUP
    assert "uv.lock --no-default-groups --group tests needs" in caught.value.message


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_project_profile_through_project_offline_installs_only_its_group(
    tree: Path, tmp_path: Path, team_bundle: Path
) -> None:
    env = fresh_env(tmp_path / "machine")
    project = tree / "tests" / "fixtures" / "teamrepo"
    # install.sh's own option last, up's first: both reach where they belong.
    script = 'ip link set lo up 2>/dev/null || true; exec sh ./install.sh "$@"'
    res = subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "stage0",
         "--project", str(project), "--cache-bundle", str(team_bundle)],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed" in res.stdout  # the first run: the project's own tests
    venv = project / ".venv"
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.metadata as m; print(' '.join(d.metadata['Name'] for d in "
         "m.distributions()))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    installed = {n.lower() for n in listed.split()}
    assert installed == TESTS_GROUP

    # The closing commands work as printed in a new shell that has nothing on PATH but
    # the system's (still offline): the project's command, then the bootstrapper itself.
    lines = res.stdout.split("next, in a new shell (these work as printed):\n", 1)[1]
    uv_run, activate, report_show = (line.strip() for line in lines.splitlines()[:3])
    assert "--no-sync" in uv_run
    clean = {"HOME": env["HOME"], "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    for command in (uv_run, activate.split("    (then:")[0] + " && python -m pytest -q"):
        ran = subprocess.run(
            ["unshare", "-n", "sh", "-c", command],
            cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, command + "\n" + ran.stdout + ran.stderr
        assert "1 passed" in ran.stdout
    launcher = report_show.split("    (the timing history")[0]
    assert launcher.endswith("/bootstrap report show")
    shown = subprocess.run(
        ["sh", "-c", launcher], cwd=tmp_path, env=clean, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "teamrepo" in shown.stdout  # the run just recorded, in the same history
    # doctor checks the environment with the same selection (only the tests group).
    doctor = launcher.replace(
        " report show", f" doctor --profile {project / 'bootstrap.toml'} --json"
    )
    checked = subprocess.run(
        ["unshare", "-n", "sh", "-c", doctor], cwd=tmp_path, env=clean, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    found = {f["check"] for f in json.loads(checked.stdout)["findings"]}
    assert "venv-drift" not in found, checked.stdout

    # The no-op re-run prints the same commands again.
    again = subprocess.run(
        ["unshare", "-n", "sh", "./install.sh", "--project", str(project)],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stderr
    assert uv_run in again.stdout
