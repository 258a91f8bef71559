"""Verify and import: every way a bundle can be wrong is refused, with the reason."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cachekit import Packed

from bootstrap.cache import UvPin, import_bundle, verify
from bootstrap.cache.bundle import (
    CACHE_MEMBER,
    MANIFEST,
    SUMS,
    Manifest,
    pack_dir,
    sums_text,
    write_bundle,
)
from bootstrap.errors import IntegrityError, UserError

pytestmark = pytest.mark.filterwarnings("error")


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        out = {}
        for info in tar.getmembers():
            fh = tar.extractfile(info)
            assert fh is not None
            out[info.name] = fh.read()
        return out


def write_raw(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_info(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def resealed(dest: Path, parts: dict[str, bytes], manifest: Manifest | None = None) -> Path:
    """A bundle rebuilt from ``parts`` with a manifest and sums that match them (what
    someone who can write the bundle could do): only the pin can catch a bad uv then."""
    parts = dict(parts)
    parts.pop(SUMS, None)
    old = Manifest.from_json(parts.pop(MANIFEST), "test")
    m = manifest or old
    digests = {n: hashlib.sha256(d).hexdigest() for n, d in parts.items()}
    m = Manifest(m.target, m.uv_version, m.uv_artifact, m.created_at, m.profile, digests)
    mbytes = m.to_json()
    sums = dict(digests, **{MANIFEST: hashlib.sha256(mbytes).hexdigest()})
    entries = [file_info(MANIFEST, mbytes), file_info(SUMS, sums_text(sums))]
    entries += [file_info(n, parts[n]) for n in sorted(parts)]
    return write_raw(dest, entries)


def test_a_packed_bundle_verifies_and_has_the_agreed_layout(packed: Packed) -> None:
    v = verify(packed.path, expected_target=packed.target, pin=packed.pin)
    m = v.manifest
    assert m.format == 1
    assert m.target == packed.target
    assert m.uv_version == packed.pin.version
    assert m.uv_artifact.startswith("uv/uv-") and m.uv_artifact in m.members
    with tarfile.open(packed.path) as tar:
        names = tar.getnames()
    # Manifest and sums first, then the rest sorted: install.sh reads it with tar too.
    assert names[:2] == [MANIFEST, SUMS]
    assert names[2:] == sorted(names[2:])
    assert set(names) == {MANIFEST, SUMS, CACHE_MEMBER, m.uv_artifact}
    raw = members(packed.path)
    # Pretty, sorted JSON with flat keys; the sums cover every member but themselves.
    text = raw[MANIFEST].decode()
    assert text.startswith('{\n  "created_at"')
    lines = raw[SUMS].decode().splitlines()
    sums = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(sums) == set(names) - {SUMS}
    for name, digest in sums.items():
        assert hashlib.sha256(raw[name]).hexdigest() == digest
    # The bundled uv is byte-identical to the pinned artifact.
    file_name = m.uv_artifact.split("/", 1)[1]
    assert hashlib.sha256(raw[m.uv_artifact]).hexdigest() == packed.pin.sha256[file_name]


def test_corrupt_member_is_refused_naming_it(packed: Packed, tmp_path: Path) -> None:
    data = bytearray(packed.path.read_bytes())
    with tarfile.open(packed.path) as tar:
        info = tar.getmember(CACHE_MEMBER)
    data[info.offset_data + info.size // 2] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"checksum mismatch for cache\.tar\.gz"):
        verify(bad, pin=packed.pin)
    cache = tmp_path / "uv-cache"
    with pytest.raises(IntegrityError):
        import_bundle(bad, cache, pin=packed.pin)
    assert not cache.exists()  # verified before anything is written


def test_truncated_bundle_is_refused(packed: Packed, tmp_path: Path) -> None:
    bad = tmp_path / "cut.tar"
    with packed.path.open("rb") as src:
        bad.write_bytes(src.read(packed.path.stat().st_size // 2))
    with pytest.raises(IntegrityError, match="truncated"):
        verify(bad, pin=packed.pin)


def test_not_a_tar_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.tar"
    bad.write_bytes(b"hello, not a tar\n" * 100)
    with pytest.raises(IntegrityError, match="not a cache bundle"):
        verify(bad)


def test_missing_member_is_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    del raw[CACHE_MEMBER]
    bad = write_raw(tmp_path / "m.tar", [file_info(n, d) for n, d in raw.items()])
    with pytest.raises(IntegrityError, match=r"'cache\.tar\.gz' is listed but missing"):
        verify(bad, pin=packed.pin)


def test_extra_unlisted_member_is_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    entries = [file_info(n, d) for n, d in raw.items()] + [file_info("extra.sh", b"echo hi")]
    bad = write_raw(tmp_path / "e.tar", entries)
    with pytest.raises(IntegrityError, match=r"'extra\.sh' is not listed"):
        verify(bad, pin=packed.pin)


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "uv/../../evil"])
def test_unsafe_member_paths_are_refused(packed: Packed, tmp_path: Path, name: str) -> None:
    raw = members(packed.path)
    entries = [file_info(name, b"x"), *(file_info(n, d) for n, d in raw.items())]
    bad = write_raw(tmp_path / "u.tar", entries)
    with pytest.raises(IntegrityError, match="unsafe member path"):
        verify(bad, pin=packed.pin)


def test_link_members_are_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    link = tarfile.TarInfo("uv/uv")
    link.type = tarfile.SYMTYPE
    link.linkname = "/usr/bin/uv"
    entries = [*(file_info(n, d) for n, d in raw.items()), (link, None)]
    bad = write_raw(tmp_path / "l.tar", entries)
    with pytest.raises(IntegrityError, match="symlink to '/usr/bin/uv'"):
        verify(bad, pin=packed.pin)


def test_wrong_target_is_refused_with_both_keys(packed: Packed) -> None:
    with pytest.raises(UserError) as err:
        verify(packed.path, expected_target="linux-x86_64-cu126", pin=packed.pin)
    assert str(err.value) == f"bundle is for {packed.target}, this plan needs linux-x86_64-cu126"
    assert err.value.fix and "--target linux-x86_64-cu126" in err.value.fix


def test_other_uv_version_is_refused(packed: Packed) -> None:
    other = UvPin("0.13.8", dict(packed.pin.sha256))
    with pytest.raises(UserError, match=r"carries uv 0\.13\.9, the pinned uv is 0\.13\.8"):
        verify(packed.path, pin=other)


def test_uv_artifact_is_checked_against_the_pin_not_the_manifest(
    packed: Packed, tmp_path: Path
) -> None:
    raw = members(packed.path)
    m = Manifest.from_json(raw[MANIFEST], "test")
    raw[m.uv_artifact] = raw[m.uv_artifact][:-10] + b"0123456789"  # a tampered uv
    bad = resealed(tmp_path / "t.tar", raw)
    verify(bad)  # its own sums agree...
    with pytest.raises(IntegrityError, match="does not match the pinned checksum"):
        verify(bad, pin=packed.pin)  # ...the pin does not


def test_unknown_format_is_refused(packed: Packed, tmp_path: Path) -> None:
    raw = members(packed.path)
    body = raw[MANIFEST].replace(b'"format": 1', b'"format": 2')
    raw[MANIFEST] = body
    digests = {n: hashlib.sha256(d).hexdigest() for n, d in raw.items() if n != SUMS}
    raw[SUMS] = sums_text(digests)
    bad = write_raw(tmp_path / "f.tar", [file_info(n, d) for n, d in raw.items()])
    with pytest.raises(UserError, match="bundle format 2, this tool reads format 1"):
        verify(bad)


def _inner_bundle(tmp_path: Path, packed: Packed, inner: list[tarfile.TarInfo]) -> Path:
    archive = tmp_path / "inner.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for info in inner:
            data = b"payload" if info.isfile() else None
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = members(packed.path)
    m = Manifest.from_json(raw[MANIFEST], "test")
    uv_file = tmp_path / m.uv_artifact.split("/", 1)[1]
    uv_file.write_bytes(raw[m.uv_artifact])
    out = tmp_path / "inner-bundle.tar"
    write_bundle(
        out,
        target=m.target,
        uv_version=m.uv_version,
        uv_artifact=uv_file,
        created_at=m.created_at,
        profile="test",
        cache_archive=archive,
    )
    return out


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        ([tarfile.TarInfo("../outside")], "unsafe path '../outside'"),
        ([tarfile.TarInfo("/abs/file")], "unsafe path '/abs/file'"),
        ([_link("wheels/x", "../../outside")], "escapes the directory"),
        ([_link("wheels/x", "/etc/passwd")], "escapes the directory"),
        ([_link("h", "../outside", tarfile.LNKTYPE)], "escapes the directory"),
    ],
)
def test_unsafe_cache_content_is_refused_and_nothing_lands(
    packed: Packed, tmp_path: Path, inner: list[tarfile.TarInfo], reason: str
) -> None:
    ok = tarfile.TarInfo("archive-v0/ok/file.py")
    bundle = _inner_bundle(tmp_path, packed, [ok, *inner])
    cache = tmp_path / "uv-cache"
    cache.mkdir()
    (cache / "keep").write_text("mine")
    with pytest.raises(IntegrityError, match=reason):
        import_bundle(bundle, cache, pin=packed.pin)
    # Nothing was merged (not even the safe entry before it), the old content is intact.
    assert sorted(p.name for p in cache.iterdir()) == ["keep"]
    assert not (tmp_path / "outside").exists()


def test_import_merges_into_an_existing_cache(
    packed: Packed, warm_cache: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "uv-cache"
    (cache / "wheels-v8" / "pypi" / "mine").mkdir(parents=True)
    (cache / "wheels-v8" / "pypi" / "mine" / "keep.http").write_text("mine")
    first = import_bundle(packed.path, cache, expected_target=packed.target, pin=packed.pin)
    assert first.files > 100
    assert (cache / "wheels-v8" / "pypi" / "mine" / "keep.http").read_text() == "mine"
    # The links uv keeps from wheels to unpacked archives survive, relative and inside.
    links = [p for p in (cache / "wheels-v8").rglob("*") if p.is_symlink()]
    assert links
    for link in links:
        assert not str(link.readlink()).startswith("/")
        assert link.resolve().is_relative_to(cache.resolve())
    # Importing again is harmless (and leaves no staging directory behind).
    import_bundle(packed.path, cache, pin=packed.pin)
    assert not [p for p in cache.iterdir() if p.name.startswith(".bootstrap-import")]
    same = sorted(str(p.relative_to(warm_cache)) for p in warm_cache.rglob("six*"))
    assert same and same == sorted(str(p.relative_to(cache)) for p in cache.rglob("six*"))


def test_import_writes_the_bundled_uv_when_asked(packed: Packed, tmp_path: Path) -> None:
    res = import_bundle(
        packed.path, tmp_path / "c", pin=packed.pin, uv_artifact_dir=tmp_path / "uv"
    )
    assert res.uv_artifact is not None
    digest = hashlib.sha256(res.uv_artifact.read_bytes()).hexdigest()
    assert digest == packed.pin.sha256[res.uv_artifact.name]


def test_pack_dir_is_deterministic_and_keeps_links(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "b").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "b" / "c.txt").write_text("c")
    (src / "b" / "link").symlink_to("../a.txt")
    (src / "b" / "x.lock").write_text("")
    one, two = tmp_path / "1.tar.gz", tmp_path / "2.tar.gz"
    pack_dir(src, one)
    pack_dir(src, two)
    with tarfile.open(one) as t1, tarfile.open(two) as t2:
        assert t1.getnames() == t2.getnames() == ["b", "a.txt", "b/c.txt", "b/link"]
        assert t1.getmember("b/link").linkname == "../a.txt"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", "cache", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_verify_and_refusals(packed: Packed, tmp_path: Path) -> None:
    ok = cli("verify", str(packed.path), "--target", packed.target)
    assert ok.returncode == 0, ok.stderr
    assert f"is a bundle for {packed.target}" in ok.stdout
    wrong = cli("verify", str(packed.path), "--target", "linux-x86_64-cu126")
    assert wrong.returncode == 2
    assert f"error: bundle is for {packed.target}, this plan needs linux-x86_64-cu126" in (
        wrong.stderr
    )
    assert "Traceback" not in wrong.stderr
    cut = tmp_path / "cut.tar"
    cut.write_bytes(packed.path.read_bytes()[:4096])
    bad = cli("verify", str(cut))
    assert bad.returncode == 2 and "truncated" in bad.stderr, bad.stderr


def test_cli_import_from_a_loopback_url(packed: Packed, tmp_path: Path) -> None:
    from helpers import serve_directory

    site = tmp_path / "site"
    site.mkdir()
    os.link(packed.path, site / "env.tar")
    cache, pydir = tmp_path / "uv-cache", tmp_path / "py"
    with serve_directory(site) as served:
        res = cli(
            "import",
            f"{served.url}/env.tar",
            "--target",
            packed.target,
            "--cache-dir",
            str(cache),
            "--python-dir",
            str(pydir),
            "--json",
        )
    assert res.returncode == 0, res.stderr
    assert '"target": "' + packed.target in res.stdout
    assert any(cache.glob("wheels-*/pypi/six/*"))


def test_cli_refuses_plain_http_to_another_host(tmp_path: Path) -> None:
    res = cli(
        "import",
        "http://example.com/env.tar",
        "--cache-dir",
        str(tmp_path / "c"),
        "--python-dir",
        str(tmp_path / "p"),
    )
    assert res.returncode != 0
    assert "only https" in res.stderr and "Traceback" not in res.stderr


def test_a_missing_bundle_file_is_a_user_error(tmp_path: Path) -> None:
    from bootstrap.cache import resolve_bundle

    with pytest.raises(UserError, match=r"cache bundle .*nope\.tar does not exist"):
        resolve_bundle(str(tmp_path / "nope.tar"), tmp_path / "dl")
    res = cli(
        "import",
        str(tmp_path / "nope.tar"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--python-dir",
        str(tmp_path / "p"),
    )
    assert res.returncode == 2 and "does not exist" in res.stderr
