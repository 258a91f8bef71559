"""Where the cache code gets the pinned uv from.

The pin itself belongs to :mod:`bootstrap.uv.pin` (``bootstrap/uv/pin.txt``); this module
only adapts it to the small :class:`~bootstrap.cache.bundle.UvPin` the bundle code checks
against: the version, and the SHA-256 of every artifact file the pin allows.
"""

from __future__ import annotations

from collections.abc import Mapping

from bootstrap.cache.bundle import UvPin


def repo_pin(environ: Mapping[str, str] | None = None) -> UvPin:
    """The repository's uv pin (``BOOTSTRAP_UV_PIN_FILE`` may point at another file).
    A missing or malformed pin raises ConfigError naming the file and line."""
    from bootstrap.uv import pin as uv_pin

    pin = uv_pin.load(environ)
    return UvPin(
        pin.version,
        {a.filename: a.sha256 for a in pin.artifacts},
        {s.filename: s.sha256 for s in pin.self_artifacts},
    )
