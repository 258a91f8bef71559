"""Verify and import (format 2): every way a bundle can be wrong is refused, with the
reason, before anything from it is used; hostile bundles are made from a good one."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from support import REPO
from support.bundles import TINY, Packed
from support.interrupt import kill_when

from bootstrap.cache import Expect, UvPin, import_bundle, verify
from bootstrap.cache.bundle import MANIFEST, SUMS, Manifest, sums_text
from bootstrap.errors import IntegrityError, UserError

pytestmark = pytest.mark.filterwarnings("error")

LOCKS = (TINY / "uv.lock", REPO / "uv.lock")


def expect(packed: Packed, **kw: object) -> Expect:
    return Expect(locks=LOCKS, pin=packed.pin, **kw)  # type: ignore[arg-type]


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        out = {}
        for info in tar.getmembers():
            fh = tar.extractfile(info)
            assert fh is not None
            out[info.name] = fh.read()
        return out


def write_raw(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_info(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def resealed(
    dest: Path,
    parts: dict[str, bytes],
    extra: list[tuple[tarfile.TarInfo, bytes | None]] = (),  # type: ignore[assignment]
    **changes: object,
) -> Path:
    """A bundle rebuilt from ``parts`` with a manifest and sums that match them: what
    anyone who can write the bundle can do. Only the repository can catch it."""
    parts = dict(parts)
    parts.pop(SUMS, None)
    body = json.loads(parts.pop(MANIFEST))
    body["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in parts.items()}
    body["unpacked_size"] = sum(len(d) for d in parts.values())
    body.update(changes)
    mbytes = (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
    sums = dict(body["members"], **{MANIFEST: hashlib.sha256(mbytes).hexdigest()})
    entries = [file_info(MANIFEST, mbytes), file_info(SUMS, sums_text(sums))]
    entries += [file_info(n, parts[n]) for n in sorted(parts)]
    return write_raw(dest, entries + list(extra))


MARKER_CODE = "import pathlib; pathlib.Path({path!r}).write_text('injected')\n"


def injected_wheel(wheel: bytes, module: str, marker: Path) -> bytes:
    """The same wheel with one line added to ``module`` (and its RECORD left alone)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == module:
                data = MARKER_CODE.format(path=str(marker)).encode() + data
            dst.writestr(item, data)
    return out.getvalue()


def tampered(packed: Packed, tmp_path: Path, wheel_prefix: str, module: str) -> tuple[Path, Path]:
    raw = members(packed.path)
    (name,) = [n for n in raw if n.startswith(f"wheels/{wheel_prefix}-")]
    marker = tmp_path / "INJECTED"
    raw[name] = injected_wheel(raw[name], module, marker)
    return resealed(tmp_path / "tampered.tar", raw), marker


# -- the layout -----------------------------------------------------------------------------


def test_a_packed_bundle_verifies_and_has_the_agreed_layout(packed: Packed) -> None:
    v = verify(packed.path, expect(packed, target=packed.target))
    m = v.manifest
    assert m.format == 2
    assert m.target == packed.target
    assert m.pythons == (f"{sys.version_info[0]}.{sys.version_info[1]}",)
    assert m.uv_version == packed.pin.version
    with tarfile.open(packed.path) as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert all(i.isreg() for i in infos)
    # Manifest and sums first, then the rest sorted: install.sh reads it with tar too.
    assert names[:2] == [MANIFEST, SUMS]
    assert names[2:] == sorted(names[2:])
    assert {n.split("/")[0] for n in names[2:]} == {"uv", "wheels"}
    raw = members(packed.path)
    assert m.unpacked_size == sum(len(raw[n]) for n in names[2:])
    # The project's closure for its extra and group, the tool's runtime closure only.
    project = {n.split("-")[0] for n in m.parts["project"]}
    assert project == {"six", "idna", "iniconfig"}
    tool = {n.split("-")[0] for n in m.parts["tool"]}
    assert {"click", "rich", "httpx"} <= tool
    assert not tool & {"mypy", "ruff", "pytest", "tree_sitter"}  # never the dev group
    # The bundled uv is byte-identical to the pinned artifact.
    file_name = m.uv_artifact.split("/", 1)[1]
    assert hashlib.sha256(raw[m.uv_artifact]).hexdigest() == packed.pin.sha256[file_name]


