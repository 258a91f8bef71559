"""What a handoff carries, made on this host (bootstrap.steps.carry): the project's files
as git sees them and nothing secret, the profile merged for the target, the bootstrapper's
wheel, and the shell that installs it there only when every hash matches. The install
script runs here for real, under dash and busybox sh, as a target's shell runs it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bootstrap.paths import Paths
from bootstrap.plan.carry import PROFILE_THERE, profile_there, stage0_there
from bootstrap.profiles import load_profile
from bootstrap.steps import carry

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        (".env", True),
        ("config/.env.local", True),
        (".env.production", True),
        (".env.example", False),
        (".env.sample", False),
        ("deploy/id_ed25519", True),
        ("certs/server.pem", True),
        ("tls/site.key", True),
        (".netrc", True),
        (".pypirc", True),
        ("src/env.py", False),
        ("docs/keys.md", False),
        ("README.md", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert carry.is_secret(name) is secret


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_project_files_of_a_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "team"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / ".gitignore").write_text("dist/\n")
    (repo / ".env").write_text("TOKEN=1\n")
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("print(1)\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "add", "-f", ".env")
    _git(repo, "commit", "-q", "-m", "x")
    (repo / "new.py").write_text("")  # untracked, not ignored: sent
    (repo / "dist").mkdir()
    (repo / "dist" / "x.whl").write_text("")  # ignored
    (repo / ".bootstrap").mkdir()
    (repo / ".bootstrap" / "profile.toml").write_text("")  # ours, never sent back
    (repo / "src" / "app.py").write_text("print(2)\n")  # as in the work tree

    files, how = carry.project_files(repo)
    assert files == [".gitignore", "new.py", "pyproject.toml", "src/app.py"]
    assert "git" in how
    # A deleted tracked file is not listed (it is not there to send).
    (repo / "new.py").unlink()
    (repo / "src" / "app.py").unlink()
    assert carry.project_files(repo)[0] == [".gitignore", "pyproject.toml"]


def test_project_files_of_a_folder_that_is_not_a_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    shutil.copytree(TEAMREPO, repo)
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "python").write_text("")
    (repo / "src" / "__pycache__").mkdir()
    (repo / "src" / "__pycache__" / "x.pyc").write_text("")
    (repo / ".env").write_text("TOKEN=1\n")
    files, how = carry.project_files(repo)
    assert "not a git repository" in how
    assert "pyproject.toml" in files and "uv.lock" in files and "bootstrap.toml" in files
    assert not [f for f in files if f.startswith((".venv", ".env")) or "__pycache__" in f]


def test_profile_there_is_the_projects_own_file_or_the_merged_copy(tmp_path: Path) -> None:
    team = tmp_path / "team"
    shutil.copytree(TEAMREPO, team)
    own = load_profile(str(team / "bootstrap.toml"))
    assert profile_there(own) == "bootstrap.toml"
    assert carry.project_files(team)[0]  # the file itself is sent with the project
    shipped = load_profile("python-service")  # profiles/, about examples/python-service
    assert profile_there(shipped) == PROFILE_THERE
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    svc = elsewhere / "svc.toml"
    svc.write_text('extends = "python-service"\nname = "svc"\n')
    assert profile_there(load_profile(str(svc))) == PROFILE_THERE


def test_profile_text_merges_extends_and_points_at_the_project_there(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    svc = elsewhere / "svc.toml"
    svc.write_text(
        'extends = "python-service"\nname = "svc"\ndescription = "quote \\" and \\u00e9"\n'
        '[first_run]\ncommand = ["python", "-c", "print(\'ok\')"]\n'
        '[metrics]\nsalt = "team-salt"\n'
        '[[metrics.sinks]]\nkind = "http-json"\nurl = "https://metrics.example.com/in"\n'
    )
    assert load_profile(str(svc)).name == "svc"  # a valid profile, sinks and all
    text = carry.profile_text(svc)
    data = tomllib.loads(text)
    assert data["name"] == "svc" and "extends" not in data
    assert data["project"]["path"] == ".."
    assert data["description"] == 'quote " and \u00e9'
    assert data["first_run"]["command"] == ["python", "-c", "print('ok')"]
    assert data["locks"]  # from python-service
    assert "metrics" not in data and "team-salt" not in text  # stays on this host
    # The copy loads as a profile of the project it sits in, with the same decisions.
    project = tmp_path / "there"
    shutil.copytree(REPO / "examples" / "python-service", project)
    (project / ".bootstrap").mkdir()
    (project / PROFILE_THERE).write_text(text)
    there = load_profile(str(project / PROFILE_THERE))
    here = load_profile(str(svc))
    assert there.name == "svc" and Path(there.project.path) == project.resolve()
    assert [lk.path for lk in there.locks] == [lk.path for lk in here.locks]
    assert there.first_run == here.first_run


def test_the_wheel_written_here_installs_and_runs(tmp_path: Path, uv_bin: Path) -> None:
    """The fallback for a host with no build backend: a real wheel uv installs."""
    name = carry.write_wheel(REPO, tmp_path)
    assert name == "bootstrap-0.1.0-py3-none-any.whl"
    again = tmp_path / "again"
    again.mkdir()
    carry.write_wheel(REPO, again)
    assert (tmp_path / name).read_bytes() == (again / name).read_bytes()  # reproducible
    with zipfile.ZipFile(tmp_path / name) as zf:
        names = zf.namelist()
        assert "bootstrap/python/pin.txt" in names and "bootstrap/uv/pin.txt" in names
        assert not [n for n in names if "__pycache__" in n]
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_OFFLINE": "1"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([str(uv_bin), "venv", "-q", str(venv)], check=True, env=env, timeout=120)
    done = subprocess.run(
        [str(uv_bin), "pip", "install", "-q", "--no-deps", "--python", str(venv / "bin/python"),
         str(tmp_path / name)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ran = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bootstrap.plan.carry as c; print(c.SELF_DIR)"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.stdout.strip() == ".bootstrap/self", ran.stderr
    assert (venv / "bin" / "bootstrap").is_file()  # the console script


def _artifact(tmp_path: Path) -> carry.SelfArtifact:
    folder = tmp_path / "cache"
    folder.mkdir()
    wheel = carry.write_wheel(REPO, folder)
    for name in carry.SELF_EXTRAS:
        shutil.copyfile(REPO / name, folder / name)
    (folder / ".gitignore").write_text(carry.IGNORE_ALL)
    sums = {
        n: hashlib.sha256((folder / n).read_bytes()).hexdigest()
        for n in (wheel, *carry.SELF_EXTRAS)
    }
    return carry.SelfArtifact(folder, wheel, sums)


@pytest.mark.parametrize("shell", [["dash"], ["busybox", "sh"]])
def test_install_script_checks_every_hash_then_unpacks_once(
    tmp_path: Path, shell: list[str]
) -> None:
    if not shutil.which(shell[0]):
        pytest.skip(f"{shell[0]} is not installed")
    art = _artifact(tmp_path)
    target = tmp_path / "there"
    target.mkdir()
    names = carry.stage_payload(target, art, "")
    assert ".bootstrap/in/install.sh" in names and ".bootstrap/.gitignore" in names
    script = carry.install_self_script(str(target), art)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*shell, "-c", script], input=art.sums_text(), capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip

    # A file changed on the way: nothing is installed, exit 3.
    tampered = target / ".bootstrap" / "in" / "uv.lock"
    tampered.unlink()  # a hard link to the cache: replaced, not written through
    tampered.write_text("not the lock\n")
    res = run()
    assert res.returncode == 3, res.stderr
    assert not (target / ".bootstrap" / "self").exists()

    shutil.copyfile(REPO / "uv.lock", tampered)
    res = run()
    assert res.returncode == 0 and res.stdout.strip() == "installed", res.stderr
    self_dir = target / ".bootstrap" / "self"
    assert (self_dir / "bootstrap" / "__main__.py").is_file()
    assert (self_dir / ".sha256").read_text().strip() == art.wheel_sha256
    assert (self_dir / ".wheel").read_text().strip() == art.wheel
    assert (self_dir / "install.sh").read_bytes() == (REPO / "install.sh").read_bytes()
    assert run().stdout.strip() == "present"  # the same wheel: nothing done again


def test_stage0_there_uses_the_bundle_then_the_environment_it_made_then_the_wheel() -> None:
    command = stage0_there(["--project", ".", "--profile", "bootstrap.toml"], bundle="b.tar")
    with_bundle, rest = command.split("; fi; ", 1)
    assert "sh .bootstrap/self/install.sh --cache-bundle b.tar --project ." in with_bundle
    assert rest.startswith("if [ -f .bootstrap/self/.tool-env ]")
    assert "BOOTSTRAP_SELF_URL=" in rest and "exec sh .bootstrap/in/install.sh" in rest
    assert "--cache-bundle" not in stage0_there(["--project", "."], bundle=None)


@pytest.mark.network  # a fresh home installs the pinned uv, which builds the wheel
def test_self_artifact_is_built_once_per_source(tmp_path: Path) -> None:
    paths = Paths.from_env({"BOOTSTRAP_HOME": str(tmp_path / "home")})
    first = carry.self_artifact(paths)
    again = carry.self_artifact(paths)
    assert again == first
    assert (first.folder / first.wheel).is_file()
    for name, sha in first.sums.items():
        assert hashlib.sha256((first.folder / name).read_bytes()).hexdigest() == sha
    assert set(first.sums) == {first.wheel, *carry.SELF_EXTRAS}


def test_a_dev_containers_workspace_gets_only_what_differs(tmp_path: Path) -> None:
    """The devcontainer transport: the project is the bind-mounted workspace (nothing
    copied); what the handoff adds is copied into it on this host, only what differs."""
    from bootstrap.transports.devcontainer_cli import DevcontainerLink

    workspace = tmp_path / "team"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text("[project]\n")
    link = DevcontainerLink(workspace, engine="podman")
    res = link.sync_tree(workspace, ["pyproject.toml"], "/workspaces/team", timeout=10)
    assert res.ok and res.stdout.endswith(": 0")
    payload = tmp_path / "payload"
    (payload / ".bootstrap").mkdir(parents=True)
    (payload / ".bootstrap" / "profile.toml").write_text('name = "a"\n')
    (payload / ".bootstrap" / ".gitignore").write_text("*\n")
    names = [".bootstrap/profile.toml", ".bootstrap/.gitignore"]
    first = link.sync_tree(payload, names, "/workspaces/team", timeout=10)
    assert first.stdout.endswith(": 2")
    assert (workspace / ".bootstrap" / "profile.toml").read_text() == 'name = "a"\n'
    assert link.sync_tree(payload, names, "/workspaces/team", timeout=10).stdout.endswith(": 0")
    (payload / ".bootstrap" / "profile.toml").write_text('name = "b"\n')  # same size
    again = link.sync_tree(payload, names, "/workspaces/team", timeout=10)
    assert again.stdout.endswith(": 1")
    assert (workspace / ".bootstrap" / "profile.toml").read_text() == 'name = "b"\n'
