"""Reading files the same way everywhere: TOML (``tomllib``, or ``tomli`` before Python
3.11) and a file's SHA-256."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

CHUNK = 1 << 20

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

TOMLDecodeError = tomllib.TOMLDecodeError  # a ValueError


def parse_toml(text: str) -> dict[str, Any]:
    """``text`` as TOML; raises :class:`TOMLDecodeError` (a ``ValueError``)."""
    data: dict[str, Any] = tomllib.loads(text)
    return data


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file at ``path`` (UTF-8); raises ``OSError``, ``UnicodeDecodeError`` or
    :class:`TOMLDecodeError`."""
    return parse_toml(path.read_text(encoding="utf-8"))


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hex, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()
