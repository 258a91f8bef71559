"""Check a cache bundle and import it into uv's cache (and a managed-Python directory).

``verify`` reads the whole bundle once and refuses, with the reason, anything that is not
exactly what was packed for this target and this uv: a member whose checksum does not
match, a missing or extra member, an unsafe path, a truncated file, another target, a uv
version other than the pinned one, a uv artifact whose bytes are not the pinned bytes.
``import_bundle`` verifies first, then unpacks (checking again as it goes).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bootstrap.cache.bundle import (
    CACHE_MEMBER,
    MANIFEST,
    PYTHON_MEMBER,
    SUMS,
    UV_DIR,
    Manifest,
    UvPin,
    hash_stream,
    iter_members,
    parse_sums,
    unpack_member_into,
)
from bootstrap.errors import IntegrityError, UserError


@dataclass(frozen=True)
class Verified:
    path: Path
    manifest: Manifest
    size: int  # bytes
    has_python: bool

    @property
    def uv_member(self) -> str:
        return self.manifest.uv_artifact


@dataclass(frozen=True)
class ImportResult:
    bundle: Verified
    uv_cache_dir: Path
    python_install_dir: Path | None
    files: int  # files unpacked into the cache (and the Python directory)
    duration: float
    uv_artifact: Path | None  # where the bundled uv was written, when asked for


def verify(
    bundle: Path,
    *,
    expected_target: str | None = None,
    pin: UvPin | None = None,
) -> Verified:
    """Read ``bundle`` once, check every checksum, and return its manifest.

    ``pin`` is the pinned uv (from bootstrap.uv); without it the uv version and artifact
    are only checked against the bundle's own sums (``bootstrap cache verify`` says so)."""
    digests: dict[str, str] = {}
    raw: dict[str, bytes] = {}
    for info, reader in iter_members(bundle):
        if info.name in digests:
            raise IntegrityError(
                f"{bundle}: member {info.name!r} appears twice", code="bundle.duplicate"
            )
        if info.name in (MANIFEST, SUMS):
            if info.size > 16 << 20:
                raise IntegrityError(f"{bundle}: {info.name} is implausibly large")
            data = reader.read()
            if len(data) != info.size:
                raise IntegrityError(f"{bundle}: the bundle is truncated", code="bundle.truncated")
            raw[info.name] = data
            digests[info.name] = hashlib.sha256(data).hexdigest()
        else:
            digests[info.name] = hash_stream(reader, bundle)
    for required in (MANIFEST, SUMS):
        if required not in raw:
            raise IntegrityError(
                f"{bundle}: missing member {required}; not a cache bundle or truncated",
                code="bundle.missing_member",
            )
    manifest = Manifest.from_json(raw[MANIFEST], str(bundle))
    sums = parse_sums(raw[SUMS], str(bundle))

    expected = dict(sums)
    listed = set(expected) | set(manifest.members) | {MANIFEST}
    present = set(digests) - {SUMS}
    for name in sorted(listed - present):
        raise IntegrityError(
            f"{bundle}: member {name!r} is listed but missing", code="bundle.missing_member"
        )
    for name in sorted(present - set(expected)):
        raise IntegrityError(
            f"{bundle}: member {name!r} is not listed in {SUMS}", code="bundle.extra_member"
        )
    for name, digest in sorted(expected.items()):
        if digests[name] != digest:
            raise IntegrityError(
                f"{bundle}: checksum mismatch for {name} (sha256 {digests[name]}, "
                f"{SUMS} says {digest})",
                fix="copy or download the bundle again, or pack a new one",
                code="bundle.checksum",
            )
    for name, digest in sorted(manifest.members.items()):
        if sums.get(name) != digest:
            raise IntegrityError(
                f"{bundle}: {MANIFEST} and {SUMS} disagree about {name}",
                code="bundle.checksum",
            )
    for name in sorted(present - {MANIFEST}):
        if name not in manifest.members:
            raise IntegrityError(
                f"{bundle}: member {name!r} is not in {MANIFEST}", code="bundle.extra_member"
            )
    if CACHE_MEMBER not in present:
        raise IntegrityError(
            f"{bundle}: missing member {CACHE_MEMBER}", code="bundle.missing_member"
        )
    uv_member = manifest.uv_artifact
    if not uv_member.startswith(UV_DIR + "/") or uv_member.count("/") != 1:
        raise IntegrityError(
            f"{bundle}: uv_artifact {uv_member!r} should be '{UV_DIR}/<file name>'",
            code="bundle.manifest",
        )
    if uv_member not in present:
        raise IntegrityError(
            f"{bundle}: the uv artifact {uv_member!r} is missing", code="bundle.missing_member"
        )

    if expected_target is not None and manifest.target != expected_target:
        raise UserError(
            f"bundle is for {manifest.target}, this plan needs {expected_target}",
            fix=f"pack one for this machine: bootstrap cache pack --target {expected_target}",
            code="bundle.wrong_target",
        )
    if pin is not None:
        if manifest.uv_version != pin.version:
            raise UserError(
                f"bundle carries uv {manifest.uv_version}, the pinned uv is {pin.version}",
                fix="pack the bundle again with the repository's current pin",
                code="bundle.uv_version",
            )
        file_name = uv_member.split("/", 1)[1]
        pinned = pin.sha256.get(file_name)
        if pinned is None:
            raise IntegrityError(
                f"{bundle}: the uv artifact {file_name} is not one the pin for uv "
                f"{pin.version} knows",
                code="bundle.uv_unpinned",
            )
        if digests[uv_member] != pinned.lower():
            raise IntegrityError(
                f"{bundle}: {uv_member} does not match the pinned checksum "
                f"(sha256 {digests[uv_member]}, pinned {pinned})",
                fix="never use this bundle's uv; pack a new bundle",
                code="bundle.uv_checksum",
            )
    return Verified(
        path=bundle,
        manifest=manifest,
        size=bundle.stat().st_size,
        has_python=PYTHON_MEMBER in present,
    )


