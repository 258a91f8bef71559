"""Clone, fast-forward, and never touch local work: against a real git daemon."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from support.gitserver import GitServer, git, write

from bootstrap.errors import EXIT_FAILED, UserError
from bootstrap.repos.checkout import GitFailed, ensure_checkout
from bootstrap.repos.source import parse


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def _commit(work: Path, files: dict[str, str], message: str) -> str:
    write(work, files)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    git(work, "push", "--quiet", "origin", "HEAD")
    return _head(work)


def test_clone_then_fast_forward_then_nothing(server: GitServer, tmp_path: Path) -> None:
    work = server.create("svc", {"README": "one\n"})
    dest = tmp_path / "ws" / "svc"
    got = ensure_checkout(parse(f"git+{server.url('svc')}@main"), dest)
    assert (got.action, got.path) == ("cloned", dest)
    assert (dest / "README").read_text() == "one\n"
    assert git(dest, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(dest, "rev-parse", "--abbrev-ref", "main@{upstream}").strip() == "origin/main"

    new = _commit(work, {"README": "two\n"}, "second")
    got = ensure_checkout(parse(f"git+{server.url('svc')}@main"), dest)
    assert got.action == "updated"
    assert _head(dest) == new
    assert (dest / "README").read_text() == "two\n"
    assert ensure_checkout(parse(f"git+{server.url('svc')}@main"), dest).action == "unchanged"


def test_default_branch_tag_and_commit(server: GitServer, tmp_path: Path) -> None:
    work = server.create("lib", {"v": "1\n"}, branch="trunk")
    first = _head(work)
    git(work, "tag", "v1")
    git(work, "push", "--quiet", "origin", "v1")
    _commit(work, {"v": "2\n"}, "two")

    default = ensure_checkout(parse(f"git+{server.url('lib')}"), tmp_path / "a" / "lib")
    assert (default.path / "v").read_text() == "2\n"
    tag = ensure_checkout(parse(f"git+{server.url('lib')}@v1"), tmp_path / "b" / "lib")
    assert _head(tag.path) == first
    commit = ensure_checkout(parse(f"git+{server.url('lib')}@{first[:10]}"), tmp_path / "c" / "lib")
    assert _head(commit.path) == first


def test_local_work_is_never_touched(server: GitServer, tmp_path: Path) -> None:
    work = server.create("svc", {"app.py": "x = 1\n"})
    source = parse(f"git+{server.url('svc')}@main")
    dest = ensure_checkout(source, tmp_path / "svc").path
    upstream = _commit(work, {"app.py": "x = 2\n"}, "upstream moves")

    (dest / "app.py").write_text("x = 'mine'\n")
    kept = ensure_checkout(source, dest)
    assert (kept.action, kept.detail) == ("kept", "it has local changes")
    assert (dest / "app.py").read_text() == "x = 'mine'\n"

    git(dest, "checkout", "--quiet", "--", "app.py")
    git(dest, "checkout", "--quiet", "-b", "topic")
    kept = ensure_checkout(source, dest)
    assert kept.action == "kept"
    assert "branch topic is checked out" in kept.detail

    git(dest, "checkout", "--quiet", "main")
    write(dest, {"local.txt": "mine\n"})
    git(dest, "add", "local.txt")
    git(dest, "commit", "--quiet", "-m", "local commit")
    mine = _head(dest)
    kept = ensure_checkout(source, dest)
    assert kept.action == "kept"
    assert "has commits origin/main does not" in kept.detail
    assert _head(dest) == mine
    assert git(dest, "rev-parse", "origin/main").strip() == upstream  # fetched, not merged


def test_an_interrupted_clone_converges(server: GitServer, tmp_path: Path) -> None:
    server.create("svc", {"README": "x\n"})
    ws = tmp_path / "ws"
    ws.mkdir()
    # What a clone killed with -9 leaves: a partial directory named after a dead process.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = ws / f".svc.partial-{dead.pid}"
    (stale / ".git").mkdir(parents=True)
    got = ensure_checkout(parse(f"git+{server.url('svc')}"), ws / "svc")
    assert got.action == "cloned"
    assert not stale.exists()
    assert sorted(p.name for p in ws.iterdir()) == ["svc"]


def test_another_origin_or_a_plain_directory_is_not_reused(
    server: GitServer, tmp_path: Path
) -> None:
    server.create("svc", {"README": "x\n"})
    server.create("other", {"README": "y\n"})
    dest = ensure_checkout(parse(f"git+{server.url('other')}"), tmp_path / "svc").path
    kept = ensure_checkout(parse(f"git+{server.url('svc')}"), dest)
    assert kept.action == "kept"
    assert "its origin is not" in kept.detail
    plain = tmp_path / "plain" / "svc"
    plain.mkdir(parents=True)
    with pytest.raises(UserError, match="is not a git checkout"):
        ensure_checkout(parse(f"git+{server.url('svc')}"), plain)


def test_an_unreachable_server_fails_at_once_with_gits_words(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    start = time.monotonic()
    with pytest.raises(GitFailed) as caught:
        ensure_checkout(parse(f"git+git://127.0.0.1:{port}/svc.git"), tmp_path / "svc")
    assert time.monotonic() - start < 30
    assert caught.value.exit_code == EXIT_FAILED
    assert "git clone git://127.0.0.1" in str(caught.value)
    assert not (tmp_path / "svc").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_ref_names_it(server: GitServer, tmp_path: Path) -> None:
    server.create("svc", {"README": "x\n"})
    with pytest.raises(GitFailed, match="git checkout nope of"):
        ensure_checkout(parse(f"git+{server.url('svc')}@nope"), tmp_path / "svc")
    assert not (tmp_path / "svc").exists()


def test_no_prompt_for_credentials(tmp_path: Path) -> None:
    from bootstrap.repos.checkout import git_env

    before = dict(os.environ)
    env = git_env()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_SSH_COMMAND"].startswith("ssh") or "GIT_SSH_COMMAND" in before
    assert dict(os.environ) == before  # the process's own environment is not changed
