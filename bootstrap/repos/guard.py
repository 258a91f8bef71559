"""Work a checkout holds that no remote has: what a laptop swap would lose.

Six kinds, each with the commands that save it:

- ``uncommitted``: changes to tracked files (staged or not);
- ``untracked``: files git does not ignore and does not track (but what Python writes
  again by itself: ``__pycache__``, ``*.pyc``, ``*.egg-info``);
- ``stash``: stash entries (they live only in this clone);
- ``ahead``: a branch with commits its upstream does not have;
- ``no-upstream``: a branch with no upstream and commits no remote branch has;
- ``detached``: a detached HEAD with commits no branch, tag or remote branch reaches.

A branch with no upstream whose commits are all on a remote loses nothing and is not
listed. Only git's plumbing output is read (``--porcelain``, ``for-each-ref``), in the C
locale.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from bootstrap.repos.checkout import git

KINDS = ("uncommitted", "untracked", "stash", "ahead", "no-upstream", "detached")
_MAX_LISTED = 5  # files named per finding; the count says the rest


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str
    fix: str  # the commands, run in the checkout, that put the work on a remote

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail, "fix": self.fix}


def unpushed_work(repo: Path) -> list[Finding]:
    """Everything in ``repo`` a remote does not have, in :data:`KINDS` order."""
    found: list[Finding] = []
    found += _tree(repo)
    found += _stashes(repo)
    found += _branches(repo)
    found += _detached(repo)
    return found


def _files(paths: list[str]) -> str:
    shown = ", ".join(paths[:_MAX_LISTED])
    more = len(paths) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _regenerated(path: str) -> bool:
    """What Python writes again by itself when the project runs (bytecode, a build's
    metadata): never work, even where the project does not ignore it."""
    parts = path.split("/")
    return (
        "__pycache__" in parts
        or path.endswith((".pyc", ".pyo"))
        or any(p.endswith(".egg-info") for p in parts)
    )


def _tree(repo: Path) -> list[Finding]:
    res = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    changed: list[str] = []
    untracked: list[str] = []
    entries = iter(res.stdout.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code == "??":
            if not _regenerated(path):
                untracked.append(path)
            continue
        changed.append(path)
        if "R" in code or "C" in code:
            next(entries, None)  # a rename's second path: the same change
    found = []
    if changed:
        found.append(
            Finding(
                "uncommitted",
                f"{len(changed)} changed file(s): {_files(changed)}",
                'git add -A && git commit -m "wip: before the laptop swap" && git push',
            )
        )
    if untracked:
        quoted = " ".join(shlex.quote(p) for p in untracked[:_MAX_LISTED])
        found.append(
            Finding(
                "untracked",
                f"{len(untracked)} untracked file(s) git does not ignore: {_files(untracked)}",
                f"git add {quoted} && git commit -m 'add files' && git push"
                " (or list them in .gitignore)",
            )
        )
    return found


def _stashes(repo: Path) -> list[Finding]:
    res = git(repo, "stash", "list", "--format=%gd %s")
    stashes = [line for line in res.stdout.splitlines() if line.strip()]
    if not stashes:
        return []
    return [
        Finding(
            "stash",
            f"{len(stashes)} stash entr{'y' if len(stashes) == 1 else 'ies'}: {stashes[0]}",
            "git stash branch saved-stash && git commit -am 'saved stash'"
            " && git push -u origin saved-stash",
        )
    ]


def _branches(repo: Path) -> list[Finding]:
    fmt = "%(refname:short)%00%(upstream:short)%00%(upstream:track,nobracket)"
    res = git(repo, "for-each-ref", f"--format={fmt}", "refs/heads")
    found = []
    for line in res.stdout.splitlines():
        name, _, rest = line.partition("\0")
        upstream, _, track = rest.partition("\0")
        if not name:
            continue
        if upstream and track != "gone":
            ahead = _ahead(track)
            if ahead:
                found.append(
                    Finding(
                        "ahead",
                        f"branch {name} is {ahead} commit(s) ahead of {upstream}",
                        f"git push origin {shlex.quote(name)}",
                    )
                )
            continue
        only_here = _only_here(repo, f"refs/heads/{name}")
        if only_here:
            why = "its upstream is gone" if upstream else "it has no upstream"
            found.append(
                Finding(
                    "no-upstream",
                    f"branch {name}: {only_here} commit(s) on no remote ({why})",
                    f"git push -u origin {shlex.quote(name)}",
                )
            )
    return found


def _ahead(track: str) -> int:
    for part in track.split(","):
        word, _, count = part.strip().partition(" ")
        if word == "ahead" and count.isdigit():
            return int(count)
    return 0


def _only_here(repo: Path, ref: str) -> int:
    """Commits of ``ref`` no remote-tracking branch has."""
    res = git(repo, "rev-list", "--count", ref, "--not", "--remotes")
    return int(res.stdout.strip()) if res.ok and res.stdout.strip().isdigit() else 0


def _detached(repo: Path) -> list[Finding]:
    if git(repo, "symbolic-ref", "--quiet", "HEAD").ok:
        return []
    if not git(repo, "rev-parse", "--verify", "--quiet", "HEAD").ok:
        return []  # no commit at all
    res = git(repo, "rev-list", "--count", "HEAD", "--not", "--branches", "--tags", "--remotes")
    count = int(res.stdout.strip()) if res.ok and res.stdout.strip().isdigit() else 0
    if not count:
        return []
    head = git(repo, "rev-parse", "--short", "HEAD").stdout.strip()
    return [
        Finding(
            "detached",
            f"detached HEAD at {head}: {count} commit(s) no branch or tag reaches",
            f"git switch -c saved-{head} && git push -u origin saved-{head}",
        )
    ]