def import_bundle(
    bundle: Path,
    uv_cache_dir: Path,
    *,
    python_install_dir: Path | None = None,
    expected_target: str | None = None,
    pin: UvPin | None = None,
    uv_artifact_dir: Path | None = None,
) -> ImportResult:
    """Verify ``bundle``, then merge its uv cache into ``uv_cache_dir`` (and its Python into
    ``python_install_dir``; a bundle with a Python needs one). ``uv_artifact_dir``, when
    given, receives the bundled uv artifact (already checked against ``pin``)."""
    start = time.monotonic()
    verified = verify(bundle, expected_target=expected_target, pin=pin)
    if verified.has_python and python_install_dir is None:
        raise UserError(
            f"{bundle} carries a uv-managed Python but no install directory was given",
            fix="set UV_PYTHON_INSTALL_DIR or pass python_install_dir",
            code="bundle.python_dir",
        )
    members = verified.manifest.members
    files = 0
    uv_out: Path | None = None
    for info, reader in iter_members(bundle):
        if info.name == CACHE_MEMBER:
            files += unpack_member_into(
                reader,
                uv_cache_dir,
                bundle=bundle,
                member=CACHE_MEMBER,
                expected_sha256=members[CACHE_MEMBER],
            )
        elif info.name == PYTHON_MEMBER and python_install_dir is not None:
            files += unpack_member_into(
                reader,
                python_install_dir,
                bundle=bundle,
                member=PYTHON_MEMBER,
                expected_sha256=members[PYTHON_MEMBER],
            )
        elif info.name == verified.uv_member and uv_artifact_dir is not None:
            uv_out = _write_checked(reader, uv_artifact_dir, info.name, members[info.name], bundle)
    return ImportResult(
        bundle=verified,
        uv_cache_dir=uv_cache_dir,
        python_install_dir=python_install_dir if verified.has_python else None,
        files=files,
        duration=time.monotonic() - start,
        uv_artifact=uv_out,
    )


def _write_checked(
    reader: IO[bytes], out_dir: Path, member: str, digest: str, bundle: Path
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / member.split("/", 1)[1]
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    with tmp.open("wb") as fh:
        got = hash_stream(reader, bundle, sink=fh)
    if got != digest:
        tmp.unlink()
        raise IntegrityError(
            f"{bundle}: {member} changed while it was read", code="bundle.checksum"
        )
    tmp.replace(dest)
    return dest


def fetch_bundle(url: str, dest_dir: Path) -> Path:
    """Download a bundle from ``url`` (https, or http to loopback) into ``dest_dir``
    with :func:`bootstrap.net.download`: one overall deadline, retries, and a partial
    file that takes its final name only when complete (removed otherwise)."""
    from urllib.parse import urlsplit

    from bootstrap.net import check_url, download

    check_url(url)
    name = Path(urlsplit(url).path).name or "bundle.tar"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / name
    download(url, dest, code_prefix="bundle")
    return dest


def resolve_bundle(source: str, downloads: Path) -> Path:
    """A bundle given as a path or a URL (https, or http to loopback) -> a local file;
    URLs are downloaded into ``downloads`` (e.g. ``Paths.cache / "bundles"``)."""
    if source.startswith(("https://", "http://")):
        return fetch_bundle(source, downloads)
    path = Path(source).expanduser()
    if not path.is_file():
        raise UserError(
            f"cache bundle {source} does not exist",
            fix="pass the path or https URL of a bundle made by `bootstrap cache pack`",
            code="bundle.missing",
        )
    return path