# -- trust: the repository, not the bundle -------------------------------------------------


def test_a_changed_package_with_resealed_sums_is_refused_and_never_runs(
    packed: Packed, tmp_path: Path
) -> None:
    bad, marker = tampered(packed, tmp_path, "six", "six.py")
    wheelhouse = tmp_path / "wheels"
    with pytest.raises(IntegrityError, match=r"six-1\.17\.0-py2\.py3-none-any\.whl does not match"):
        verify(bad, expect(packed))
    with pytest.raises(IntegrityError, match="the lock says") as err:
        import_bundle(bad, wheelhouse, expect(packed))
    assert err.value.code == "bundle.lock_hash"
    assert not any(p.suffix == ".whl" for p in wheelhouse.rglob("*"))
    assert not marker.exists()


def test_a_file_no_lock_names_is_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    raw["wheels/evil-1.0-py3-none-any.whl"] = b"PK not really"
    bad = resealed(tmp_path / "extra.tar", raw)
    with pytest.raises(IntegrityError, match=r"evil-1\.0-py3-none-any\.whl is not in the lock"):
        verify(bad, expect(packed))
    # The project's lock is part of the trust: without it, its files are unknown.
    with pytest.raises(IntegrityError, match=r"idna-3\.10-py3-none-any\.whl is not in the lock"):
        verify(packed.path, Expect(locks=[REPO / "uv.lock"], pin=packed.pin))


def test_uv_artifact_is_checked_against_the_pin_not_the_manifest(
    packed: Packed, tmp_path: Path
) -> None:
    raw = members(packed.path)
    m = Manifest.from_json(raw[MANIFEST], "test")
    raw[m.uv_artifact] = raw[m.uv_artifact][:-10] + b"0123456789"
    bad = resealed(tmp_path / "t.tar", raw)
    verify(bad, Expect(locks=LOCKS))  # its own sums agree...
    with pytest.raises(IntegrityError, match="does not match the pinned checksum"):
        verify(bad, expect(packed))  # ...the pin does not


def test_other_uv_version_is_refused(packed: Packed) -> None:
    other = UvPin("0.13.8", dict(packed.pin.sha256))
    with pytest.raises(UserError, match=r"carries uv 0\.13\.9, the pinned uv is 0\.13\.8"):
        verify(packed.path, Expect(locks=LOCKS, pin=other))


def test_wrong_target_is_refused_with_both_keys(packed: Packed) -> None:
    with pytest.raises(UserError) as err:
        verify(packed.path, expect(packed, target="linux-x86_64-cu126"))
    assert str(err.value) == f"bundle is for {packed.target}, this plan needs linux-x86_64-cu126"
    assert err.value.fix and "--target linux-x86_64-cu126" in err.value.fix


def test_a_python_the_wheels_do_not_serve_is_refused_with_the_pack_command(
    packed: Packed, tmp_path: Path
) -> None:
    with pytest.raises(UserError) as err:
        import_bundle(packed.path, tmp_path / "w", expect(packed, python="3.99"))
    have = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"serve Python {have}, this environment uses Python 3.99" in str(err.value)
    assert err.value.fix and f"--python {have},3.99" in err.value.fix
    assert err.value.code == "bundle.python"
    assert not (tmp_path / "w").exists() or not any((tmp_path / "w").glob("*.whl"))


def test_format_1_is_refused_with_a_clear_message(packed: Packed, tmp_path: Path) -> None:
    bad = resealed(tmp_path / "v1.tar", members(packed.path), format=1)
    with pytest.raises(UserError, match="bundle format 1, this tool reads format 2") as err:
        verify(bad, expect(packed))
    assert err.value.fix and "pack the bundle again" in err.value.fix


# -- accidents -------------------------------------------------------------------------------


