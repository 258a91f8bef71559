"""Offline cache bundles: pack one on a machine with network, verify and import it on a
machine without. The format is documented in :mod:`bootstrap.cache.bundle`; what vouches
for a bundle's files in :mod:`bootstrap.cache.locks`."""

from __future__ import annotations

from bootstrap.cache.bundle import FORMAT, Manifest, UvPin
from bootstrap.cache.importer import (
    Expect,
    ImportResult,
    Verified,
    already_imported,
    fetch_bundle,
    import_bundle,
    resolve_bundle,
    verify,
)
from bootstrap.cache.pack import PackResult, pack
from bootstrap.cache.targets import Target, parse_target

__all__ = [
    "FORMAT",
    "Expect",
    "ImportResult",
    "Manifest",
    "PackResult",
    "Target",
    "UvPin",
    "Verified",
    "already_imported",
    "fetch_bundle",
    "import_bundle",
    "pack",
    "parse_target",
    "resolve_bundle",
    "verify",
]
