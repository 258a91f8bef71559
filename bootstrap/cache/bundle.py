"""The cache bundle format: write, verify, and unpack safely.

A bundle is ONE uncompressed tar (install.sh reads it with POSIX tools too):

    manifest.json   pretty JSON (indent=2, sort_keys=True): format, target, uv_version,
                    uv_artifact ("uv/<file>"), created_at, profile, and members
                    {path: sha256} for every member but itself and SHA256SUMS
    SHA256SUMS      "<hex>  <path>" for every member but itself
    uv/<file>       the pinned uv artifact for the target, byte-identical to the pin
    cache.tar.gz    the content of a uv cache directory
    python.tar.gz   optional: a uv-managed Python install directory

Everything here streams: members are hashed and unpacked chunk by chunk, never read
whole into memory (a CUDA cache is gigabytes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bootstrap.errors import IntegrityError, UserError

FORMAT = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
CACHE_MEMBER = "cache.tar.gz"
PYTHON_MEMBER = "python.tar.gz"
UV_DIR = "uv"
CHUNK = 1 << 20
_KEYS = ("format", "target", "uv_version", "uv_artifact", "created_at", "profile", "members")


@dataclass(frozen=True)
class UvPin:
    """The pinned uv: its version and the SHA-256 of every artifact file name it allows.

    The checksum a bundle's uv is checked against comes from here, never from the
    bundle's own manifest (which anyone who can write the bundle can also write)."""

    version: str
    sha256: Mapping[str, str]  # artifact file name -> lowercase hex


@dataclass(frozen=True)
class Manifest:
    target: str
    uv_version: str
    uv_artifact: str
    created_at: str
    profile: str
    members: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        body = {k: getattr(self, k) for k in _KEYS}
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, source: str) -> Manifest:
        where = f"{source}: {MANIFEST}"
        try:
            body = json.loads(data)
        except ValueError as exc:
            raise IntegrityError(f"{where} is not JSON ({exc})", code="bundle.manifest") from exc
        if not isinstance(body, dict):
            raise IntegrityError(f"{where}: expected an object", code="bundle.manifest")
        fmt = body.get("format")
        if fmt != FORMAT:
            raise UserError(
                f"{where}: bundle format {fmt!r}, this tool reads format {FORMAT}",
                fix="pack the bundle again with this version of the tool",
                code="bundle.format",
            )
        missing = [k for k in _KEYS if k not in body]
        if missing:
            raise IntegrityError(
                f"{where}: missing key(s) {', '.join(missing)}", code="bundle.manifest"
            )
        for key in ("target", "uv_version", "uv_artifact", "created_at", "profile"):
            if not isinstance(body[key], str):
                raise IntegrityError(
                    f"{where}: {key!r} should be a string, found {body[key]!r}",
                    code="bundle.manifest",
                )
        members = body["members"]
        if not isinstance(members, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in members.items()
        ):
            raise IntegrityError(
                f"{where}: 'members' should map paths to sha256 strings", code="bundle.manifest"
            )
        return cls(
            target=body["target"],
            uv_version=body["uv_version"],
            uv_artifact=body["uv_artifact"],
            created_at=body["created_at"],
            profile=body["profile"],
            members=dict(members),
        )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def sums_text(sums: Mapping[str, str]) -> bytes:
    return "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)).encode()