def test_corrupt_member_is_refused_naming_it(packed: Packed, tmp_path: Path) -> None:
    data = bytearray(packed.path.read_bytes())
    with tarfile.open(packed.path) as tar:
        info = next(i for i in tar.getmembers() if i.name.startswith("wheels/six-"))
    data[info.offset_data + info.size // 2] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"six-1\.17\.0-py2\.py3-none-any\.whl"):
        verify(bad, expect(packed))


def test_truncated_bundle_is_refused(packed: Packed, tmp_path: Path) -> None:
    bad = tmp_path / "cut.tar"
    with packed.path.open("rb") as src:
        bad.write_bytes(src.read(packed.path.stat().st_size // 2))
    with pytest.raises(IntegrityError, match="truncated"):
        verify(bad, expect(packed))


def test_not_a_tar_or_a_compressed_one_is_refused(packed: Packed, tmp_path: Path) -> None:
    bad = tmp_path / "x.tar"
    bad.write_bytes(b"hello, not a tar\n" * 100)
    with pytest.raises(IntegrityError, match="not a cache bundle"):
        verify(bad, expect(packed))
    gz = tmp_path / "c.tar"
    with tarfile.open(gz, "w:gz") as tar:
        tar.add(packed.path, arcname="manifest.json")
    with pytest.raises(IntegrityError, match="expected an uncompressed tar"):
        verify(gz, expect(packed))


def test_missing_and_extra_members_are_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    six = next(n for n in raw if n.startswith("wheels/six-"))
    kept = {n: d for n, d in raw.items() if n != six}
    bad = write_raw(tmp_path / "m.tar", [file_info(n, d) for n, d in kept.items()])
    with pytest.raises(IntegrityError, match="is listed but missing"):
        verify(bad, expect(packed))
    extra = [file_info(n, d) for n, d in raw.items()] + [file_info("uv/extra", b"x")]
    with pytest.raises(IntegrityError, match=r"'uv/extra' is not listed"):
        verify(write_raw(tmp_path / "e.tar", extra), expect(packed))


# -- safe extraction ----------------------------------------------------------------------


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _special(name: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


HOSTILE = {
    # The chain that walked out of uv's cache in format 1: each link looks harmless alone.
    "symlink-chain": [
        (_link("wheels/a", "."), None),
        (_link("wheels/c", "a/../.."), None),
        file_info("wheels/c/escaped", b"payload"),
    ],
    "hardlink": [(_link("wheels/h", "/etc/passwd", tarfile.LNKTYPE), None)],
    "symlink-abs": [(_link("wheels/s", "/root/.ssh"), None)],
    "dotdot": [file_info("../outside", b"payload")],
    "absolute": [file_info("/tmp/abs-outside", b"payload")],
    "nested-dotdot": [file_info("wheels/../../outside", b"payload")],
    "device": [(_special("wheels/dev", tarfile.CHRTYPE), None)],
    "fifo": [(_special("wheels/fifo", tarfile.FIFOTYPE), None)],
    "directory": [(_special("wheels/sub", tarfile.DIRTYPE), None)],
    "other-name": [file_info("cache.tar.gz", b"payload")],
}


def hostile(packed: Packed, tmp_path: Path, case: str) -> Path:
    return resealed(tmp_path / f"{case}.tar", members(packed.path), HOSTILE[case])


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_members_are_refused_and_nothing_lands(
    packed: Packed, tmp_path: Path, case: str
) -> None:
    bad = hostile(packed, tmp_path, case)
    wheelhouse = tmp_path / "home" / "wheels"
    with pytest.raises(IntegrityError) as err:
        import_bundle(bad, wheelhouse, expect(packed))
    assert err.value.code in ("bundle.unsafe_member", "bundle.unsafe_path")
    assert str(bad) in str(err.value)
    assert not any(p.is_file() for p in wheelhouse.rglob("*"))
    assert not (tmp_path / "outside").exists() and not Path("/tmp/abs-outside").exists()
    with pytest.raises(IntegrityError):
        verify(bad, expect(packed))


def test_size_cap_refuses_before_writing_past_it(
    packed: Packed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_BUNDLE_MAX_BYTES", str(1 << 20))
    with pytest.raises(IntegrityError, match="unpacks to more than 1048576 bytes") as err:
        import_bundle(packed.path, tmp_path / "w", expect(packed))
    assert err.value.code == "bundle.too_large"


def test_files_beyond_the_manifests_unpacked_size_are_refused_before_they_are_written(
    packed: Packed, tmp_path: Path
) -> None:
    """The manifest records what the files unpack to; a bundle whose files add up to more
    is refused at the member that passes it, before that member is read."""
    bad = resealed(tmp_path / "small.tar", members(packed.path), unpacked_size=100)
    wheelhouse = tmp_path / "wheels"
    with pytest.raises(IntegrityError, match="more than the 100 bytes") as err:
        import_bundle(bad, wheelhouse, expect(packed))
    assert err.value.code == "bundle.too_large"
    assert not any(p.is_file() for p in wheelhouse.rglob("*"))
    with pytest.raises(IntegrityError, match="more than the 100 bytes"):
        verify(bad, expect(packed))


# -- import: idempotent, converges after kill -9 ---------------------------------------------


def test_import_then_again_is_skipped(packed: Packed, tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheels"
    first = import_bundle(packed.path, wheelhouse, expect(packed))
    assert not first.skipped and first.files == len(first.bundle.wheels) > 3
    for name in first.bundle.wheels:
        assert (wheelhouse / name).is_file()
    again = import_bundle(packed.path, wheelhouse, expect(packed))
    assert again.skipped and again.files == 0
    assert again.duration < first.duration
    # A file removed from the wheelhouse undoes the skip.
    (wheelhouse / first.bundle.wheels[0]).unlink()
    third = import_bundle(packed.path, wheelhouse, expect(packed))
    assert not third.skipped and third.files == 1


IMPORT_SCRIPT = """
import sys
from pathlib import Path
from bootstrap.cache import Expect, import_bundle
from bootstrap.cache.pin import repo_pin
locks = [Path(p) for p in sys.argv[3:]]
import_bundle(Path(sys.argv[1]), Path(sys.argv[2]), Expect(locks=locks, pin=repo_pin()))
"""


def test_kill_9_during_import_then_rerun_converges(packed: Packed, tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheels"
    argv = [sys.executable, "-c", IMPORT_SCRIPT, str(packed.path), str(wheelhouse)]
    argv += [str(p) for p in LOCKS]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    staging = wheelhouse / ".tmp"
    killed = kill_when(
        argv, env=env, ready=lambda: staging.is_dir() and any(staging.rglob("*.whl")), timeout=30
    )
    assert killed, "the import always finished before it could be killed"
    assert any(staging.iterdir())  # the dead import's staging is still there...
    result = import_bundle(packed.path, wheelhouse, expect(packed))
    assert not result.skipped
    assert not any(staging.iterdir())  # ...and the next import reclaimed it
    assert all((wheelhouse / n).is_file() for n in result.bundle.wheels)


def test_a_wheel_name_longer_than_ustar_allows_is_written_and_read_by_every_reader(
    tmp_path: Path,
) -> None:
    """Wheel names with several platform tags pass ustar's 100 characters (pydantic_core,
    charset_normalizer); the bundle writes them with a pax record, which Python, GNU tar
    and busybox tar (stage 0's readers) all list under the full name."""
    from bootstrap.cache.bundle import iter_members, write_bundle

    name = (
        "charset_normalizer-3.4.4-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64"
        ".manylinux_2_28_x86_64.whl"
    )
    assert len(f"wheels/{name}") > 100
    (tmp_path / name).write_bytes(b"wheel bytes")
    (tmp_path / "uv.whl").write_bytes(b"uv bytes")
    manifest = Manifest("linux-x86_64-cpu", "0.0.0", "uv/uv.whl", "now", "p")
    out = tmp_path / "long.tar"
    write_bundle(
        out, manifest, {f"wheels/{name}": tmp_path / name, "uv/uv.whl": tmp_path / "uv.whl"}
    )
    with out.open("rb") as fh:
        assert fh.read(262)[257:262] == b"ustar"  # stage 0's first check still holds
    read = {i.name: r.read() for i, r in iter_members(out, tmp_path / "dest")}
    assert read[f"wheels/{name}"] == b"wheel bytes"
    for tar in (["tar"], ["busybox", "tar"]):
        if shutil.which(tar[0]) is None:
            continue
        listed = subprocess.run([*tar, "-tf", str(out)], capture_output=True, text=True, check=True)
        assert f"wheels/{name}" in listed.stdout.splitlines(), listed.stdout
