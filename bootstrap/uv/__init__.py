"""The pinned uv: the pin, its sources, download + verify + install.

Public API for `bootstrap up` and friends::

    from bootstrap.uv import ensure
    result = ensure(paths)        # EnsureResult(path, version, action, source, triple)

The names load on first use: importing a submodule (``bootstrap.uv.pin``, which every
profile load reads) runs this file, and the installer behind ``ensure`` (archives, the
HTTP client) is needed only when uv is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.uv.install import EnsureResult, InstallFailed, check_present, ensure
    from bootstrap.uv.pin import Pin, load

__all__ = ["EnsureResult", "InstallFailed", "Pin", "check_present", "ensure", "load"]


def __getattr__(name: str) -> Any:
    if name in ("EnsureResult", "InstallFailed", "check_present", "ensure"):
        from bootstrap.uv.install import EnsureResult, InstallFailed, check_present, ensure

        found: dict[str, Any] = {
            "EnsureResult": EnsureResult,
            "InstallFailed": InstallFailed,
            "check_present": check_present,
            "ensure": ensure,
        }
    elif name in ("Pin", "load"):
        from bootstrap.uv.pin import Pin, load

        found = {"Pin": Pin, "load": load}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update(found)  # bound once, as the eager imports did
    return found[name]
