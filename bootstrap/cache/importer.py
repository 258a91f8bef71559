"""Check a cache bundle against the repository, and import its distribution files.

``verify`` reads the whole bundle once and refuses, naming the file, anything the
repository does not vouch for: a ``wheels/`` file that no lock names or whose SHA-256 is
not the lock's, a uv artifact other than the pinned bytes, another target, a Python the
wheels do not serve; plus accidents (a member whose checksum does not match SHA256SUMS, a
missing or extra member, a truncated file) and anything that is not a plain file with a
plain name.

``import_bundle`` does the same checks while it extracts, into a staging directory under
the wheelhouse (``<wheelhouse>/.tmp/<pid>-...``, which the next import removes if its
process is gone), then moves the files in. Nothing reaches uv's cache here: uv reads the
wheelhouse later as a flat ``--find-links`` directory, with the lock's hashes required
(``bootstrap.sync``). A bundle already imported (same SHA-256, checked against the same
locks and pin) is not read again while its files still hold the bytes checked then (a
record of each file's SHA-256, size, mtime, ctime and inode: a changed file is hashed
again, and a file that no longer matches makes the import run again and replace it).

A ``python/<file>`` member (``cache pack --with-python``) must be the archive
``bootstrap/python/pin.txt`` pins, with the pin's SHA-256, for the bundle's target: it is
refused before anything reaches uv otherwise. A downloads list a bundle carries
(``python/*.json``) is never used: the list uv installs from is written from the pin
(:mod:`bootstrap.python.downloads`), so such a member is ignored and said to be.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bootstrap import proc
from bootstrap.cache.bundle import (
    MANIFEST,
    SUMS,
    UV_DIR,
    HashingFile,
    Manifest,
    UvPin,
    hash_stream,
    iter_members,
    member_kind,
    parse_sums,
    read_member,
)
from bootstrap.cache.locks import Trust, lock_digests, trust
from bootstrap.cache.where import IMPORTED
from bootstrap.errors import BootstrapError, IntegrityError, UserError
from bootstrap.files import sha256_file
from bootstrap.python.pin import Interpreter, PythonPin

TMP = ".tmp"
# Where members are checked to land when nothing is written (verify, peek).
_CHECK_ROOT = Path(tempfile.gettempdir()) / "bundle-check"


@dataclass(frozen=True)
class Verified:
    path: Path
    manifest: Manifest
    size: int  # bytes
    wheels: tuple[str, ...]  # wheels/ file names, each checked against a lock
    interpreter: Interpreter | None = None  # the pinned python/<file> it carries
    ignored: tuple[str, ...] = ()  # members never used (a downloads list it carries)

    @property
    def uv_member(self) -> str:
        return self.manifest.uv_artifact


@dataclass(frozen=True)
class ImportResult:
    bundle: Verified
    wheelhouse: Path
    files: int  # distribution files written into the wheelhouse by this import
    duration: float
    uv_artifact: Path | None  # where the bundled uv was written, when asked for
    skipped: bool = False  # the same bundle was already imported and verified
    python_archive: Path | None = None  # where the pinned interpreter archive now is


@dataclass(frozen=True)
class Expect:
    """What the caller needs from a bundle; every check is against the repository."""

    locks: Sequence[Path]  # lock files whose hashes vouch for wheels/ files
    pin: UvPin | None = None
    target: str | None = None
    python: str | None = None  # "3.12": the Python the environment will use
    # How this machine names the profile to `bootstrap cache pack` ("--project /abs/dir"
    # or "--profile NAME"), for the fixes; "" uses the manifest's profile name.
    pack_args: str = ""
    # What vouches for a python/<file> member; None: the repository's pin, read when a
    # bundle carries one.
    python_pin: PythonPin | None = None

    def interpreters(self) -> PythonPin:
        if self.python_pin is not None:
            return self.python_pin
        from bootstrap.python.pin import load

        return load()


class _Reader:
    """One pass over a bundle: digests of every member, the manifest and sums bytes, and
    (when ``staging`` is given) the uv artifact and the wheels written out."""

    def __init__(
        self,
        bundle: Path,
        trusted: Trust,
        staging: Path | None,
        *,
        keep_uv: bool = False,
        expect: Expect | None = None,
    ) -> None:
        self.bundle = bundle
        self.trusted = trusted
        self.staging = staging
        self.keep_uv = keep_uv
        self.expect = expect or Expect(locks=())
        self.interpreter: Interpreter | None = None
        self.ignored: list[str] = []
        self.digests: dict[str, str] = {}
        self.raw: dict[str, bytes] = {}
        self.declared: int | None = None  # the manifest's unpacked_size, once read
        self.listed: frozenset[str] | None = None  # and its members
        self.unpacked = 0

    def read(self, fileobj: HashingFile | None = None) -> None:
        # Without a staging directory nothing is written; the paths are still checked.
        dest = self.staging or _CHECK_ROOT
        for info, reader in iter_members(self.bundle, dest, fileobj=fileobj):
            name = info.name
            if name in self.digests:
                raise IntegrityError(
                    f"{self.bundle}: member {name!r} appears twice", code="bundle.duplicate"
                )
            kind = member_kind(name)
            if kind in ("uv", "wheel", "python"):
                # Only what the manifest lists, and no more than it says the files unpack
                # to (the cap of iter_members bounds a manifest that claims too much):
                # refused before the member is read, let alone written.
                if self.listed is not None and name not in self.listed:
                    raise IntegrityError(
                        f"{self.bundle}: member {name!r} is not listed in {MANIFEST}",
                        code="bundle.extra_member",
                    )
                self.unpacked += info.size
                if self.declared is not None and self.unpacked > self.declared:
                    raise IntegrityError(
                        f"{self.bundle}: its files unpack to more than the {self.declared} "
                        f"bytes its {MANIFEST} records (at {name}); refusing it",
                        code="bundle.too_large",
                    )
            if kind in ("manifest", "sums"):
                if info.size > 16 << 20:
                    raise IntegrityError(f"{self.bundle}: {name} is implausibly large")
                data = read_member(reader, self.bundle)
                if len(data) != info.size:
                    raise IntegrityError(
                        f"{self.bundle}: the bundle is truncated", code="bundle.truncated"
                    )
                self.raw[name] = data
                self.digests[name] = hashlib.sha256(data).hexdigest()
                if kind == "manifest":
                    self.declared, self.listed = _declared(data)
                continue
            if kind == "python":
                self._python(name, reader)
                continue
            if kind == "wheel":
                # A name no lock knows is refused before anything is read or a staging
                # file is opened (whatever the name: too long for the disk, or odd).
                self.trusted.known(name.split("/", 1)[1], str(self.bundle))
            keep = kind == "wheel" or self.keep_uv
            self.digests[name] = self._take(name, reader, keep)
            if kind == "wheel":
                # Checked as soon as it is read: a file the locks do not vouch for stops
                # the import before anything else is written.
                self.trusted.check(name.split("/", 1)[1], self.digests[name], str(self.bundle))

    def _python(self, name: str, reader: IO[bytes]) -> None:
        """A python/ member: the pinned archive (checked as soon as it is read, before
        uv could see it), or a downloads list, which is never used."""
        file = name.split("/", 1)[1]
        if file.endswith(".json"):
            self.digests[name] = hash_stream(reader, self.bundle)
            self.ignored.append(name)
            return
        pinned = next(
            (it for it in self.expect.interpreters().interpreters if it.filename == file), None
        )
        if pinned is None:
            raise IntegrityError(
                f"{self.bundle}: {name} is not an interpreter archive the Python pin names "
                "(bootstrap/python/pin.txt)",
                fix="pin it (bootstrap python pin VERSION --archive FILE) or pack the bundle "
                "again with --with-python",
                code="bundle.python_unpinned",
            )
        if self.interpreter is not None:
            raise IntegrityError(
                f"{self.bundle}: more than one interpreter archive ({name})",
                code="bundle.python_unpinned",
            )
        digest = self._take(name, reader, True)
        self.digests[name] = digest
        if digest != pinned.sha256:
            raise IntegrityError(
                f"{self.bundle}: {name} does not match the Python pin for {pinned.triple} "
                f"(sha256 {digest}, pinned {pinned.sha256}); refused before uv sees it",
                fix="never use this bundle's interpreter; pack a new bundle",
                code="bundle.python_checksum",
            )
        self.interpreter = pinned

    def _take(self, name: str, reader: IO[bytes], keep: bool) -> str:
        if self.staging is None or not keep:
            return hash_stream(reader, self.bundle)
        out = self.staging / name
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as fh:
                return hash_stream(reader, self.bundle, sink=fh)
        except OSError as exc:
            # A full disk is the machine's answer, not a broken bundle (exit 1).
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise BootstrapError(
                    f"no space left on {self.staging.parent.parent} while importing {self.bundle}",
                    fix="free some space there (or point BOOTSTRAP_HOME elsewhere), then run again",
                    code="disk.no_space",
                ) from None
            raise


def _declared(manifest: bytes) -> tuple[int | None, frozenset[str] | None]:
    """The manifest's ``unpacked_size`` and member names, where plausible (the full
    check of the manifest comes after the pass; a bad one is refused there)."""
    try:
        body = json.loads(manifest)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    size, members = body.get("unpacked_size"), body.get("members")
    ok = isinstance(size, int) and not isinstance(size, bool) and size >= 0
    listed = frozenset(str(k) for k in members) if isinstance(members, dict) else None
    return (size if ok else None), listed


def _check(r: _Reader, expect: Expect) -> Manifest:
    bundle = r.bundle
    for required in (MANIFEST, SUMS):
        if required not in r.raw:
            raise IntegrityError(
                f"{bundle}: missing member {required}; not a cache bundle or truncated",
                code="bundle.missing_member",
            )
    manifest = Manifest.from_json(r.raw[MANIFEST], str(bundle))
    sums = parse_sums(r.raw[SUMS], str(bundle))
    present = set(r.digests) - {SUMS}
    listed = set(sums) | set(manifest.members) | {MANIFEST}
    for name in sorted(listed - present):
        raise IntegrityError(
            f"{bundle}: member {name!r} is listed but missing", code="bundle.missing_member"
        )
    for name in sorted(present - set(sums)):
        raise IntegrityError(
            f"{bundle}: member {name!r} is not listed in {SUMS}", code="bundle.extra_member"
        )
    for name, digest in sorted(sums.items()):
        if r.digests[name] != digest:
            raise IntegrityError(
                f"{bundle}: checksum mismatch for {name} (sha256 {r.digests[name]}, "
                f"{SUMS} says {digest})",
                fix="copy or download the bundle again, or pack a new one",
                code="bundle.checksum",
            )
    for name in sorted(present - {MANIFEST}):
        if manifest.members.get(name) != sums.get(name):
            raise IntegrityError(
                f"{bundle}: {MANIFEST} and {SUMS} disagree about {name}", code="bundle.checksum"
            )
    uv_member = manifest.uv_artifact
    if member_kind(uv_member) != "uv":
        raise IntegrityError(
            f"{bundle}: uv_artifact {uv_member!r} should be '{UV_DIR}/<file name>'",
            code="bundle.manifest",
        )
    if uv_member not in present or [n for n in present if member_kind(n) == "uv"] != [uv_member]:
        raise IntegrityError(
            f"{bundle}: the bundle should carry exactly one uv artifact, {uv_member!r}",
            code="bundle.missing_member",
        )
    check_target(manifest, expect.target, expect.pack_args)
    check_python(manifest, expect.python, expect.pack_args)
    if expect.pin is not None:
        _check_uv(bundle, manifest, r.digests[uv_member], expect.pin)
    if r.interpreter is not None:
        check_interpreter(bundle, manifest, r.interpreter)
    return manifest


def check_interpreter(bundle: Path, manifest: Manifest, it: Interpreter) -> None:
    """The interpreter must be the pin's for the bundle's platform, and of a Python the
    bundle's wheels serve."""
    from bootstrap import platforms

    tgt = platforms.parse(manifest.target, what=f"{bundle}: the bundle's target")
    if platforms.from_triple(it.triple) != tgt.platform:
        raise IntegrityError(
            f"{bundle}: {it.member} is pinned for {it.triple}, the bundle is for {manifest.target}",
            fix="pack the bundle again with --with-python for its own target",
            code="bundle.python_target",
        )
    if manifest.pythons and it.minor not in manifest.pythons:
        raise IntegrityError(
            f"{bundle}: {it.member} is CPython {it.version}, the wheels serve Python "
            f"{', '.join(manifest.pythons)}",
            fix=f"pack the bundle again with --with-python --python {it.minor}",
            code="bundle.python",
        )


