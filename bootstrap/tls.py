"""TLS like the rest of the machine: when uv should trust the system's certificates.

uv verifies TLS against its own built-in roots (webpki) unless told to use the system's
certificate store (``--system-certs`` / ``UV_SYSTEM_CERTS`` in uv 0.13; ``--native-tls``
/ ``UV_NATIVE_TLS`` before it, still honoured). Behind a TLS-inspecting proxy the
organisation's CA is in the system store, so curl, Python and install.sh's downloads
work while uv fails with ``invalid peer certificate: UnknownIssuer``.

Three ways in, all ending in ``UV_SYSTEM_CERTS=1`` for every uv call of the run: the
profile's ``[sync] system_certs = true``; stage 0 found it out (install.sh retries uv
with it when uv's roots fail and curl's store works, and remembers that); or a uv
download in the sync failed TLS while the system store trusts the same server
(:func:`bootstrap.sync.sync` retries once). A failure that is the network's or TLS's
either way is a :class:`~bootstrap.errors.DownloadFailed` (exit 10), not bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping

SYSTEM_CERTS = "UV_SYSTEM_CERTS"
_ALSO = ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS")
_TRUE = ("1", "true", "yes", "on")

# uv 0.13's words for a certificate it does not trust, and for a network it cannot use.
_TLS_SIGNS = (
    "invalid peer certificate",
    "UnknownIssuer",
    "certificate verify failed",
    "enabling use of system TLS certificates",
)
_NETWORK_SIGNS = (
    "error sending request",
    "dns error",
    "failed to lookup address",
    "Connection refused",
    "client error (Connect)",
    "tcp connect error",
    "operation timed out",
)
_URL = re.compile(r"error sending request for url \((https?://[^)\s]+)\)")


def enabled(env: Mapping[str, str]) -> bool:
    return any(env.get(var, "").strip().lower() in _TRUE for var in _ALSO)


def enable(env: MutableMapping[str, str]) -> None:
    env[SYSTEM_CERTS] = "1"


def classify(stderr: str) -> str | None:
    """ "tls", "network", or None (a failure of another kind) for uv's error output."""
    if any(sign in stderr for sign in _TLS_SIGNS):
        return "tls"
    if any(sign in stderr for sign in _NETWORK_SIGNS):
        return "network"
    return None


def failing_url(stderr: str) -> str | None:
    """The URL uv could not fetch, as it names it."""
    found = _URL.search(stderr)
    return found.group(1) if found else None


def note(why: str) -> str:
    return (
        f"TLS: uv now trusts the system's certificate store (UV_SYSTEM_CERTS=1) for every "
        f"uv call of this run: {why}"
    )
