"""The official python-build-standalone archives and their SHA-256, as uv knows them.

uv carries its whole downloads list inside its binary (``download-metadata.json``,
generated from the python-build-standalone releases' published SHA256SUMS, minified and
stored as one zstd frame). ``uv python list --output-format json`` prints the URLs but
not the hashes, so they are read from that frame: offline, from the pinned uv that stage
0 already checked against ``bootstrap/uv/pin.txt``. The hashes therefore come from an
artifact the repository vouches for, never from the server the archive comes from.

Decompressing needs zstd: Python 3.14's ``compression.zstd``, else the ``zstd`` program.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import platforms
from bootstrap.errors import UserError

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_JSON_START = b'{"cpython-'
# The embedded list is ~3 MB of JSON (~0.2 MB compressed); anything far larger is not it.
_MAX_OUT = 64 << 20

# Our platform triples -> uv's (os, arch family, libc) for the same archives: uv spells
# the os as platform.system() does, lowercased, and the arch as the triple does.
UV_KEYS: dict[str, tuple[str, str, str]] = {
    triple: (
        info.markers["platform_system"].lower(),
        triple.split("-", 1)[0],
        "musl" if triple == info.uv.musl_triple else "gnu" if info.uv.musl_triple else "none",
    )
    for info in platforms.TABLE.values()
    for triple in (info.uv.triple, info.uv.musl_triple)
    if triple
}


@dataclass(frozen=True)
class Official:
    version: str
    filename: str
    sha256: str
    url: str
    build: str  # the python-build-standalone release tag ("20261110")


def _frames(blob: bytes) -> Iterator[int]:
    start = 0
    while True:
        at = blob.find(_ZSTD_MAGIC, start)
        if at < 0:
            return
        yield at
        start = at + 1


def _decompress(frame: bytes) -> bytes | None:
    if sys.version_info >= (3, 14):  # pragma: no cover - exercised on 3.14 only
        from compression import zstd  # type: ignore[import-not-found, unused-ignore]

        try:
            out: bytes = zstd.ZstdDecompressor().decompress(frame, max_length=_MAX_OUT)
            return out
        except zstd.ZstdError:
            return None
    from bootstrap import proc

    with tempfile.NamedTemporaryFile(suffix=".zst") as tmp:
        tmp.write(frame)
        tmp.flush()
        res = proc.run(["zstd", "-q", "-d", "-c", tmp.name], timeout=60)
    if res.not_found:
        raise UserError(
            "reading uv's list of official Python archives needs zstd (Python 3.14 or the "
            "`zstd` program), and neither is here",
            fix="install zstd (apt-get install zstd, brew install zstd), or pin a file you "
            "have: bootstrap python pin VERSION --archive FILE",
            code="python.no_zstd",
        )
    # The slice runs past the frame's end: zstd stops there with an error after writing
    # the whole frame, so the output counts when it is complete JSON (checked by the caller).
    text = res.stdout
    return text.encode() if text.startswith('{"cpython-') else None


def embedded_list(uv: Path) -> dict[str, Any]:
    """uv's built-in downloads list (key -> entry), read from the ``uv`` binary."""
    blob = uv.read_bytes()
    for at in _frames(blob):
        data = _decompress(blob[at : at + (8 << 20)])
        if data is None or not data.startswith(_JSON_START):
            continue
        try:
            body = json.loads(data)
        except ValueError:
            continue
        if isinstance(body, dict):
            return body
    raise UserError(
        f"{uv} carries no downloads list this tool can read",
        fix="pin a file you have instead: bootstrap python pin VERSION --archive FILE",
        code="python.no_metadata",
    )


def find(entries: Mapping[str, Any], version: str, triple: str) -> Official:
    """The official ``install_only_stripped`` archive of CPython ``version`` for
    ``triple`` (the default build: not free-threaded, not debug)."""
    os_, arch, libc = UV_KEYS[triple]
    offered: set[str] = set()
    for entry in entries.values():
        if not isinstance(entry, dict) or entry.get("name") != "cpython":
            continue
        arch_field = entry.get("arch") or {}
        if (
            entry.get("os") != os_
            or arch_field.get("family") != arch
            or arch_field.get("variant") is not None
            or entry.get("libc") != libc
            or entry.get("variant") not in (None, "default")
            or entry.get("prerelease")
        ):
            continue
        have = f"{entry.get('major')}.{entry.get('minor')}.{entry.get('patch')}"
        offered.add(have)
        if have != version:
            continue
        url = str(entry.get("url") or "")
        sha = entry.get("sha256")
        if not isinstance(sha, str) or len(sha) != 64:
            continue
        from urllib.parse import unquote

        filename = unquote(url.rsplit("/", 1)[-1])
        return Official(version, filename, sha.lower(), url, str(entry.get("build") or ""))
    near = sorted(offered, key=_version_key, reverse=True)[:6]
    raise UserError(
        f"uv's list of official archives has no CPython {version} for {triple}",
        fix="pin one it has (" + ", ".join(near) + ")" if near else "pin another version",
        code="python.no_official",
    )


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))