def check_target(manifest: Manifest, expected: str | None, pack_args: str = "") -> None:
    if expected is not None and manifest.target != expected:
        command = pack_command(manifest, target=expected, pack_args=pack_args)
        raise UserError(
            f"bundle is for {manifest.target}, this plan needs {expected}",
            fix=f"pack one for this machine: {command}",
            code="bundle.wrong_target",
        )


def check_python(manifest: Manifest, python: str | None, pack_args: str = "") -> None:
    if python is None or not manifest.pythons or python in manifest.pythons:
        return
    serves = ", ".join(manifest.pythons)
    raise UserError(
        f"the bundle's wheels serve Python {serves}, this environment uses Python {python}",
        fix=f"pack a bundle for it: {pack_command(manifest, python=python, pack_args=pack_args)}",
        code="bundle.python",
    )


def pack_command(
    manifest: Manifest, *, target: str | None = None, python: str = "", pack_args: str = ""
) -> str:
    pythons = ",".join(dict.fromkeys([*manifest.pythons, python] if python else manifest.pythons))
    from shlex import quote

    parts = ["bootstrap cache pack"]
    if pack_args:
        parts.append(pack_args)
    elif manifest.profile:
        # Checked against a strict pattern when read; quoted all the same, as every value
        # a fix shows that someone might paste into a shell.
        parts.append(f"--profile {quote(manifest.profile)}")
    else:
        from bootstrap.lockchoice import LockChoice

        lock = LockChoice(
            manifest.project_lock or "uv.lock", "uv", manifest.extras, manifest.groups
        )
        parts.append(f"--project DIR --lock {lock.path}")
        parts += [quote(flag) for flag in lock.uv_flags()]
    parts.append(f"--target {target or manifest.target}")
    if pythons:
        parts.append(f"--python {pythons}")
    parts.append("--out FILE")
    return " ".join(parts)


