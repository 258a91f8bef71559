"""`lock`, `check` and `cache pack` run in a project that keeps its profile use that
profile, as `bootstrap up` and `bootstrap plan` in the same directory do.

Found on real projects (click, werkzeug), each with its own `bootstrap.toml`: from the
project's directory, `bootstrap check` checked the bootstrapper's own `default` profile
and answered "6 of 6 check(s) passed" about a repository the user never asked about;
`bootstrap lock --check` reported the bootstrapper's per-target locks as drifted and
told the user to run `bootstrap lock --profile default`; `bootstrap cache pack --out F`
packed the lock's default groups (55 MB of tox and pre-commit for click) instead of the
profile's selection, with no profile in the bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.cli import bootstrap
from support.projects import PROJECTS

KEPT = """\
name = "split-kept"
[project]
path = "."
python = ">=3.9"

[[locks]]
kind = "pylock"
path = "pylock.{target}.toml"

[[locks]]
kind = "uv"
platforms = ["linux-x86_64", "macos-arm64"]
[locks.variants.cpu]
extras = ["cpu"]
"""


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    project = tmp_path / "work" / "split-app"
    shutil.copytree(PROJECTS / "split", project)
    (project / "bootstrap.toml").write_text(KEPT, encoding="utf-8")
    return project


def test_lock_in_the_project_uses_the_profile_it_keeps(kept: Path) -> None:
    assert bootstrap("lock", "--project", str(kept)).returncode == 0
    checked = bootstrap("lock", "--check", cwd=kept)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "of split-kept match uv.lock" in checked.stdout
    # Writing from the project's directory writes the project's files, and only those.
    (kept / "pylock.macos-arm64-cpu.toml").unlink()
    written = bootstrap("lock", "--json", cwd=kept)
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["profile"] == "split-kept"
    assert sorted(p.name for p in kept.glob("pylock.*.toml")) == [
        "pylock.linux-x86_64-cpu.toml",
        "pylock.macos-arm64-cpu.toml",
    ]


def test_check_in_the_project_checks_that_project(kept: Path) -> None:
    assert bootstrap("lock", "--project", str(kept)).returncode == 0
    here = bootstrap("check", "--json", "--only", "bc", cwd=kept)
    assert here.returncode == 0, here.stdout + here.stderr
    result = json.loads(here.stdout)
    assert result["profile"] == "split-kept"
    (hashes,) = [c for c in result["checks"] if c["check"] == "c"]
    # The files checked are the project's, named relative to it (its repository).
    assert hashes["notes"] == [
        "uv.lock",
        "pylock.linux-x86_64-cpu.toml",
        "pylock.macos-arm64-cpu.toml",
    ]
    # From elsewhere, --project DIR is the same check; a finding names the project's
    # file and the fix its profile.
    (kept / "pylock.macos-arm64-cpu.toml").unlink()
    there = bootstrap("check", "--project", str(kept), "--only", "b", cwd=kept.parent)
    assert there.returncode == 1, there.stdout + there.stderr
    assert "pylock.macos-arm64-cpu.toml" in there.stdout
    assert "bootstrap lock --profile split-kept" in there.stdout


def test_a_project_without_its_own_profile_still_checks_default(tmp_path: Path) -> None:
    """Nothing changes where the current directory keeps no profile."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    res = bootstrap("check", "--json", "--only", "d", cwd=tmp_path)
    assert json.loads(res.stdout)["profile"] == "default", res.stdout + res.stderr


def test_doctor_and_tools_in_the_project_look_at_that_project(kept: Path) -> None:
    """`bootstrap doctor` in werkzeug's checkout, its environment deleted, answered
    "nothing wrong" about the bootstrapper's own `default`."""
    for argv in (["doctor", "--json"], ["tools", "--json"]):
        here = bootstrap(*argv, cwd=kept)
        assert json.loads(here.stdout)["profile"] == "split-kept", here.stdout + here.stderr
        there = bootstrap(*argv, "--project", str(kept), cwd=kept.parent)
        assert json.loads(there.stdout)["profile"] == "split-kept", there.stdout + there.stderr


def test_the_profile_kept_here_is_found_by_its_name(kept: Path) -> None:
    """docs/profiles.md: the project's own profile takes part in the name search, the
    project being --project DIR or the current directory."""
    here = bootstrap("plan", "--profile", "split-kept", "--json", cwd=kept)
    assert here.returncode == 0, here.stderr
    assert json.loads(here.stdout)["project"] == str(kept.resolve())
    # Elsewhere the name is unknown, and the error says where it looked.
    there = bootstrap("plan", "--profile", "split-kept", cwd=kept.parent)
    assert there.returncode == 2
    assert f"{kept.parent / 'bootstrap.toml'} and [tool.bootstrap] in" in there.stderr


NODEPS = """\
[project]
name = "nodeps"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[tool.uv]
package = false
"""


@pytest.mark.network  # the pinned uv, once
def test_doctor_finds_the_environment_of_a_project_kept_profile_gone(
    tmp_path: Path, uv_bin: Path, _isolated_home: Path
) -> None:
    """The run-state probe looked for records named after the profile file's stem
    (`bootstrap-*.json`); `up` names a project's records after its directory, so with
    werkzeug's environment deleted doctor still said "nothing wrong"."""
    project = tmp_path / "nodeps"
    project.mkdir()
    (project / "pyproject.toml").write_text(NODEPS)
    (project / "bootstrap.toml").write_text(
        'name = "nodeps-kept"\n[project]\npython = ">=3.9"\n'
        '[first_run]\ncommand = ["python", "-c", "pass"]\n'
    )
    pinned = uv_bin.parent
    shutil.copytree(pinned, _isolated_home / "data" / "uv" / pinned.name)
    env = {**os.environ, "CI": "1", "BOOTSTRAP_NO_METRICS": "1"}
    locked = subprocess.run(
        [str(uv_bin), "lock", "--offline", "--project", str(project)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr
    up = bootstrap("up", "--project", str(project), cwd=tmp_path, env=env, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    assert bootstrap("doctor", "--json", cwd=project, env=env).returncode in (0, 1)
    shutil.rmtree(project / ".venv")

    res = bootstrap("doctor", "--json", cwd=project, env=env)
    found = [f for f in json.loads(res.stdout)["findings"] if f["check"] == "run-state"]
    assert res.returncode == 1 and found, res.stdout + res.stderr
    assert "environment is gone" in found[0]["message"]
    # The fix works from any directory: the project by its path.
    assert found[0]["fix"] == f"bootstrap up --project {project}"


def test_profiles_list_and_validate_in_the_project_include_the_one_it_keeps(
    kept: Path,
) -> None:
    """`profiles list` in werkzeug's checkout listed only the bootstrapper's profiles,
    while `up` there used the one the checkout keeps."""
    listed = bootstrap("profiles", "list", "--json", cwd=kept)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r["path"] for r in json.loads(listed.stdout)["profiles"]}
    assert rows["split-kept"] == str((kept / "bootstrap.toml").resolve())
    assert "split-kept" not in {
        r["name"] for r in json.loads(bootstrap("profiles", "list", "--json").stdout)["profiles"]
    }
    invalid = bootstrap("profiles", "validate", cwd=kept)  # its per-target locks are missing
    assert invalid.returncode == 2 and "split-app/pylock.{target}.toml" in invalid.stderr
    assert bootstrap("lock", "--project", str(kept)).returncode == 0
    checked = bootstrap("profiles", "validate", cwd=kept)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"ok  split-kept  ({(kept / 'bootstrap.toml').resolve()})" in checked.stdout
