"""``cache pack --with-python``: which archive goes into the bundle, and for which Python.

The interpreter is the one the repository's pin names for the bundle's target; its file
is checked against the pin's SHA-256 and uv's layout rules before it is packed, and the
bundle's wheels must serve its version (so the environment made with it can install).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bootstrap.errors import UserError


def for_bundle(
    target: str, pythons: Sequence[str], given: Path | None = None
) -> tuple[tuple[str, Path], tuple[str, ...]]:
    """((member name, checked archive), the Python versions the wheels must serve)."""
    from bootstrap.cache.targets import parse_target
    from bootstrap.paths import Paths
    from bootstrap.python.pin import load
    from bootstrap.python.source import archive_for

    pin = load()
    triple = parse_target(target).uv_platform.triple
    it = pin.for_triple(triple)
    if it is None:
        raise UserError(
            f"--with-python: {pin.origin} pins no interpreter for {triple} ({target})",
            fix=f"pin one and commit it: bootstrap python pin 3.X.Y --target {target}",
            code="cache.no_python_pin",
        )
    if pythons and it.minor not in pythons:
        raise UserError(
            f"--with-python carries CPython {it.version}, but --python {','.join(pythons)} "
            f"leaves out {it.minor}: its environment could not install the wheels",
            fix=f"add it: --python {','.join([*pythons, it.minor])}",
            code="cache.python_mismatch",
        )
    archive = archive_for(it, Paths.from_env().interpreter_downloads, given)
    return (it.member, archive), (tuple(pythons) or (it.minor,))