def _check_uv(bundle: Path, manifest: Manifest, digest: str, pin: UvPin) -> None:
    if manifest.uv_version != pin.version:
        raise UserError(
            f"bundle carries uv {manifest.uv_version}, the pinned uv is {pin.version}",
            fix="pack the bundle again with the repository's current pin",
            code="bundle.uv_version",
        )
    file_name = manifest.uv_artifact.split("/", 1)[1]
    pinned = pin.sha256.get(file_name)
    if pinned is None:
        raise IntegrityError(
            f"{bundle}: the uv artifact {file_name} is not one the pin for uv {pin.version} knows",
            code="bundle.uv_unpinned",
        )
    if digest != pinned.lower():
        raise IntegrityError(
            f"{bundle}: {manifest.uv_artifact} does not match the pinned checksum "
            f"(sha256 {digest}, pinned {pinned})",
            fix="never use this bundle's uv; pack a new bundle",
            code="bundle.uv_checksum",
        )


def _trust(expect: Expect) -> Trust:
    """What vouches for the bundle's wheels: the locks, and the pin's ``self`` lines for
    the bootstrapper's own wheel."""
    pinned = expect.pin.self_wheels if expect.pin is not None else {}
    return trust(expect.locks, pinned=pinned)


def verify(bundle: Path, expect: Expect) -> Verified:
    """Read ``bundle`` once and check everything against ``expect``; writes nothing."""
    r = _Reader(bundle, _trust(expect), staging=None, expect=expect)
    r.read()
    manifest = _check(r, expect)
    return Verified(
        bundle, manifest, bundle.stat().st_size, _wheels(r), r.interpreter, tuple(r.ignored)
    )


