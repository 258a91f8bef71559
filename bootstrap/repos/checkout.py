"""Bring a project's checkout to its source: clone it, or fetch and fast-forward it.

The system ``git`` does the work, with the user's credential helpers and ssh config;
nothing secret is stored. A checkout that holds local work (changes to tracked files, a
branch that diverged, another branch checked out) is never touched: it is left as it is
and said so. A clone goes to a ``.<name>.partial-<pid>`` directory first and is renamed
into place when complete, so an interrupted clone leaves no half checkout behind and a
re-run starts again cleanly.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc
from bootstrap.errors import BootstrapError, UserError
from bootstrap.repos.source import GitSource

CLONE_TIMEOUT = 900.0
GIT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Checkout:
    path: Path
    action: str  # cloned | updated | unchanged | kept
    detail: str = ""  # why it was kept, or what moved (old..new)


class GitFailed(BootstrapError):
    """git could not reach or read the repository (exit 1, its own lines kept)."""


def git_env() -> dict[str, str]:
    """The user's environment, but git never waits for a password on the terminal: a
    missing credential fails at once with git's message instead of hanging a parallel
    onboarding (the credential helper and ssh agent still answer)."""
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    env["LC_ALL"] = "C"  # git's messages, parsed below, in one language
    return env


def git(repo: Path | None, *args: str, timeout: float = GIT_TIMEOUT) -> proc.Result:
    argv = ["git", *(["-C", str(repo)] if repo is not None else []), *args]
    return proc.run(argv, timeout=timeout, env=git_env())


def _must(res: proc.Result, what: str, source: GitSource) -> proc.Result:
    if res.not_found:
        raise UserError(
            "git is not installed; it is needed to set up a project from a git URL",
            fix="install git (apt install git, xcode-select --install, winget install Git.Git)",
            code="project.no_git",
        )
    if not res.ok:
        from bootstrap.redact import redact_text

        why = redact_text(proc.error_causes(res.stderr) or res.describe())
        raise GitFailed(
            f"{what} {source.shown} failed: {why}",
            fix="check the URL and your access (git credential helper, ssh key), then re-run",
            code="project.git_failed",
        )
    return res


def ensure_checkout(source: GitSource, dest: Path) -> Checkout:
    """``dest`` holds ``source`` at its ref when this returns (or is kept as it was, with
    the reason in :attr:`Checkout.detail`)."""
    if dest.exists():
        return _update(source, dest)
    return _clone(source, dest)


def _clone(source: GitSource, dest: Path) -> Checkout:
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        pid = stale.name.rpartition("-")[2]
        if not pid.isdigit() or not proc.pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    partial = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _must(
            git(
                None,
                "clone",
                "--quiet",
                "--no-checkout",
                "--origin",
                "origin",
                "--",
                source.url,
                str(partial),
                timeout=CLONE_TIMEOUT,
            ),
            "git clone",
            source,
        )
        _checkout_ref(source, partial)
        partial.replace(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Checkout(dest, "cloned", _head(dest))


def _checkout_ref(source: GitSource, repo: Path) -> None:
    if source.ref is None:
        _must(git(repo, "checkout", "--quiet"), "git checkout", source)
        return
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{source.ref}").ok:
        _must(
            git(repo, "checkout", "--quiet", "-B", source.ref, "--track", f"origin/{source.ref}"),
            "git checkout",
            source,
        )
        return
    _must(
        git(repo, "checkout", "--quiet", "--detach", f"{source.ref}^{{commit}}"),
        f"git checkout {source.ref} of",
        source,
    )


def _update(source: GitSource, dest: Path) -> Checkout:
    if not (dest / ".git").exists():
        raise UserError(
            f"{dest} exists and is not a git checkout",
            fix=f"move it away, or set the workspace elsewhere (--workspace DIR); "
            f"it is where {source.name} would be cloned",
            code="project.not_a_checkout",
        )
    origin = git(dest, "remote", "get-url", "origin")
    if not origin.ok or _same_url(origin.stdout.strip()) != _same_url(source.url):
        return Checkout(dest, "kept", f"its origin is not {source.shown}")
    if _dirty(dest):
        return Checkout(dest, "kept", "it has local changes")
    before = _head(dest)
    fetched = git(dest, "fetch", "--quiet", "--tags", "origin", timeout=CLONE_TIMEOUT)
    if not fetched.ok:
        # The checkout is there: a machine offline (or a server down) keeps working on it.
        from bootstrap.redact import redact_text

        why = redact_text(proc.error_causes(fetched.stderr) or fetched.describe())
        return Checkout(dest, "kept", f"could not fetch ({why})")
    branch = git(dest, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    remote_branch = source.ref or _default_branch(dest)
    is_branch = (
        bool(remote_branch)
        and git(dest, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{remote_branch}").ok
    )
    if is_branch:
        if branch != remote_branch:
            if branch:
                return Checkout(
                    dest, "kept", f"branch {branch} is checked out, not {remote_branch}"
                )
            _checkout_ref(source, dest)
        elif not git(dest, "merge", "--ff-only", "--quiet", f"origin/{remote_branch}").ok:
            return Checkout(dest, "kept", f"{branch} has commits origin/{branch} does not")
    elif source.ref is not None:
        if branch:
            return Checkout(dest, "kept", f"branch {branch} is checked out, not {source.ref}")
        _checkout_ref(source, dest)
    after = _head(dest)
    return Checkout(
        dest,
        "unchanged" if after == before else "updated",
        after if after == before else f"{before[:12]}..{after[:12]}",
    )


def _default_branch(repo: Path) -> str:
    res = git(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    return res.stdout.strip().partition("/")[2] if res.ok else ""


def _dirty(repo: Path) -> bool:
    """Changes to tracked files (untracked files block nothing: a fast-forward that would
    overwrite one fails on its own and the checkout is kept)."""
    res = git(repo, "status", "--porcelain", "--untracked-files=no")
    return not res.ok or bool(res.stdout.strip())


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def _same_url(url: str) -> str:
    return url.rstrip("/").removesuffix(".git")