def parse_sums(data: bytes, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, raw in enumerate(data.decode(errors="replace").splitlines(), 1):
        if not raw.strip():
            continue
        digest, sep, name = raw.partition("  ")
        if not sep or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise IntegrityError(
                f"{source}: {SUMS} line {n} is not '<sha256>  <path>': {raw[:80]!r}",
                code="bundle.sums",
            )
        out[name] = digest
    return out


# -- writing ---------------------------------------------------------------------------


def _tarinfo(name: str, size: int, mode: int = 0o644) -> tarfile.TarInfo:
    # Fixed owner and time: the same inputs give the same tar bytes.
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_bundle(
    out: Path,
    *,
    target: str,
    uv_version: str,
    uv_artifact: Path,
    created_at: str,
    profile: str,
    cache_archive: Path,
    python_archive: Path | None = None,
) -> Manifest:
    """Write the bundle to ``out`` (atomically: a partial file never has the final name)."""
    files: dict[str, Path] = {
        f"{UV_DIR}/{uv_artifact.name}": uv_artifact,
        CACHE_MEMBER: cache_archive,
    }
    if python_archive is not None:
        files[PYTHON_MEMBER] = python_archive
    members = {name: sha256_file(path) for name, path in files.items()}
    manifest = Manifest(
        target=target,
        uv_version=uv_version,
        uv_artifact=f"{UV_DIR}/{uv_artifact.name}",
        created_at=created_at,
        profile=profile,
        members=members,
    )
    manifest_bytes = manifest.to_json()
    sums = dict(members)
    sums[MANIFEST] = hashlib.sha256(manifest_bytes).hexdigest()
    sums_bytes = sums_text(sums)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in ((MANIFEST, manifest_bytes), (SUMS, sums_bytes)):
                tar.addfile(_tarinfo(name, len(data)), _BytesReader(data))
            for name in sorted(files):
                path = files[name]
                with path.open("rb") as fh:
                    tar.addfile(_tarinfo(name, path.stat().st_size), fh)
        tmp.replace(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return manifest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def pack_dir(src: Path, out: Path) -> None:
    """Write ``src``'s content (not ``src`` itself) as a gzip tar, in sorted order, with
    owners dropped. Symlinks are kept as links (uv's cache links wheels to archives)."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, names in os.walk(src):
            dirs.sort()
            base = Path(root)
            for name in sorted(dirs) + sorted(names):
                path = base / name
                arc = path.relative_to(src).as_posix()
                if name.endswith(".lock") and path.is_file() and path.stat().st_size == 0:
                    continue  # uv's empty advisory lock files: recreated on use
                tar.add(path, arcname=arc, recursive=False, filter=clean)


# -- reading ---------------------------------------------------------------------------


def _open(bundle: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(bundle, "r:")
    except FileNotFoundError as exc:
        raise UserError(f"{bundle}: no such file", code="bundle.missing") from exc
    except (tarfile.TarError, OSError) as exc:
        raise IntegrityError(
            f"{bundle}: not a cache bundle (not an uncompressed tar: {exc})",
            fix="pack it again with `bootstrap cache pack`",
            code="bundle.not_tar",
        ) from exc


def _safe_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        return False
    norm = posixpath.normpath(name)
    return norm == name.rstrip("/") and not norm.startswith("..") and norm != "."


def iter_members(bundle: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    """Each top-level member of ``bundle`` with a reader; refuses anything but plain files
    with plain relative names, and a truncated archive."""
    tar = _open(bundle)
    try:
        while True:
            try:
                info = tar.next()
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise _truncated(bundle, exc) from exc
            if info is None:
                return
            if not _safe_name(info.name):
                raise IntegrityError(
                    f"{bundle}: unsafe member path {info.name!r} (absolute or with '..')",
                    code="bundle.unsafe_path",
                )
            if not info.isfile():
                raise IntegrityError(
                    f"{bundle}: member {info.name!r} is a {_kind(info)}, a bundle holds "
                    "only regular files",
                    code="bundle.unsafe_member",
                )
            reader = tar.extractfile(info)
            if reader is None:  # pragma: no cover - isfile() members always have data
                raise _truncated(bundle, None)
            yield info, reader
    finally:
        tar.close()


def _truncated(bundle: Path, exc: BaseException | None) -> IntegrityError:
    detail = f" ({exc})" if exc else ""
    return IntegrityError(
        f"{bundle}: the bundle is truncated or corrupt{detail}",
        fix="copy or download the bundle again; `bootstrap cache verify FILE` checks it",
        code="bundle.truncated",
    )


def _kind(info: tarfile.TarInfo) -> str:
    if info.issym():
        return f"symlink to {info.linkname!r}"
    if info.islnk():
        return f"hard link to {info.linkname!r}"
    if info.isdir():
        return "directory"
    return "special file"


def hash_stream(reader: IO[bytes], bundle: Path, sink: IO[bytes] | None = None) -> str:
    h = hashlib.sha256()
    try:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            h.update(chunk)
            if sink is not None:
                sink.write(chunk)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _truncated(bundle, exc) from exc
    return h.hexdigest()


# -- safe extraction of an inner archive ----------------------------------------------------


class _HashingReader:
    """Passes reads through and hashes them (the member is checked while it unpacks)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.hash.update(data)
        return data

    def drain(self) -> str:
        for chunk in iter(lambda: self.read(CHUNK), b""):
            del chunk
        return self.hash.hexdigest()


def unpack_member_into(
    reader: IO[bytes], dest: Path, *, bundle: Path, member: str, expected_sha256: str
) -> int:
    """Unpack the gzip tar ``reader`` into ``dest``, merging with what is there.

    It unpacks into a staging directory next to ``dest`` (same filesystem), then moves
    entries in: a subtree ``dest`` lacks moves whole (one atomic rename), a file replaces
    its old copy atomically. uv's archive buckets move first, so a wheel pointer never
    points at a half-moved archive. Links must stay inside ``dest``. Returns the number of
    files unpacked."""
    dest.mkdir(parents=True, exist_ok=True)
    staging = dest / f".bootstrap-import-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    hashing = _HashingReader(reader)
    count = 0
    try:
        try:
            with tarfile.open(fileobj=hashing, mode="r|gz") as inner:  # type: ignore[call-overload]
                for info in inner:
                    _check_inner(info, bundle, member)
                    count += _extract_one(inner, info, staging)
            digest = hashing.drain()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise IntegrityError(
                f"{bundle}: {member} is not a readable gzip tar ({exc})",
                code="bundle.inner_corrupt",
            ) from exc
        if digest != expected_sha256:
            raise IntegrityError(
                f"{bundle}: {member} changed while it was unpacked (sha256 {digest}, "
                f"manifest says {expected_sha256})",
                code="bundle.checksum",
            )
        _merge(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def _check_inner(info: tarfile.TarInfo, bundle: Path, member: str) -> None:
    name = info.name.rstrip("/")
    if not _safe_name(name):
        raise IntegrityError(
            f"{bundle}: {member} has an unsafe path {info.name!r} (absolute or with '..')",
            code="bundle.unsafe_path",
        )
    if info.issym() or info.islnk():
        link = info.linkname
        base = posixpath.dirname(name) if info.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, link))
        if link.startswith("/") or resolved.startswith("..") or resolved == ".":
            raise IntegrityError(
                f"{bundle}: {member} has a link {info.name!r} -> {link!r} that escapes "
                "the directory",
                code="bundle.unsafe_link",
            )
    elif not (info.isfile() or info.isdir()):
        raise IntegrityError(
            f"{bundle}: {member} has a special file {info.name!r}",
            code="bundle.unsafe_member",
        )


def _extract_one(tar: tarfile.TarFile, info: tarfile.TarInfo, root: Path) -> int:
    target = root / info.name.rstrip("/")
    if info.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    if info.issym():
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        target.symlink_to(info.linkname)
        return 0
    if info.islnk():
        src = root / info.linkname
        # A hard link to a member we refused or never saw: copy nothing, fail clearly.
        if not src.is_file() or src.is_symlink():
            raise IntegrityError(f"hard link {info.name!r} -> {info.linkname!r} has no target")
        shutil.copyfile(src, target)
        return 1
    reader = tar.extractfile(info)
    if reader is None:  # pragma: no cover
        return 0
    with target.open("wb") as fh:
        shutil.copyfileobj(reader, fh, CHUNK)
    # Keep the executable bits (managed Pythons have bin/ scripts), drop everything else.
    mode = 0o755 if info.mode & stat.S_IXUSR else 0o644
    target.chmod(mode)
    os.utime(target, (info.mtime, info.mtime))
    return 1


def _merge(staging: Path, dest: Path) -> None:
    def order(entry: Path) -> tuple[int, str]:
        return (0 if entry.name.startswith("archive") else 1, entry.name)

    for entry in sorted(staging.iterdir(), key=order):
        _move(entry, dest / entry.name)


def _move(src: Path, dst: Path) -> None:
    if src.is_dir() and not src.is_symlink():
        if dst.is_dir() and not dst.is_symlink():
            for child in sorted(src.iterdir()):
                _move(child, dst / child.name)
            return
        if dst.exists() or dst.is_symlink():
            _remove(dst)
        src.replace(dst)
        return
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    src.replace(dst)  # atomic for files and links


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def describe(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": manifest.format,
        "target": manifest.target,
        "uv_version": manifest.uv_version,
        "uv_artifact": manifest.uv_artifact,
        "created_at": manifest.created_at,
        "profile": manifest.profile,
        "members": dict(sorted(manifest.members.items())),
    }