def _wheels(r: _Reader) -> tuple[str, ...]:
    return tuple(sorted(n.split("/", 1)[1] for n in r.digests if member_kind(n) == "wheel"))


def clean_stale(root: Path) -> None:
    """Remove ``root/.tmp/<pid>-*`` staging directories whose process is gone (a kill -9
    during an import); install.sh and install.ps1 name theirs the same way."""
    tmp = root / TMP
    if not tmp.is_dir():
        return
    for entry in tmp.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and proc.pid_alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()


def _marker(wheelhouse: Path, bundle_sha: str, expect: Expect) -> Path:
    key = lock_digests(list(expect.locks))[:16]
    pin = expect.pin.version if expect.pin else "-"
    return wheelhouse / IMPORTED / f"{bundle_sha[:32]}-{key}-{pin}.json"


def _has_markers(wheelhouse: Path) -> bool:
    markers = wheelhouse / IMPORTED
    return markers.is_dir() and any(markers.iterdir())


def already_imported(
    bundle: Path, wheelhouse: Path, expect: Expect, python_dir: Path | None = None
) -> Verified | None:
    """The earlier import of this very bundle (same SHA-256, checked against the same
    locks and pin) when its files are all still in the wheelhouse with the bytes that
    were checked then; else None, and the import runs again (which puts back a file
    that was changed or removed: a good bundle repairs a poisoned wheelhouse)."""
    marker = _marker(wheelhouse, sha256_file(bundle), expect)
    try:
        body = json.loads(marker.read_text())
        manifest = Manifest.from_json(json.dumps(body["manifest"]).encode(), str(marker))
        wheels = tuple(str(w) for w in body["wheels"])
        files = body["files"]  # a marker from before files were recorded: import again
        if not isinstance(files, dict):
            return None
        member = body.get("python")
    except (OSError, ValueError, KeyError, TypeError, RecursionError, IntegrityError, UserError):
        return None
    if not all(still_verified(wheelhouse / w, files.get(w)) for w in wheels):
        return None
    interpreter = None
    if isinstance(member, str):
        file = member.split("/", 1)[-1]
        pinned = [it for it in expect.interpreters().interpreters if it.filename == file]
        if not pinned or python_dir is None or not (python_dir / file).is_file():
            return None  # the pin moved, or the archive is gone: read the bundle again
        interpreter = pinned[0]
    check_target(manifest, expect.target, expect.pack_args)
    check_python(manifest, expect.python, expect.pack_args)
    return Verified(bundle, manifest, bundle.stat().st_size, wheels, interpreter)


