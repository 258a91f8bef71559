"""The cache bundle format (version 2): write, read, and extract safely.

A bundle is ONE uncompressed tar (install.sh and install.ps1 read it with POSIX tools):

    manifest.json    pretty JSON (indent=2, sort_keys=True), see :class:`Manifest`
    SHA256SUMS       "<hex>  <path>" for every member but itself
    uv/<file>        the pinned uv artifact for the target, byte-identical to the pin
    wheels/<file>    distribution files (wheels; sdists only where the lock has no wheel),
                     flat, each byte-identical to a file a repository lock names
    python/<file>    optional (``cache pack --with-python``): the interpreter archive
                     ``bootstrap/python/pin.txt`` pins for the target, byte-identical

Only regular files, only those names. The manifest and the sums catch accidents; trust
comes from the repository: the uv artifact is checked against ``bootstrap/uv/pin.txt``,
the interpreter against ``bootstrap/python/pin.txt`` and every ``wheels/`` file against a
hash in a lock file (:mod:`bootstrap.cache.locks`).

Format 1 (a copy of uv's cache as ``cache.tar.gz``) is refused: nothing outside it could
vouch for its content.

Everything here streams: members are hashed and extracted chunk by chunk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tarfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from bootstrap.errors import IntegrityError, UserError
from bootstrap.files import sha256_file as sha256_file  # noqa: PLC0414 - re-exported

FORMAT = 2
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
UV_DIR = "uv"
WHEELS_DIR = "wheels"
PYTHON_DIR = "python"
PARTS = ("tool", "project", "tools", "build", "self")  # ..., the bootstrapper's own wheel
CHUNK = 1 << 20
# A file name inside uv/ or wheels/: what wheel and sdist names use, nothing that could
# climb out of a directory or mean something to a shell.
_SAFE_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")
# A file name longer than this cannot be created on most file systems (NAME_MAX); no
# wheel name comes near it, and a longer one must be refused before a file is opened.
NAME_MAX = 255
# What the manifest's values may look like: each is data, checked against the
# repository or the plan, and printed in messages; none is ever a path or a shell word.
_PATTERNS = {
    "target": re.compile(r"^(linux|macos|windows)-(x86_64|arm64)-[a-z0-9.]{1,16}$"),
    "uv_version": re.compile(r"^[0-9]{1,4}(\.[0-9]{1,6}){1,3}([a-z]{1,5}[0-9]{0,6})?$"),
    "python": re.compile(r"^[0-9]{1,2}\.[0-9]{1,3}$"),
    "name": re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"),  # an extra, a group
    # A profile name, or the path it was packed with (shown in a fix, shell-quoted).
    "profile": re.compile(r"^[A-Za-z0-9._/\\:+-]{0,200}$"),
    "project_lock": re.compile(r"^(uv\.lock|pylock(\.[A-Za-z0-9_-]{1,100})?\.toml)?$"),
    "created_at": re.compile(r"^[0-9A-Za-z:.+-]{0,40}$"),
    "sha256": re.compile(r"^[0-9a-f]{64}$"),
}
# The most a bundle may hold unpacked, whatever its manifest says (CUDA stacks are a few
# GB); BOOTSTRAP_BUNDLE_MAX_BYTES lowers or raises it.
MAX_BYTES = 32 << 30
_KEYS = (
    "format",
    "target",
    "pythons",
    "uv_version",
    "uv_artifact",
    "created_at",
    "profile",
    "project_lock",
    "extras",
    "groups",
    "parts",
    "unpacked_size",
    "members",
)


def max_bytes(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    raw = env.get("BOOTSTRAP_BUNDLE_MAX_BYTES", "")
    return int(raw) if raw.isdigit() else MAX_BYTES


@dataclass(frozen=True)
class UvPin:
    """The pinned uv: its version and the SHA-256 of every artifact file name it allows.

    The checksum a bundle's uv is checked against comes from here, never from the
    bundle's own manifest (which anyone who can write the bundle can also write)."""

    version: str
    sha256: Mapping[str, str]  # artifact file name -> lowercase hex
    # The bootstrapper's own wheel (the pin's `self` lines): file name -> sha256. A bundle
    # for a team's repository carries it under wheels/, vouched for by the pin.
    self_wheels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    target: str
    uv_version: str
    uv_artifact: str
    created_at: str
    profile: str
    pythons: tuple[str, ...] = ()  # "3.11": the Python versions the wheels serve
    project_lock: str = ""  # the project's lock file name (uv.lock, pylock.<t>.toml)
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    parts: dict[str, list[str]] = field(default_factory=dict)  # part -> wheel files
    unpacked_size: int = 0  # bytes of all members but manifest.json and SHA256SUMS
    members: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        body: dict[str, Any] = {k: getattr(self, k) for k in _KEYS}
        for key in ("pythons", "extras", "groups"):
            body[key] = list(body[key])
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, source: str) -> Manifest:
        where = f"{source}: {MANIFEST}"

        def bad(what: str) -> IntegrityError:
            return IntegrityError(f"{where}: {what}", code="bundle.manifest")

        try:
            body = json.loads(data)
        except ValueError as exc:
            raise bad(f"is not JSON ({exc})") from exc
        except RecursionError:
            raise bad("nested too deeply to be a manifest") from None
        if not isinstance(body, dict):
            raise bad("expected an object")
        fmt = body.get("format")
        if fmt != FORMAT:
            raise UserError(
                f"{where}: bundle format {_clip(repr(fmt))}, this tool reads format {FORMAT} only "
                "(format 1 carried a copy of uv's cache that nothing outside it vouches for)",
                fix="pack the bundle again with this version of the tool: bootstrap cache pack",
                code="bundle.format",
            )
        missing = [k for k in _KEYS if k not in body]
        if missing:
            raise bad(f"missing key(s) {', '.join(missing)}")
        for key in ("target", "uv_version", "uv_artifact", "created_at", "profile"):
            if not isinstance(body[key], str):
                raise bad(f"{key!r} should be a string, found {_clip(repr(body[key]))}")
        if not isinstance(body["project_lock"], str):
            raise bad("'project_lock' should be a string")
        for key in ("pythons", "extras", "groups"):
            if not isinstance(body[key], list) or not all(isinstance(x, str) for x in body[key]):
                raise bad(f"{key!r} should be a list of strings")
        parts = body["parts"]
        if not isinstance(parts, dict) or not all(
            k in PARTS and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in parts.items()
        ):
            raise bad(f"'parts' should map {', '.join(PARTS)} to lists of file names")
        size = body["unpacked_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad("'unpacked_size' should be a number of bytes")
        members = body["members"]
        if not isinstance(members, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in members.items()
        ):
            raise bad("'members' should map paths to sha256 strings")
        _check_values(body, bad)
        return cls(
            target=body["target"],
            uv_version=body["uv_version"],
            uv_artifact=body["uv_artifact"],
            created_at=body["created_at"],
            profile=body["profile"],
            pythons=tuple(body["pythons"]),
            project_lock=body["project_lock"],
            extras=tuple(body["extras"]),
            groups=tuple(body["groups"]),
            parts={k: list(v) for k, v in parts.items()},
            unpacked_size=size,
            members=dict(members),
        )


def _check_values(body: Mapping[str, Any], bad: Callable[[str], IntegrityError]) -> None:
    """Every value against a strict pattern: a manifest is data, and a value that could
    be a path, an option or a shell word is refused, not used."""

    def check(key: str, value: str, pattern: str) -> None:
        if not _PATTERNS[pattern].match(value):
            raise bad(f"{key!r} has a value that is not {_WHAT[pattern]}: {_shown(value)}")

    for key in ("target", "uv_version", "profile", "project_lock", "created_at"):
        check(key, body[key], key)
    for py in body["pythons"]:
        check("pythons", py, "python")
    for key in ("extras", "groups"):
        for name in body[key]:
            check(key, name, "name")
    if member_kind(body["uv_artifact"]) != "uv":
        raise bad(f"'uv_artifact' should be '{UV_DIR}/<file name>': {_shown(body['uv_artifact'])}")
    for files in body["parts"].values():
        for name in files:
            if member_kind(f"{WHEELS_DIR}/{name}") != "wheel":
                raise bad(f"'parts' names a file that is not a wheel file name: {_shown(name)}")
    for name, digest in body["members"].items():
        if member_kind(name) not in ("uv", "wheel", "python"):
            raise bad(f"'members' names something that is not a bundle member: {_shown(name)}")
        check("members", digest, "sha256")


_WHAT = {
    "target": "a target key like linux-x86_64-cpu",
    "uv_version": "a uv version like 0.13.9",
    "python": "a Python version like 3.12",
    "name": "an extra or group name",
    "profile": "a profile name",
    "project_lock": "uv.lock or pylock.<name>.toml",
    "created_at": "a timestamp",
    "sha256": "a sha256 in hex",
}


def _shown(value: str) -> str:
    """A value from a bundle as a message may show it, quoted: bounded, printable."""
    return repr(_clip(value))


def _clip(text: str) -> str:
    """At most 80 characters of ``text``, control characters replaced by "?"."""
    clean = "".join(c if c.isprintable() else "?" for c in text[:80])
    return clean + ("..." if len(text) > 80 else "")


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


def write_bundle(out: Path, manifest: Manifest, files: Mapping[str, Path]) -> Manifest:
    """Write ``files`` ({member name: path}) with ``manifest`` (its members, size and
    format filled in here) to ``out``, atomically: a partial file never has the final
    name. POSIX (pax) format: a member is a plain ustar header unless its name is longer
    than ustar's 100 characters (wheel names with several platform tags are), which gets
    a pax ``path`` record first; GNU tar, bsdtar and busybox tar all read those."""
    for name in files:
        if member_kind(name) is None:
            raise UserError(f"cannot pack {name!r}: not a bundle member name")
    members = {name: sha256_file(path) for name, path in files.items()}
    size = sum(path.stat().st_size for path in files.values())
    m = Manifest(**{**_fields(manifest), "members": members, "unpacked_size": size})
    manifest_bytes = m.to_json()
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
    return m


def _fields(m: Manifest) -> dict[str, Any]:
    return {k: getattr(m, k) for k in _KEYS}


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


# -- reading ---------------------------------------------------------------------------


def member_kind(name: str) -> str | None:
    """``manifest``, ``sums``, ``uv``, ``wheel`` or ``python`` for a valid member name,
    else None."""
    if name == MANIFEST:
        return "manifest"
    if name == SUMS:
        return "sums"
    head, sep, tail = name.partition("/")
    if sep and _SAFE_FILE.match(tail) and ".." not in tail and len(tail) <= NAME_MAX:
        if head == UV_DIR:
            return "uv"
        if head == WHEELS_DIR:
            return "wheel"
        if head == PYTHON_DIR:
            return "python"
    return None


class HashingFile:
    """A file read front to back whose SHA-256 is taken on the way, so that one pass over
    a bundle gives both its members' digests and its own. tarfile skips the padding
    between members with forward seeks: those bytes are read and hashed too. A backward
    seek (tarfile does none when members are read in order) makes :meth:`hexdigest`
    return None, and the caller hashes the file itself."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self._h = hashlib.sha256()
        self._pos = 0
        self._in_order = True

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        if self._in_order:
            self._h.update(data)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            pos += self._pos
        elif whence != os.SEEK_SET:
            self._in_order = False
            self._pos = self._fh.seek(pos, whence)
            return self._pos
        while self._in_order and pos > self._pos:
            if not self.read(min(CHUNK, pos - self._pos)):
                break
        if pos != self._pos:
            self._in_order = False
            self._pos = self._fh.seek(pos)
        return self._pos

    def hexdigest(self) -> str | None:
        """The whole file's SHA-256 (reading what is left), or None after a backward seek."""
        if not self._in_order:
            return None
        while self.read(CHUNK):
            pass
        return self._h.hexdigest()


def _open(bundle: Path, fileobj: HashingFile | None = None) -> tarfile.TarFile:
    try:
        # "r:" reads an uncompressed tar only: a compressed "bundle" (a way to make a
        # small file unpack huge) is refused here.
        if fileobj is not None:
            # tarfile only reads, seeks and tells on it.
            return tarfile.open(name=str(bundle), mode="r:", fileobj=cast(IO[bytes], fileobj))
        return tarfile.open(bundle, "r:")
    except FileNotFoundError as exc:
        raise UserError(f"{bundle}: no such file", code="bundle.missing") from exc
    except (tarfile.TarError, OSError) as exc:
        raise IntegrityError(
            f"{bundle}: not a cache bundle (expected an uncompressed tar: {exc})",
            fix="pack it again with `bootstrap cache pack`",
            code="bundle.not_tar",
        ) from exc


def check_member(info: tarfile.TarInfo, bundle: Path, dest: Path) -> None:
    """Refuse anything but a regular file with a bundle member name that stays inside
    ``dest``. PEP 706's ``data`` filter does the path work (absolute paths, ``..``,
    links leaving the directory, device files); a bundle is stricter than that filter
    and holds no links, no directories and no sparse files at all."""
    if info.issym() or info.islnk():
        raise IntegrityError(
            f"{bundle}: member {info.name!r} is a {_kind(info)}; a bundle holds only regular files",
            code="bundle.unsafe_member",
        )
    filt = getattr(tarfile, "data_filter", None)
    if filt is not None:  # Debian 12's Python 3.11.2 predates it; the checks below hold
        try:
            filt(info, str(dest))
        except tarfile.FilterError as exc:
            raise IntegrityError(
                f"{bundle}: unsafe member {info.name!r} ({exc})", code="bundle.unsafe_path"
            ) from exc
    root = dest.resolve()
    if not (root / info.name).resolve().is_relative_to(root):
        raise IntegrityError(
            f"{bundle}: unsafe member path {info.name!r} (outside the destination)",
            code="bundle.unsafe_path",
        )
    if not info.isreg() or info.issparse():
        raise IntegrityError(
            f"{bundle}: member {info.name!r} is a {_kind(info)}; a bundle holds only regular files",
            code="bundle.unsafe_member",
        )
    if member_kind(info.name) is None:
        raise IntegrityError(
            f"{bundle}: unexpected member {info.name!r}; a bundle holds {MANIFEST}, {SUMS}, "
            f"{UV_DIR}/<file>, {WHEELS_DIR}/<file> and {PYTHON_DIR}/<file>",
            code="bundle.unsafe_path",
        )


def iter_members(
    bundle: Path, dest: Path, limit: int | None = None, *, fileobj: HashingFile | None = None
) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    """Each member of ``bundle`` with a reader, checked by :func:`check_member` against
    ``dest`` (where it would be extracted); refuses a truncated archive, and a total size
    above ``limit`` (default :func:`max_bytes`) before reading past it. ``fileobj``: the
    bundle already opened (a :class:`HashingFile`)."""
    cap = max_bytes() if limit is None else limit
    total = 0
    tar = _open(bundle, fileobj)
    try:
        while True:
            try:
                info = tar.next()
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise truncated(bundle, exc) from exc
            if info is None:
                return
            check_member(info, bundle, dest)
            total += info.size
            if total > cap:
                raise IntegrityError(
                    f"{bundle}: the bundle unpacks to more than {cap} bytes; refusing it",
                    fix="raise BOOTSTRAP_BUNDLE_MAX_BYTES if a bundle this large is expected",
                    code="bundle.too_large",
                )
            reader = tar.extractfile(info)
            if reader is None:  # pragma: no cover - regular members always have data
                raise truncated(bundle, None)
            yield info, reader
    finally:
        tar.close()


def truncated(bundle: Path, exc: BaseException | None) -> IntegrityError:
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
    if info.ischr() or info.isblk():
        return "device file"
    if info.isfifo():
        return "fifo"
    if info.issparse():
        return "sparse file"
    return "special file"


def hash_stream(reader: IO[bytes], bundle: Path, sink: IO[bytes] | None = None) -> str:
    """The SHA-256 of a member, written to ``sink`` on the way. A bundle that ends early
    is "truncated"; a write that fails (a full disk) is the machine's answer and is
    raised as it is (the CLI says which path and why)."""
    h = hashlib.sha256()
    while True:
        chunk = read_member(reader, bundle, CHUNK)
        if not chunk:
            return h.hexdigest()
        h.update(chunk)
        if sink is not None:
            sink.write(chunk)


def read_member(reader: IO[bytes], bundle: Path, n: int = -1) -> bytes:
    """Up to ``n`` bytes of a member (all of it with -1); a bundle cut short in the
    middle of it is "truncated or corrupt", never a crash."""
    try:
        return reader.read(n)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise truncated(bundle, exc) from exc


def describe(manifest: Manifest) -> dict[str, Any]:
    body = json.loads(manifest.to_json())
    assert isinstance(body, dict)  # noqa: S101
    return body
