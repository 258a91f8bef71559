"""A project that lives in git, made present on this machine before it is planned.

Two ways in: ``bootstrap up --project git+URL@ref`` (cloned into the workspace, named
after the repository), and a profile whose ``[project]`` names ``git`` (and ``ref``),
cloned where its ``path`` says (by default the workspace too). Either way the checkout
is brought to its ref by :func:`~bootstrap.repos.checkout.ensure_checkout`, which never
touches local work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bootstrap.paths import Paths
from bootstrap.repos.checkout import Checkout, ensure_checkout
from bootstrap.repos.source import GitSource, parse


def workspace_path(source: GitSource, paths: Paths | None = None) -> Path:
    """Where ``source`` is checked out: ``<workspace>/<repository name>``."""
    return (paths or Paths.from_env()).workspace() / source.name


def present(text: str, *, say: Callable[[str], None], where: str = "--project") -> Path:
    """``git+URL[@ref]`` -> its checkout in the workspace, cloned or brought up to date."""
    source = parse(text, where=where)
    return _ensure(source, workspace_path(source), say)


def present_profile_project(
    git_url: str, ref: str | None, path: str, say: Callable[[str], None] | None = None
) -> Path:
    """A profile's ``[project] git`` -> its checkout at the profile's project path."""
    return _ensure(parse(git_url, ref=ref, where="[project] git"), Path(path), say or _stderr)


def _ensure(source: GitSource, dest: Path, say: Callable[[str], None]) -> Path:
    got: Checkout = ensure_checkout(source, dest)
    at = f"@{source.ref}" if source.ref else ""
    words = {
        "cloned": f"cloned {source.shown}{at} into {dest}",
        "updated": f"fast-forwarded {dest} ({got.detail})",
        "unchanged": f"{dest} is up to date with {source.shown}{at}",
        "kept": f"left {dest} as it is: {got.detail}",
    }
    say(words[got.action])
    return dest


def _stderr(text: str) -> None:
    import sys

    from bootstrap.sanitize import clean_text

    sys.stderr.write(clean_text(text) + "\n")
