"""How the Debian root filesystem finds its mirror and when it gives up (fast, no build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.rootfs import (
    DEFAULT_MIRROR,
    RootfsUnavailable,
    build_tarball,
    debian_mirror,
    recipe_key,
)
from support.servers import free_port

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def test_mirror_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "other.sources.disabled").write_text(
        "Types: deb\nURIs: http://wrong.example/debian\nSuites: bookworm\n"
    )
    assert debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n"
    )
    assert debian_mirror(tmp_path) == "http://one.example/debian"


def test_mirror_of_another_release_is_still_the_debian_archive(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text("deb http://one.example/debian trixie main\n")
    assert debian_mirror(tmp_path) == "http://one.example/debian"


def test_no_sources_means_the_public_mirror(tmp_path: Path) -> None:
    assert debian_mirror(tmp_path) == DEFAULT_MIRROR == "http://deb.debian.org/debian"


def test_recipe_key_depends_on_the_architecture() -> None:
    assert recipe_key("amd64") == recipe_key("amd64")
    assert recipe_key("amd64") != recipe_key("arm64")


def test_no_mmdebstrap_is_a_reason_to_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RootfsUnavailable, match="mmdebstrap is not installed"):
        build_tarball(tmp_path / "r.tar", DEFAULT_MIRROR, tmp_path / "log")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_mirror_is_a_reason_to_skip(tmp_path: Path) -> None:
    if not shutil.which("mmdebstrap"):
        pytest.skip("mmdebstrap is not installed")
    dead = f"http://127.0.0.1:{free_port()}/debian"
    with pytest.raises(RootfsUnavailable, match="not reachable"):
        build_tarball(tmp_path / "r.tar", dead, tmp_path / "log")
    assert not (tmp_path / "r.tar").exists()
