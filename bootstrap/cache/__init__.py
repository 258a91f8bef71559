"""Offline cache bundles: pack one on a machine with network, verify and import it on a
machine without. The format is documented in :mod:`bootstrap.cache.bundle`; what vouches
for a bundle's files in :mod:`bootstrap.cache.locks`.

The names load on first use: `bootstrap up` without a bundle imports only
:mod:`bootstrap.cache.use` (is there a wheelhouse?), and running this file must not
load the packer and the importer for it. The packer is ``bootstrap.cache.pack.pack``
(a name here would be shadowed by the submodule ``pack`` once that is imported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from bootstrap.cache.targets import Target, parse_target

__all__ = [
    "FORMAT",
    "Expect",
    "ImportResult",
    "Manifest",
    "Target",
    "UvPin",
    "Verified",
    "already_imported",
    "fetch_bundle",
    "import_bundle",
    "parse_target",
    "resolve_bundle",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name in ("FORMAT", "Manifest", "UvPin"):
        from bootstrap.cache.bundle import FORMAT, Manifest, UvPin

        found: dict[str, Any] = {"FORMAT": FORMAT, "Manifest": Manifest, "UvPin": UvPin}
    elif name in ("Target", "parse_target"):
        from bootstrap.cache.targets import Target, parse_target

        found = {"Target": Target, "parse_target": parse_target}
    elif name in __all__:
        from bootstrap.cache import importer

        found = {name: getattr(importer, name)}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update(found)  # bound once, as the eager imports did
    return found[name]
