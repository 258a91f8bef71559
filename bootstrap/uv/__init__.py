"""The pinned uv: the pin, its sources, download + verify + install.

Public API for `bootstrap up` and friends::

    from bootstrap.uv import ensure
    result = ensure(paths)        # EnsureResult(path, version, action, source, triple)
"""

from __future__ import annotations

from bootstrap.uv.install import EnsureResult, InstallFailed, check_present, ensure
from bootstrap.uv.pin import Pin, load

__all__ = ["EnsureResult", "InstallFailed", "Pin", "check_present", "ensure", "load"]
