"""How ``bootstrap up`` uses a cache bundle: small calls for its steps.

* :func:`ensure_uv` -- the pinned uv, taken from the bundle when it is not installed
  (``bootstrap up --cache-bundle FILE`` without stage 0, on a machine with no network);
* :func:`import_for_plan` -- the bundle's files, checked against the repository's locks,
  the pin, the plan's target and the Python the environment will use;
* :func:`wheelhouse` -- where the sync finds them (or None: no bundle was imported);
* :func:`imported_before` -- this very bundle was imported already (a re-run with the
  same ``--cache-bundle`` can then be a no-op like any other);
* :func:`bundle_pythons` -- the pinned interpreters a bundle says it carries, for the plan
  (what it really carries is checked against the pin when it is imported).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap.cache.where import IMPORTED, tool_project
from bootstrap.errors import IntegrityError

if TYPE_CHECKING:
    from bootstrap.cache.importer import ImportResult
    from bootstrap.paths import Paths
    from bootstrap.uv.install import EnsureResult

# The importer (tarfile, the bundle format, the lock readers) is imported by the calls
# that read a bundle: every `bootstrap up` asks `wheelhouse`, few carry a bundle.


def locks_for(project_lock: Path) -> list[Path]:
    """The lock files that vouch for a bundle's files: the project's, the locks of the
    profile's pinned tools and of the project's build backend beside it (when there are),
    and (from a checkout) the bootstrapper's own."""
    from bootstrap.cache.locks import BUILD_LOCK, TOOLS_LOCK

    tool = tool_project()
    beside = [project_lock.parent / name for name in (TOOLS_LOCK, BUILD_LOCK)]
    return (
        [project_lock]
        + [p for p in beside if p.is_file()]
        + ([tool / "uv.lock"] if tool is not None else _runtime_lock())
    )


def _runtime_lock() -> list[Path]:
    """Run from its released wheel (no checkout), the bootstrapper's runtime lock is the
    one the wheel carries: the pin's checksum of the wheel vouches for it."""
    lock = Path(__file__).resolve().parent.parent / "runtime.pylock.toml"
    return [lock] if lock.is_file() else []


def ensure_uv(
    source: str | None, paths: Paths, *, sources: tuple[str, ...] | None = None
) -> EnsureResult:
    """The pinned uv: as installed, else (with a bundle) from the bundle's uv artifact,
    checked against the pin like any other source; else from ``sources`` in order (None:
    bootstrap.uv.sources' order)."""
    from bootstrap.uv import ensure, load
    from bootstrap.uv.install import check_present
    from bootstrap.uv.platform import detect_triple

    if source is None:
        return ensure(paths, sources=sources)
    pin = load()
    triple = detect_triple(os.environ)
    if check_present(paths.uv_dir(pin.version), pin, triple, verify=False)[0]:
        return ensure(paths)
    import tempfile

    from bootstrap.cache.importer import resolve_bundle

    bundle = resolve_bundle(source, paths.cache / "bundles")
    wanted = {a.filename: a.sha256 for a in (pin.for_triple(triple, k) for k in KINDS) if a}
    with tempfile.TemporaryDirectory(prefix=".bootstrap-uv-", dir=_mkdir(paths.cache)) as tmp:
        from bootstrap.cache.bundle import hash_stream, iter_members, member_kind
        from bootstrap.net import is_no_space, no_space

        out = Path(tmp)
        # Only the pinned uv artifact is written, and only when the pin vouches for it:
        # a bundle without it, or with other bytes, is a refused bundle (exit 2), like
        # everything else a bundle holds that the repository does not vouch for.
        found: list[str] = []
        for info, reader in iter_members(bundle, out):
            if member_kind(info.name) != "uv":
                continue
            name = info.name.split("/", 1)[1]
            found.append(name)
            if name not in wanted:
                continue
            try:
                with (out / name).open("wb") as fh:
                    digest = hash_stream(reader, bundle, sink=fh)
            except OSError as exc:
                if is_no_space(exc):  # the machine's answer, not a broken bundle
                    raise no_space(paths.cache) from None
                raise
            if digest != wanted[name]:
                raise IntegrityError(
                    f"{bundle}: {info.name} does not match the pinned checksum (sha256 "
                    f"{digest}, pinned {wanted[name]}); refusing the bundle",
                    fix="never use this bundle's uv; pack a new bundle from this repository",
                    code="bundle.uv_checksum",
                )
            env = dict(os.environ, BOOTSTRAP_UV_LOCAL=str(out / name))
            return ensure(paths, sources=["local"], environ=env, pin=pin)
    raise IntegrityError(
        f"{bundle}: carries no pinned uv {pin.version} for {triple} (expected "
        f"{' or '.join(sorted(wanted)) or 'none pinned'}; found {', '.join(found[:3]) or 'none'})",
        fix="pack the bundle for this machine with this repository's pin: bootstrap cache pack",
        code="bundle.uv_missing",
    )


