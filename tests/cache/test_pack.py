"""Packing: what goes in, what is refused before anything is downloaded."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from support.bundles import TINY, TINY_LOCK, copy_tiny, host_target
from support.cli import invoke

from bootstrap.cache import Expect, UvPin, import_bundle, parse_target, verify
from bootstrap.cache.pack import pack
from bootstrap.cache.pin import repo_pin
from bootstrap.cache.targets import uv_artifact_for
from bootstrap.errors import IntegrityError, UserError
from bootstrap.plan.model import LockChoice
from bootstrap.sync import is_synced, sync


def test_target_keys_are_checked() -> None:
    assert parse_target("linux-x86_64-cu126").uv_platform.triple == "x86_64-unknown-linux-gnu"
    with pytest.raises(UserError, match="'linux-amd64-cpu' is not '<os>-<arch>-<accel>'"):
        parse_target("linux-amd64-cpu")


@pytest.mark.parametrize(
    ("target", "wheel"),
    [
        ("linux-x86_64-cpu", "manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        ("linux-arm64-cu126", "manylinux_2_28_aarch64.whl"),
        ("macos-arm64-cpu", "macosx_11_0_arm64.whl"),
        ("macos-x86_64-cpu", "macosx_10_12_x86_64.whl"),
        ("windows-x86_64-cpu", "win_amd64.whl"),
        ("windows-arm64-cpu", "win_arm64.whl"),
    ],
)
def test_the_pinned_uv_artifact_for_each_target(target: str, wheel: str) -> None:
    pin = repo_pin()
    name = uv_artifact_for(parse_target(target), pin.version, list(pin.sha256))
    assert name == f"uv-{pin.version}-py3-none-{wheel}"


def test_pack_refuses_a_uv_other_than_the_pinned_one(uv_bin: Path, tmp_path: Path) -> None:
    pin = UvPin("0.0.1", dict(repo_pin().sha256))
    with pytest.raises(UserError, match=r"packing needs the pinned uv 0\.0\.1"):
        pack(
            out=tmp_path / "b.tar",
            uv=uv_bin,
            target=host_target(),
            project=TINY,
            lock=TINY_LOCK,
            pin=pin,
            include_tool=False,
        )
    assert not (tmp_path / "b.tar").exists()


def test_pack_refuses_a_uv_artifact_that_is_not_the_pinned_one(
    uv_bin: Path, tmp_path: Path
) -> None:
    pin = repo_pin()
    name = uv_artifact_for(parse_target(host_target()), pin.version, list(pin.sha256))
    assert name
    fake = tmp_path / name
    fake.write_bytes(b"not uv")
    with pytest.raises(IntegrityError, match="does not match the pinned"):
        pack(
            out=tmp_path / "b.tar",
            uv=uv_bin,
            target=host_target(),
            project=TINY,
            lock=TINY_LOCK,
            pin=pin,
            uv_artifact=fake,
            include_tool=False,
        )
    assert not list(tmp_path.glob("*.tar")) and not list(tmp_path.glob(".bootstrap-pack-*"))


@pytest.mark.network
def test_pack_for_another_platform(uv_bin: Path, tmp_path: Path) -> None:
    """Cross-target: the macOS arm64 uv wheel and the wheels `--python-platform` picks."""
    if host_target().startswith("macos-arm64"):
        pytest.skip("this is the other platform")
    pin = repo_pin()
    res = pack(
        out=tmp_path / "mac.tar",
        uv=uv_bin,
        target="macos-arm64-cpu",
        project=TINY,
        lock=TINY_LOCK,
        pin=pin,
        profile="tiny",
        include_tool=False,
    )
    assert res.cross_platform
    locks = [TINY / "uv.lock"]
    m = verify(res.path, Expect(locks=locks, pin=pin, target="macos-arm64-cpu")).manifest
    assert m.uv_artifact == f"uv/uv-{pin.version}-py3-none-macosx_11_0_arm64.whl"
    assert m.parts["tool"] == []
    with pytest.raises(UserError, match="bundle is for macos-arm64-cpu"):
        verify(res.path, Expect(locks=locks, pin=pin, target=host_target()))


@pytest.mark.network
def test_pack_a_fresh_bundle_then_sync_from_it_alone(uv_bin: Path, tmp_path: Path) -> None:
    """Pack the tiny project online (without the tool's lock: the session bundle has it),
    then a fresh, empty cache plus the bundle is all the offline sync needs."""
    pin = repo_pin()
    res = pack(
        out=tmp_path / "tiny.tar",
        uv=uv_bin,
        target=host_target(),
        project=TINY,
        lock=TINY_LOCK,
        pin=pin,
        profile="tiny",
        include_tool=False,
    )
    digest = hashlib.sha256(res.path.read_bytes()).hexdigest()
    expect = Expect(locks=[TINY / "uv.lock"], pin=pin, target=host_target())
    assert verify(res.path, expect).manifest.profile == "tiny"
    assert {p.name for p in res.parts} == {"tool", "project", "uv"}
    wheelhouse = tmp_path / "wheels"
    import_bundle(res.path, wheelhouse, expect)
    project = copy_tiny(tmp_path / "p")
    env = {"UV_CACHE_DIR": str(tmp_path / "fresh-cache"), "UV_PYTHON_DOWNLOADS": "never"}
    env = dict(os.environ, **env)
    done = sync(uv_bin, project, TINY_LOCK, env=env, find_links=wheelhouse)
    assert done.installed == 3 and not done.network_used
    assert "--require-hashes" in done.command and "--no-index" in done.command
    assert is_synced(uv_bin, project, TINY_LOCK, env=env)
    assert hashlib.sha256(res.path.read_bytes()).hexdigest() == digest  # import is read-only


@pytest.mark.network
def test_online_sync_records_that_it_used_the_network(uv_bin: Path, tmp_path: Path) -> None:
    project = copy_tiny(tmp_path / "p")
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "empty-cache"))
    res = sync(uv_bin, project, LockChoice("uv.lock", "uv", ("net",)), online=True, env=env)
    assert res.network_used and not res.cache_hit and res.installed == 2
    assert "--offline" not in res.command


@pytest.mark.network
def test_pack_serves_every_python_asked_for(uv_bin: Path, tmp_path: Path) -> None:
    """`--python 3.11,3.12`: the manifest names both; wheels tagged per CPython version
    come once per version (uv finds each Python on this machine, or downloads it)."""
    import shutil

    if not shutil.which("python3.11"):
        pytest.skip("needs python3.11")
    res = pack(
        out=tmp_path / "two.tar",
        uv=uv_bin,
        target=host_target(),
        project=TINY,
        lock=TINY_LOCK,
        pin=repo_pin(),
        include_tool=False,
        pythons=("3.11",),
    )
    assert res.manifest.pythons == ("3.11",)


def test_docs_agree_with_pack_help() -> None:
    """docs/cache.md names every option `cache pack --help` has, and no other."""
    import re

    help_text = invoke("cache", "pack", "--help").output
    options = set(re.findall(r"(?m)^\s+(--[a-z-]+)", help_text)) - {"--help"}
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cache.md").read_text()
    para = docs[docs.index("`pack` options") : docs.index("`verify` and `import` check")]
    documented = set(re.findall(r"`(--[a-z-]+)", para))
    assert options == documented
    assert "format 2" in help_text
