"""Where the cache code gets the pinned uv from.

The pin itself belongs to :mod:`bootstrap.uv`; this module only adapts it to the small
:class:`~bootstrap.cache.bundle.UvPin` the bundle code checks against, or builds one
from explicit values (``--uv-artifact FILE --uv-sha256 HEX`` on the command line).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from bootstrap.cache.bundle import UvPin


def repo_pin() -> UvPin | None:
    """The repository's uv pin, when bootstrap.uv provides one: an object with a
    ``version`` and a mapping of artifact file name -> sha256 (``sha256`` or
    ``artifacts``). None when no pin module is available."""
    for module_name in ("bootstrap.uv.pin", "bootstrap.uv"):
        try:
            module: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        loader = getattr(module, "load_pin", None) or getattr(module, "current_pin", None)
        pin: Any = loader() if callable(loader) else getattr(module, "PIN", None)
        if pin is None:
            continue
        version = getattr(pin, "version", None)
        digests = getattr(pin, "sha256", None) or getattr(pin, "artifacts", None)
        if isinstance(version, str) and isinstance(digests, Mapping):
            return UvPin(version, _digests(digests))
    return None


def _digests(raw: Mapping[Any, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw.items():
        digest = value if isinstance(value, str) else getattr(value, "sha256", None)
        name = getattr(value, "file_name", None) or getattr(value, "filename", None) or key
        if isinstance(digest, str) and isinstance(name, str):
            out[name] = digest.lower()
    return out
