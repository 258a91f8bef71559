"""The unpushed-work guard: each way a laptop swap loses work is found and named, with
the commands that save it; a checkout whose work is all on a remote has no finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitserver import GitServer, git, write

from bootstrap.repos.checkout import ensure_checkout
from bootstrap.repos.guard import unpushed_work
from bootstrap.repos.source import parse


@pytest.fixture
def clone(server: GitServer, tmp_path: Path) -> Path:
    server.create("svc", {"app.py": "x = 1\n", ".gitignore": "*.log\n"})
    return ensure_checkout(parse(f"git+{server.url('svc')}@main"), tmp_path / "svc").path


def _kinds(repo: Path) -> list[str]:
    return [f.kind for f in unpushed_work(repo)]


def test_a_clean_clone_has_nothing_to_lose(clone: Path) -> None:
    write(clone, {"debug.log": "ignored\n"})
    assert unpushed_work(clone) == []


def test_what_python_writes_again_is_not_work(clone: Path) -> None:
    # A project that ignores none of it, after its tests ran and it was built.
    write(clone, {"__pycache__/app.cpython-311.pyc": "x", "pkg/mod.pyc": "x",
                  "src/app.egg-info/PKG-INFO": "x"})  # fmt: skip
    assert unpushed_work(clone) == []


def test_uncommitted_change(clone: Path) -> None:
    (clone / "app.py").write_text("x = 2\n")
    (finding,) = unpushed_work(clone)
    assert finding.kind == "uncommitted"
    assert "app.py" in finding.detail
    assert "git commit" in finding.fix and "git push" in finding.fix


def test_staged_rename_counts_once(clone: Path) -> None:
    git(clone, "mv", "app.py", "main.py")
    (finding,) = unpushed_work(clone)
    assert finding.detail.startswith("1 changed file(s)")


def test_untracked_file(clone: Path) -> None:
    write(clone, {"notes/todo.md": "remember\n"})
    (finding,) = unpushed_work(clone)
    assert finding.kind == "untracked"
    assert "notes/todo.md" in finding.detail
    assert "git add notes/todo.md" in finding.fix


def test_stash(clone: Path) -> None:
    (clone / "app.py").write_text("x = 3\n")
    git(clone, "stash", "--quiet")
    assert _kinds(clone) == ["stash"]
    assert "git stash branch" in unpushed_work(clone)[0].fix


def test_unpushed_commit(clone: Path) -> None:
    write(clone, {"app.py": "x = 4\n"})
    git(clone, "commit", "--quiet", "-am", "local")
    (finding,) = unpushed_work(clone)
    assert finding.kind == "ahead"
    assert finding.detail == "branch main is 1 commit(s) ahead of origin/main"
    assert finding.fix == "git push origin main"


def test_branch_without_upstream(clone: Path) -> None:
    git(clone, "checkout", "--quiet", "-b", "spike")
    write(clone, {"spike.py": "pass\n"})
    git(clone, "add", "spike.py")
    git(clone, "commit", "--quiet", "-m", "spike")
    git(clone, "checkout", "--quiet", "main")
    (finding,) = unpushed_work(clone)
    assert finding.kind == "no-upstream"
    assert finding.detail == "branch spike: 1 commit(s) on no remote (it has no upstream)"
    assert finding.fix == "git push -u origin spike"


def test_branch_without_upstream_but_nothing_of_its_own_is_fine(clone: Path) -> None:
    git(clone, "branch", "look")  # points at origin/main's commit: nothing to lose
    assert unpushed_work(clone) == []


def test_detached_head_with_its_own_commits(clone: Path) -> None:
    git(clone, "checkout", "--quiet", "--detach")
    assert unpushed_work(clone) == []  # detached on a pushed commit loses nothing
    write(clone, {"exp.py": "pass\n"})
    git(clone, "add", "exp.py")
    git(clone, "commit", "--quiet", "-m", "experiment")
    (finding,) = unpushed_work(clone)
    assert finding.kind == "detached"
    assert "1 commit(s) no branch or tag reaches" in finding.detail
    assert finding.fix.startswith("git switch -c saved-")


def test_a_repository_with_no_remote_at_all(tmp_path: Path) -> None:
    repo = tmp_path / "solo"
    repo.mkdir()
    git(repo, "init", "--quiet", "-b", "main")
    write(repo, {"a": "1\n"})
    git(repo, "add", "a")
    git(repo, "commit", "--quiet", "-m", "only here")
    assert _kinds(repo) == ["no-upstream"]


def test_every_kind_at_once_in_order(clone: Path) -> None:
    git(clone, "checkout", "--quiet", "-b", "spike")
    write(clone, {"s.py": "1\n"})
    git(clone, "add", "s.py")
    git(clone, "commit", "--quiet", "-m", "s")
    git(clone, "checkout", "--quiet", "main")
    write(clone, {"app.py": "x = 9\n"})
    git(clone, "commit", "--quiet", "-am", "ahead")
    write(clone, {"app.py": "x = 10\n"})
    git(clone, "stash", "--quiet")
    write(clone, {"app.py": "x = 11\n", "new.txt": "n\n"})
    assert _kinds(clone) == ["uncommitted", "untracked", "stash", "ahead", "no-upstream"]
