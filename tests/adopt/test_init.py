"""`bootstrap init`: the files a team commits, idempotent, never overwriting an edit, and
`--check` for CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.teamkit import REPO, write_team

from bootstrap.adopt import files as team
from bootstrap.uv import pin as pinmod

SHA_A = "a" * 64
SHA_B = "b" * 64


def pin_with_self(tmp_path: Path, sha: str = SHA_A, version: str = "0.1.0") -> Path:
    """This repository's uv pin plus a `self` line, as `bootstrap release` writes it."""
    text = (REPO / "bootstrap" / "uv" / "pin.txt").read_text()
    text = "".join(ln + "\n" for ln in text.splitlines() if not ln.startswith("self "))
    path = tmp_path / f"pin-{sha[:4]}.txt"
    path.write_text(text + f"self {version} bootstrap-{version}-py3-none-any.whl {sha}\n")
    return path


def init(*args: str, pin: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOTSTRAP_UV_PIN_FILE": str(pin)}
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", "init", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and ".git/" not in str(p.relative_to(root)) + "/"
        and not str(p.relative_to(root)).startswith(".git")
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_team(tmp_path / "teamsvc")
    (root / "uv.lock").write_text("version = 1\n")  # present: init points the profile at it
    return root


def test_init_writes_the_team_files_with_both_pins(repo: Path, tmp_path: Path) -> None:
    pin = pin_with_self(tmp_path)
    res = init(str(repo), pin=pin)
    assert res.returncode == 0, res.stdout + res.stderr
    for rel in (
        "install.sh",
        "install.ps1",
        "bootstrap.toml",
        team.GITHUB,
        team.GITLAB,
        team.RECORD,
    ):
        assert (repo / rel).is_file(), rel
    assert os.access(repo / "install.sh", os.X_OK)
    want = pinmod.pin_lines(pin.read_text())
    assert f"self 0.1.0 bootstrap-0.1.0-py3-none-any.whl {SHA_A}" in want
    for name in ("install.sh", "install.ps1"):
        assert pinmod.embedded((repo / name).read_text(), name) == want
    assert "sh install.sh --bootstrap check --project ." in (repo / team.GITHUB).read_text()
    assert "ok: profile teamsvc loads" in res.stdout


def test_the_generated_profile_loads_and_shows(repo: Path, tmp_path: Path) -> None:
    (repo / "tests").mkdir()
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        .replace('dev = ["bottle"]', 'dev = ["bottle"]\ntests = ["pytest>=8"]')
        .replace(
            'dependencies = ["bottle"]',
            'dependencies = ["bottle"]\n\n[project.optional-dependencies]\n'
            'cpu = ["bottle"]\ncu124 = ["bottle"]\ndocs = ["bottle"]',
        )
    )
    assert init(str(repo), pin=pin_with_self(tmp_path)).returncode == 0
    text = (repo / "bootstrap.toml").read_text()
    assert 'python = ">=3.9"  # from requires-python' in text
    # The tests directory: pytest, from the group that has it (not a default one), marked.
    assert 'command = ["python", "-m", "pytest", "-q"]  # review:' in text
    assert 'groups = ["tests"]  # review:' in text
    assert "uv syncs by default: dev" in text
    # Extras that name accelerators become variants; the others do not.
    assert "[locks.variants.cpu]" in text
    assert "[locks.variants.cu124]" in text
    assert "docs" not in text.split("[locks.variants.cpu]")[0].split("[[locks]]")[1]
    show = subprocess.run(
        [sys.executable, "-m", "bootstrap", "profiles", "show", str(repo / "bootstrap.toml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert show.returncode == 0, show.stderr
    assert 'first_run.command = ["python", "-m", "pytest", "-q"]' in show.stdout


def test_first_run_guesses(tmp_path: Path) -> None:
    root = write_team(tmp_path / "a")
    assert 'command = ["python", "-m", "teamsvc"]  # review: guessed from teamsvc/__main__.py' in (
        team.profile_text(root)
    )
    (root / "teamsvc" / "__main__.py").unlink()
    assert 'command = ["python", "-c", "import teamsvc"]' in team.profile_text(root)
    bare = tmp_path / "b"
    bare.mkdir()
    (bare / "pyproject.toml").write_text('[project]\nname = "b"\nversion = "1"\n')
    text = team.profile_text(bare)
    assert "review: pyproject.toml has no requires-python" in text
    assert "review: there is no uv.lock yet" in text
    assert "review: no tests and no package found" in text


def test_init_twice_changes_nothing(repo: Path, tmp_path: Path) -> None:
    pin = pin_with_self(tmp_path)
    assert init(str(repo), pin=pin).returncode == 0
    before = snapshot(repo)
    again = init(str(repo), pin=pin)
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(repo) == before
    assert "unchanged install.sh" in again.stdout
    assert init("--check", str(repo), pin=pin).returncode == 0


def test_a_hand_edit_is_kept_and_its_diff_shown(repo: Path, tmp_path: Path) -> None:
    pin = pin_with_self(tmp_path)
    assert init(str(repo), pin=pin).returncode == 0
    workflow = repo / team.GITHUB
    edited = workflow.read_text().replace("runs-on: ubuntu-latest", "runs-on: self-hosted")
    workflow.write_text(edited)
    res = init(str(repo), pin=pin)
    assert res.returncode == 1
    assert workflow.read_text() == edited
    assert "-    runs-on: self-hosted" in res.stdout
    assert "+    runs-on: ubuntu-latest" in res.stdout
    assert "bootstrap init --force" in res.stderr
    # The team's own profile is theirs: an edit there is never compared or replaced.
    profile = repo / "bootstrap.toml"
    profile.write_text(profile.read_text().replace("timeout_seconds = 300", "timeout_seconds = 60"))
    kept = profile.read_text()
    init(str(repo), pin=pin)
    assert profile.read_text() == kept
    forced = init("--force", str(repo), pin=pin)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "runs-on: ubuntu-latest" in workflow.read_text()


def test_check_fails_after_the_pin_moves(repo: Path, tmp_path: Path) -> None:
    assert init(str(repo), pin=pin_with_self(tmp_path, SHA_A)).returncode == 0
    moved = pin_with_self(tmp_path, SHA_B, version="0.2.0")
    before = snapshot(repo)
    res = init("--check", str(repo), pin=moved)
    assert res.returncode == 1
    assert "differs: install.sh" in res.stdout
    assert "differs: install.ps1" in res.stdout
    assert f"+self 0.2.0 bootstrap-0.2.0-py3-none-any.whl {SHA_B}" in res.stdout
    assert snapshot(repo) == before  # --check writes nothing
    # init itself follows the pin: the files it wrote (unedited) are updated.
    upd = init(str(repo), pin=moved)
    assert upd.returncode == 0, upd.stdout + upd.stderr
    assert "updated  install.sh" in upd.stdout
    assert init("--check", str(repo), pin=moved).returncode == 0


def test_without_a_pinned_bootstrapper_init_says_how(repo: Path) -> None:
    res = init(str(repo), pin=REPO / "bootstrap" / "uv" / "pin.txt")
    assert res.returncode == 2
    assert "no `self` line" in res.stderr
    assert "bootstrap release" in res.stderr
    assert not (repo / "install.sh").exists()


def test_init_needs_a_python_project(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = init(str(empty), pin=pin_with_self(tmp_path))
    assert res.returncode == 2
    assert "no pyproject.toml" in res.stderr