def file_record(path: Path, sha256: str) -> list[Any]:
    """What an import records of a file it checked: its SHA-256 (the lock's) and what
    changes when the file does -- size, mtime, ctime (which nobody but the kernel sets)
    and inode -- so that the next check re-hashes only a file that changed."""
    st = path.stat()
    return [sha256, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def still_verified(path: Path, record: object) -> bool:
    """``path`` still holds the bytes an import checked (``record``, from
    :func:`file_record`): unchanged since, or re-hashed to the same SHA-256."""
    if not isinstance(record, list) or len(record) != 5 or not isinstance(record[0], str):
        return False
    try:
        st = path.stat()
        if not path.is_file():
            return False
        if [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino] == record[1:]:
            return True
        return sha256_file(path) == record[0]
    except OSError:
        return False


def import_bundle(
    bundle: Path,
    wheelhouse: Path,
    expect: Expect,
    *,
    uv_artifact_dir: Path | None = None,
    python_dir: Path | None = None,
) -> ImportResult:
    """Check ``bundle`` against ``expect`` and put its distribution files into
    ``wheelhouse`` (a flat directory), its uv artifact into ``uv_artifact_dir`` and its
    pinned interpreter archive into ``python_dir`` when given. Refuses the whole bundle,
    writing nothing, on the first file the repository does not vouch for."""
    start = time.monotonic()
    if uv_artifact_dir is None and _has_markers(wheelhouse):
        done = already_imported(bundle, wheelhouse, expect, python_dir)
        if done is not None:
            kept = (
                python_dir / done.interpreter.filename if python_dir and done.interpreter else None
            )
            return ImportResult(
                done,
                wheelhouse,
                0,
                time.monotonic() - start,
                None,
                skipped=True,
                python_archive=kept,
            )
    clean_stale(wheelhouse)
    staging = wheelhouse / TMP / f"{os.getpid()}-import"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        r = _Reader(
            bundle,
            _trust(expect),
            staging=staging,
            keep_uv=uv_artifact_dir is not None,
            expect=expect,
        )
        # One pass: the bundle's own SHA-256 (which names the marker) is taken while its
        # members are read, not by reading the file twice.
        with bundle.open("rb") as fh:
            hashing = HashingFile(fh)
            r.read(hashing)
            bundle_sha = hashing.hexdigest() or sha256_file(bundle)
        marker = _marker(wheelhouse, bundle_sha, expect)
        manifest = _check(r, expect)
        wheels = _wheels(r)
        written = 0
        for name in wheels:
            dst = wheelhouse / name
            if dst.is_file() and sha256_file(dst) == r.digests[f"wheels/{name}"]:
                continue
            (staging / "wheels" / name).replace(dst)  # same filesystem: atomic
            written += 1
        uv_out: Path | None = None
        if uv_artifact_dir is not None:
            uv_artifact_dir.mkdir(parents=True, exist_ok=True)
            uv_out = uv_artifact_dir / manifest.uv_artifact.split("/", 1)[1]
            shutil.move(str(staging / manifest.uv_artifact), uv_out)
        py_out = _place_interpreter(r, staging, python_dir)
        marker.parent.mkdir(parents=True, exist_ok=True)
        body: dict[str, Any] = {
            "bundle_sha256": bundle_sha,
            "manifest": json.loads(manifest.to_json()),
            "wheels": list(wheels),
            "files": {n: file_record(wheelhouse / n, r.digests[f"wheels/{n}"]) for n in wheels},
        }
        if r.interpreter is not None and py_out is not None:
            body["python"] = r.interpreter.member
        tmp_marker = staging / "marker.json"
        tmp_marker.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        tmp_marker.replace(marker)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    verified = Verified(
        bundle, manifest, bundle.stat().st_size, wheels, r.interpreter, tuple(r.ignored)
    )
    return ImportResult(
        verified, wheelhouse, written, time.monotonic() - start, uv_out, python_archive=py_out
    )


def _place_interpreter(r: _Reader, staging: Path, python_dir: Path | None) -> Path | None:
    """Move the checked interpreter archive to ``python_dir`` (where the downloads list
    written from the pin points uv), after checking its layout as uv would."""
    it = r.interpreter
    if it is None or python_dir is None:
        return None
    from bootstrap.python.archive import check_archive

    staged = staging / it.member
    check_archive(
        staged, it.minor, windows="windows" in it.triple, origin=f"{r.bundle}: {it.member}"
    )
    python_dir.mkdir(parents=True, exist_ok=True)
    out = python_dir / it.filename
    staged.replace(out) if _same_fs(staged, python_dir) else shutil.move(str(staged), out)
    return out


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_dev == b.stat().st_dev
    except OSError:
        return False


def fetch_bundle(url: str, dest_dir: Path) -> Path:
    """Download a bundle from ``url`` (https, or http to loopback) into ``dest_dir``
    with :func:`bootstrap.net.download`: one overall deadline, retries, and a partial
    file that takes its final name only when complete (removed otherwise)."""
    from urllib.parse import urlsplit

    from bootstrap.net import download

    check_source(url)
    name = Path(urlsplit(url).path).name or "bundle.tar"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / name
    download(url, dest, code_prefix="bundle")
    return dest


def check_source(source: str) -> None:
    """Refuse a bundle URL that is not https (or http to loopback) up front: bad input,
    exit 2, as `report send --url` and install.sh say it."""
    from bootstrap.net import url_problem

    problem = url_problem(source) if is_url(source) else None
    if problem is not None:
        raise UserError(
            f"refusing cache bundle {problem}",
            fix="serve the bundle over https, or copy it here and pass its path",
            code="bundle.insecure_url",
        )


def is_url(source: str) -> bool:
    """``scheme://...``: a URL (only https, or http to loopback, is then fetched)."""
    import re

    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) is not None