KINDS = ("wheel", "archive")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_for_plan(
    source: str,
    paths: Paths,
    *,
    target: str,
    project_lock: Path,
    python: str | None,
    env: Mapping[str, str] | None = None,
    pack_args: str = "",
) -> ImportResult:
    """Check the bundle against the project's lock and the bootstrapper's own, the uv
    pin, the plan's ``target`` and the version of the ``python`` interpreter, and put its
    files into the wheelhouse (skipped when this bundle was already imported).
    ``pack_args``: how this machine names the profile to `cache pack` (for the fixes)."""
    from bootstrap.cache.importer import Expect, import_bundle, python_version, resolve_bundle
    from bootstrap.cache.pin import repo_pin

    bundle = resolve_bundle(source, paths.cache / "bundles")
    version = python_version(python, env) if python else None
    expect = Expect(
        locks=locks_for(project_lock),
        pin=repo_pin(),
        target=target,
        python=version,
        pack_args=pack_args,
    )
    return import_bundle(bundle, paths.wheelhouse, expect, python_dir=paths.python_archives)


def bundle_pythons(source: str | None) -> tuple[tuple[str, str, str, str], ...]:
    """(triple, version, file name, sha256) of each interpreter the repository's Python
    pin names that the bundle's manifest lists as a ``python/<file>`` member; () for no
    bundle, a URL (not fetched to plan), or a bundle that cannot be read (the import
    step says why)."""
    from bootstrap.cache.importer import peek_manifest
    from bootstrap.errors import BootstrapError
    from bootstrap.python.pin import load

    if not source or source.startswith(("https://", "http://")):
        return ()
    path = Path(source).expanduser()
    if not path.is_file():
        return ()
    import tarfile

    try:
        members = peek_manifest(path).members
        pin = load()
    except (BootstrapError, OSError, tarfile.TarError, ValueError, RecursionError):
        return ()  # a truncated or odd bundle: the import step refuses it, in one line
    return tuple(
        (it.triple, it.version, it.filename, it.sha256)
        for it in pin.interpreters
        if it.member in members
    )


def wheelhouse(paths: Paths) -> Path | None:
    """The wheelhouse when a bundle was imported into it, else None."""
    return paths.wheelhouse if (paths.wheelhouse / IMPORTED).is_dir() else None


def imported_before(source: str | None, paths: Paths) -> bool:
    """True when ``source`` (a local file) was imported before: its SHA-256 names a
    marker in the wheelhouse. What it was checked against is the no-op check's business:
    that compares the lock files' digests with the last success."""
    from bootstrap.cache.importer import is_url
    from bootstrap.files import sha256_file

    if not source or is_url(source):
        return False
    path = Path(source).expanduser()
    markers = paths.wheelhouse / IMPORTED
    if not path.is_file() or not markers.is_dir():
        return False
    prefix = sha256_file(path)[:32] + "-"
    return any(m.name.startswith(prefix) for m in markers.iterdir())
