"""A project given as a git URL: ``git+https://host/org/repo.git@ref``.

The form is pip's (PEP 440 direct references): the ``git+`` prefix, a URL, and an
optional ``@ref`` (a branch, a tag or a commit) at the end of its path. Accepted
transports: ``https`` and ``ssh`` anywhere; ``http``, ``git`` and ``file`` only where they
cannot leak anything (``http``/``git`` to a loopback address, ``file`` on this machine).
The URL is what the user's git sees, credentials helpers and ssh config included;
:attr:`GitSource.shown` is what a report or a state file may hold (no userinfo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bootstrap.errors import UserError

PREFIX = "git+"
_SCHEMES = ("https", "ssh", "http", "git", "file")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>[^\s]+)$")


@dataclass(frozen=True)
class GitSource:
    url: str  # what git clones from (the ``git+`` prefix and the ``@ref`` removed)
    ref: str | None  # a branch, a tag or a commit; None: the remote's default branch

    @property
    def name(self) -> str:
        """The checkout's directory name: the repository's last path part, no ``.git``."""
        path = urlsplit(self.url).path.rstrip("/")
        last = path.rpartition("/")[2]
        return last[:-4] if last.endswith(".git") else last

    @property
    def shown(self) -> str:
        """The URL without its userinfo: safe for reports, state and logs."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))

    def spec(self) -> str:
        """The ``git+URL@ref`` form a manifest or a swap file holds: no password or token
        (an ssh URL keeps its user name, which says which account the key is for)."""
        parts = urlsplit(self.url)
        url = self.shown
        if parts.scheme == "ssh" and parts.username:
            url = url.replace("ssh://", f"ssh://{parts.username}@", 1)
        return PREFIX + url + (f"@{self.ref}" if self.ref else "")


def is_git_source(text: str) -> bool:
    return text.startswith(PREFIX)


def parse(text: str, *, ref: str | None = None, where: str = "--project") -> GitSource:
    """``git+URL[@ref]`` (or a plain URL with ``ref`` given apart, as a profile's
    ``[project] git`` / ``ref`` keys are) -> :class:`GitSource`. Bad input: exit 2,
    naming ``where`` and what was expected."""
    from bootstrap.net import is_loopback_host

    raw = text[len(PREFIX) :] if text.startswith(PREFIX) else text
    scp = _SCP.match(raw)
    if scp:  # git's scp-like form, as `git remote get-url` often answers: user@host:path
        raw = f"ssh://{scp['user']}@{scp['host']}/{scp['path']}"
    elif raw.startswith("/"):  # a repository on this machine, by path
        raw = "file://" + raw

    def bad(why: str) -> UserError:
        return UserError(
            f"{where}: {_shown(raw)!r} is not a usable git source: {why}",
            fix="give git+https://HOST/ORG/REPO.git[@REF] or git+ssh://git@HOST/ORG/REPO.git[@REF]",
            code="project.bad_git_source",
        )

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise bad(str(exc)) from None
    if parts.scheme not in _SCHEMES:
        raise bad(f"the scheme must be one of {', '.join(_SCHEMES)}")
    if parts.query or parts.fragment:
        raise bad("a query or a fragment is not part of a git source")
    path = parts.path
    if "@" in path:  # pip's rule: the last "@" of the path starts the ref
        path, _, given = path.rpartition("@")
        if ref is not None and ref != given:
            raise bad(f"two refs given ({given!r} and {ref!r})")
        ref = given
    if ref is not None and (not _REF.match(ref) or ".." in ref or ref.endswith((".lock", "/"))):
        raise bad(f"{ref!r} is not a branch, tag or commit name")
    host = parts.hostname or ""
    if parts.scheme == "file":
        if host not in ("", "localhost"):
            raise bad("a file URL names a path on this machine")
    elif not host:
        raise bad("it has no host")
    elif parts.scheme in ("http", "git") and not is_loopback_host(host):
        raise bad(f"{parts.scheme}:// is not encrypted; use https:// or ssh://")
    source = GitSource(urlunsplit((parts.scheme, parts.netloc, path, "", "")), ref)
    if not _NAME.match(source.name):
        raise bad("its path does not end in a repository name")
    return source


def _shown(raw: str) -> str:
    """``raw`` without userinfo, for an error message (the URL may carry a token)."""
    from bootstrap.redact import redact_url

    return redact_url(raw)