def resolve_bundle(source: str, downloads: Path) -> Path:
    """A bundle given as a path or a URL (https, or http to loopback) -> a local file;
    URLs are downloaded into ``downloads`` (e.g. ``Paths.cache / "bundles"``)."""
    if is_url(source):
        return fetch_bundle(source, downloads)
    path = Path(source).expanduser()
    if not path.is_file():
        raise UserError(
            f"cache bundle {source} does not exist",
            fix="pass the path or https URL of a bundle made by `bootstrap cache pack`",
            code="bundle.missing",
        )
    return path


def peek_manifest(bundle: Path) -> Manifest:
    """The manifest (the first member), unchecked: only to plan (which interpreter the
    bundle says it carries), never to choose what vouches for it; the import checks
    everything against the repository before anything is used."""
    for info, reader in iter_members(bundle, _CHECK_ROOT):
        if info.name == MANIFEST and info.size <= 16 << 20:
            return Manifest.from_json(reader.read(), str(bundle))
        break
    raise IntegrityError(
        f"{bundle}: {MANIFEST} is not the first member; not a cache bundle",
        code="bundle.missing_member",
    )


def tool_lock() -> Path:
    """The bootstrapper's own lock (the repository's top-level uv.lock)."""
    from bootstrap.cache.where import tool_project

    root = tool_project()
    if root is None:
        raise UserError(
            "cannot find the bootstrapper's own uv.lock to check a bundle against",
            fix="run from a checkout of the repository",
            code="bundle.no_tool_lock",
        )
    return root / "uv.lock"


def python_version(python: str, env: Mapping[str, str] | None = None) -> str | None:
    """``"3.12"`` for the interpreter at ``python``, or None if it cannot be asked."""
    from bootstrap import proc

    res = proc.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], env=env, timeout=30
    )
    out = res.stdout.strip()
    return out if res.ok and out else None
