"""A project given as a git URL: what is accepted, what is refused, what is shown."""

from __future__ import annotations

import pytest

from bootstrap.errors import EXIT_USAGE, UserError
from bootstrap.repos.source import is_git_source, parse


@pytest.mark.parametrize(
    ("text", "url", "ref", "name"),
    [
        ("git+https://example.org/team/svc.git", "https://example.org/team/svc.git", None, "svc"),
        ("git+https://example.org/team/svc.git@v1.2", "https://example.org/team/svc.git", "v1.2",
         "svc"),
        ("git+https://example.org/team/svc@main", "https://example.org/team/svc", "main", "svc"),
        ("git+ssh://git@example.org/team/api.git@feature/x", "ssh://git@example.org/team/api.git",
         "feature/x", "api"),
        ("git+git://127.0.0.1:9418/lib.git@0123abcd", "git://127.0.0.1:9418/lib.git", "0123abcd",
         "lib"),
        ("git+http://localhost:8080/x/lib.git", "http://localhost:8080/x/lib.git", None, "lib"),
        ("git+file:///srv/git/tool.git@main", "file:///srv/git/tool.git", "main", "tool"),
        ("git@git.example.com:team/svc.git", "ssh://git@git.example.com/team/svc.git", None,
         "svc"),
        ("/srv/git/tool.git", "file:///srv/git/tool.git", None, "tool"),
    ],
)  # fmt: skip
def test_accepted_forms(text: str, url: str, ref: str | None, name: str) -> None:
    assert is_git_source(text) or not text.startswith("git+")
    source = parse(text)
    assert (source.url, source.ref, source.name) == (url, ref, name)
    assert parse(source.spec()) == parse(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("git+http://example.org/team/svc.git", "not encrypted"),
        ("git+git://example.org/team/svc.git", "not encrypted"),
        ("git+ftp://example.org/svc.git", "scheme must be one of"),
        ("git+https:///svc.git", "no host"),
        ("git+https://example.org/svc.git?x=1", "query"),
        ("git+https://example.org/svc.git@a..b", "not a branch, tag or commit"),
        ("git+https://example.org/svc.git@-rf", "not a branch, tag or commit"),
        ("git+file://otherhost/srv/x.git", "path on this machine"),
        ("git+https://example.org/", "repository name"),
    ],
)
def test_refused_forms_name_the_input_and_what_is_expected(text: str, why: str) -> None:
    with pytest.raises(UserError) as caught:
        parse(text)
    err = caught.value
    assert why in str(err)
    assert err.exit_code == EXIT_USAGE
    assert err.code == "project.bad_git_source"
    assert "git+https://HOST/ORG/REPO.git" in (err.fix or "")


def test_a_token_never_reaches_a_message_or_what_is_kept() -> None:
    source = parse("git+https://x-access-token:s3cr3t@example.org/team/svc.git@main")
    assert source.url == "https://x-access-token:s3cr3t@example.org/team/svc.git"  # git needs it
    assert "s3cr3t" not in source.shown
    assert "s3cr3t" not in source.spec()
    assert "x-access-token" not in source.spec()
    with pytest.raises(UserError) as caught:
        parse("git+http://user:s3cr3t@example.org/svc.git")
    assert "s3cr3t" not in str(caught.value)


def test_an_ssh_user_is_kept_for_the_key_but_never_a_password() -> None:
    source = parse("git+ssh://git:pw@example.org/team/api.git")
    assert source.spec() == "git+ssh://git@example.org/team/api.git"
    assert source.shown == "ssh://example.org/team/api.git"


def test_a_ref_given_apart_agrees_or_is_refused() -> None:
    assert parse("https://example.org/svc.git", ref="v2").ref == "v2"
    assert parse("git+https://example.org/svc.git@v2", ref="v2").ref == "v2"
    with pytest.raises(UserError, match="two refs"):
        parse("git+https://example.org/svc.git@v1", ref="v2", where="[project] git")
