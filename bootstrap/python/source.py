"""Get a pinned interpreter archive onto this machine (to pin it or to pack it).

From a file given on the command line, from the pin's ``file://`` URL, or downloaded from
its ``https://`` URL (the team's mirror, or GitHub where python-build-standalone
publishes) into the download cache. Whatever the source, the file is used only when its
SHA-256 is the expected one and its layout passes :func:`archive.check_archive`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from bootstrap.errors import IntegrityError, UserError
from bootstrap.files import sha256_file
from bootstrap.python.archive import check_archive
from bootstrap.python.pin import Interpreter


def local_path(url: str) -> Path | None:
    """The file a ``file:///`` URL names, else None."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def fetch(url: str, dest_dir: Path, filename: str) -> Path:
    """``url`` as a local file: a ``file://`` URL or a path as it is, else downloaded."""
    local = local_path(url) if "://" in url else Path(url).expanduser()
    if local is not None:
        if not local.is_file():
            raise UserError(f"{local}: no such file", code="python.archive_missing")
        return local
    from bootstrap.net import check_url, download

    check_url(url)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / filename
    download(url, dest, code_prefix="python")
    return dest


def checked(path: Path, it: Interpreter, origin: str = "") -> Path:
    """``path`` when it is the pinned archive of ``it``; else refuse it, naming both hashes."""
    digest = sha256_file(path)
    if digest != it.sha256:
        raise IntegrityError(
            f"{origin or path}: sha256 {digest}, the pin for {it.triple} says {it.sha256}",
            fix="use the archive the pin names (bootstrap/python/pin.txt), or pin this one: "
            f"bootstrap python pin {it.version} --archive FILE",
            code="python.archive_checksum",
        )
    check_archive(path, it.minor, windows="windows" in it.triple, origin=origin or str(path))
    return path


def archive_for(it: Interpreter, cache: Path, given: Path | None = None) -> Path:
    """The pinned archive of ``it``, checked: ``given``, else from the pin's URL (a
    download kept in ``cache`` and reused while its hash is right)."""
    if given is not None:
        return checked(given, it)
    kept = cache / it.filename
    if kept.is_file() and sha256_file(kept) == it.sha256:
        return checked(kept, it)
    return checked(fetch(it.url, cache, it.filename), it, origin=it.url)
