"""Packing: what goes in, what is refused before anything is downloaded."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
from cachekit import TINY, TINY_LOCK, Packed, copy_tiny, host_target

from bootstrap.cache import UvPin, import_bundle, pack, parse_target, verify
from bootstrap.cache.bundle import PYTHON_MEMBER, Manifest, pack_dir, write_bundle
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


def test_pack_refuses_a_managed_python_for_another_platform(uv_bin: Path, tmp_path: Path) -> None:
    other = "macos-arm64-cpu" if not host_target().startswith("macos-arm64") else "linux-x86_64-cpu"
    with pytest.raises(UserError, match="can only be packed on a"):
        pack(
            out=tmp_path / "b.tar",
            uv=uv_bin,
            target=other,
            project=TINY,
            lock=TINY_LOCK,
            pin=repo_pin(),
            python="3.12",
            managed_python=True,
            include_tool=False,
        )


def test_a_bundled_python_directory_lands_in_the_python_dir(packed: Packed, tmp_path: Path) -> None:
    # The plumbing of python.tar.gz (a real managed Python is only packed online, from
    # python-build-standalone, which this suite cannot reach): layout and exec bits kept.
    src = tmp_path / "pydir" / "cpython-3.12-linux-x86_64-gnu" / "bin"
    src.mkdir(parents=True)
    (src / "python3").write_text("#!/bin/sh\necho python\n")
    (src / "python3").chmod(0o755)
    (src.parent / "lib").mkdir()
    py_archive, cache_archive = tmp_path / "python.tar.gz", tmp_path / "cache.tar.gz"
    pack_dir(tmp_path / "pydir", py_archive)
    (tmp_path / "emptycache").mkdir()
    pack_dir(tmp_path / "emptycache", cache_archive)
    with tarfile.open(packed.path) as tar:
        m = Manifest.from_json(tar.extractfile("manifest.json").read(), "t")  # type: ignore[union-attr]
        uv_file = tmp_path / m.uv_artifact.split("/", 1)[1]
        uv_file.write_bytes(tar.extractfile(m.uv_artifact).read())  # type: ignore[union-attr]
    bundle = tmp_path / "b.tar"
    write_bundle(
        bundle,
        target=m.target,
        uv_version=m.uv_version,
        uv_artifact=uv_file,
        created_at=m.created_at,
        profile="p",
        cache_archive=cache_archive,
        python_archive=py_archive,
    )
    assert PYTHON_MEMBER in verify(bundle, pin=packed.pin).manifest.members
    with pytest.raises(UserError, match="no install directory was given"):
        import_bundle(bundle, tmp_path / "c", pin=packed.pin)
    res = import_bundle(bundle, tmp_path / "c", python_install_dir=tmp_path / "py", pin=packed.pin)
    exe = tmp_path / "py" / "cpython-3.12-linux-x86_64-gnu" / "bin" / "python3"
    assert res.python_install_dir == tmp_path / "py"
    assert exe.read_text().endswith("echo python\n") and exe.stat().st_mode & 0o111


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
    m = verify(res.path, expected_target="macos-arm64-cpu", pin=pin).manifest
    assert m.uv_artifact == f"uv/uv-{pin.version}-py3-none-macosx_11_0_arm64.whl"
    with pytest.raises(UserError, match="bundle is for macos-arm64-cpu"):
        verify(res.path, expected_target=host_target(), pin=pin)


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
    assert verify(res.path, expected_target=host_target(), pin=pin).manifest.profile == "tiny"
    cache = tmp_path / "fresh-cache"
    import_bundle(res.path, cache, expected_target=host_target(), pin=pin)
    project = copy_tiny(tmp_path / "p")
    env = {"UV_CACHE_DIR": str(cache), "UV_PYTHON_DOWNLOADS": "never"}
    import os

    env = dict(os.environ, **env)
    done = sync(uv_bin, project, TINY_LOCK, env=env)
    assert done.installed == 3 and not done.network_used
    assert is_synced(uv_bin, project, TINY_LOCK, env=env)
    assert hashlib.sha256(res.path.read_bytes()).hexdigest() == digest  # import is read-only


@pytest.mark.network
def test_online_sync_records_that_it_used_the_network(uv_bin: Path, tmp_path: Path) -> None:
    import os

    project = copy_tiny(tmp_path / "p")
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "empty-cache"))
    res = sync(uv_bin, project, LockChoice("uv.lock", "uv", ("net",)), online=True, env=env)
    assert res.network_used and not res.cache_hit and res.installed == 2
    assert "--offline" not in res.command


def test_carrying_a_managed_python_needs_its_version(uv_bin: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs its version"):
        pack(
            out=tmp_path / "b.tar",
            uv=uv_bin,
            target=host_target(),
            project=TINY,
            lock=TINY_LOCK,
            pin=repo_pin(),
            managed_python=True,
            include_tool=False,
        )
