"""A profile kept in the project's own repository (bootstrap.toml, or [tool.bootstrap] in
its pyproject.toml): the search order, --project, and what `profiles validate` checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support import cli

from bootstrap.errors import ConfigError
from bootstrap.profiles import REPO_PROFILES, check_project, load_profile

REPO = Path(__file__).resolve().parents[2]
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TEAMREPO, tmp_path / "team-repo"))


def bootstrap(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return cli.bootstrap(*args, cwd=cwd or REPO, env=cli.environ(**env), timeout=60)


def test_the_project_keeps_its_profile_with_path_dot(project: Path) -> None:
    prof = load_profile(None, project=project)
    assert prof.source == str(project / "bootstrap.toml")
    assert prof.name == "teamrepo"
    assert prof.project.path == str(project)
    assert prof.locks[0].exists


def test_tool_bootstrap_in_pyproject(project: Path) -> None:
    (project / "bootstrap.toml").unlink()
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text + '\n[tool.bootstrap]\ndescription = "kept in pyproject"\n'
        '[tool.bootstrap.first_run]\ncommand = "python -m pytest"\n'
    )
    prof = load_profile(None, project=project)
    assert prof.source == str(project / "pyproject.toml")
    assert prof.name == "team-repo"  # the project directory's name: no `name` key
    assert prof.project.path == str(project)  # path defaults to the project itself
    (project / "pyproject.toml").write_text(text + "\n[tool.bootstrap]\nkind = 'web'\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(None, project=project)
    assert caught.value.message.startswith(
        f"{project / 'pyproject.toml'}: `tool.bootstrap.kind`: expected one of"
    )


def test_a_project_without_a_profile_says_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    with pytest.raises(ConfigError) as caught:
        load_profile(None, project=tmp_path)
    assert "keeps no profile: no bootstrap.toml and no [tool.bootstrap]" in caught.value.message
    assert caught.value.exit_code == 2


def test_search_order_env_then_project_then_shipped(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project's profile is named like a shipped one: the project wins over profiles/.
    own = project / "bootstrap.toml"
    own.write_text(own.read_text().replace('name = "teamrepo"', 'name = "python-service"'))
    assert load_profile("python-service", project=project).source == str(own)
    assert load_profile("python-service").source == str(REPO_PROFILES / "python-service.toml")
    # BOOTSTRAP_PROFILE_PATH wins over the project.
    env_dir = tmp_path / "team-profiles"
    env_dir.mkdir()
    (env_dir / "python-service.toml").write_text('[project]\npath = "."\n')
    monkeypatch.setenv("BOOTSTRAP_PROFILE_PATH", str(env_dir))
    assert load_profile("python-service", project=project).source == str(
        env_dir / "python-service.toml"
    )


def test_a_named_profile_for_another_checkout(project: Path) -> None:
    prof = load_profile(str(TEAMREPO / "bootstrap.toml"), project=project)
    assert prof.project.path == str(TEAMREPO)  # a project's own file keeps its project
    shipped = load_profile("python-service", project=project)
    assert shipped.project.path == str(project)  # --project points a shared profile here


def test_missing_project_and_lock_fail_validation(project: Path, tmp_path: Path) -> None:
    gone = tmp_path / "nowhere" / "team.toml"
    gone.parent.mkdir()
    gone.write_text('[project]\npath = "../not-cloned-yet"\n[first_run]\ncommand = "true"\n')
    (problem,) = check_project(load_profile(str(gone)))
    assert problem.message == (
        f"{gone}: `project.path`: the project directory {tmp_path / 'not-cloned-yet'} "
        "does not exist"
    )
    assert "clone the project there" in (problem.fix or "")
    res = bootstrap("profiles", "validate", str(gone))
    assert res.returncode == 2
    assert f"the project directory {tmp_path / 'not-cloned-yet'} does not exist" in res.stderr

    (project / "uv.lock").unlink()
    res = bootstrap("profiles", "validate", "--project", str(project))
    assert res.returncode == 2
    assert f"`locks[0].path`: the lock {project / 'uv.lock'} does not exist" in res.stderr
    assert f"run `uv lock` in {project}" in res.stderr

    res = bootstrap("up", "--project", str(tmp_path / "missing"), "--dry-run")
    assert res.returncode == 2
    assert f"project directory {tmp_path / 'missing'} does not exist" in res.stderr
    assert "Traceback" not in res.stderr


def test_validate_warns_on_a_name_defined_twice(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "team.toml").write_text(f'[project]\npath = "{TEAMREPO}"\n')
    (b / "other.toml").write_text(f'name = "team"\n[project]\npath = "{TEAMREPO}"\n')
    import os

    res = bootstrap("profiles", "validate", BOOTSTRAP_PROFILE_PATH=f"{a}{os.pathsep}{b}")
    assert f"warning: profile name 'team' is defined by 2 files; {a / 'team.toml'} wins over " in (
        res.stdout
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_plan_and_up_take_the_project(project: Path) -> None:
    res = bootstrap("plan", "--project", str(project), "--json")
    assert res.returncode == 0, res.stderr
    assert '"--no-default-groups"' in res.stdout
    # With no --profile, a project in the current directory brings its own profile.
    here = bootstrap("plan", "--json", cwd=project)
    assert here.returncode == 0, here.stderr
    assert f'"profile_path": "{project / "bootstrap.toml"}"' in here.stdout
