"""Fixtures for the cache tests; see cachekit.py for how the bundle is made."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from cachekit import (
    REPO,
    TINY,
    TINY_LOCK,
    Packed,
    copy_tiny,
    host_target,
    uv_version,
)
from helpers import pypi_reachable

from bootstrap.cache import import_bundle, pack
from bootstrap.cache.pin import repo_pin


@pytest.fixture(scope="session")
def packed(request: pytest.FixtureRequest, uv_bin: Path) -> Packed:
    version = uv_version(uv_bin)
    key = hashlib.sha256(
        (TINY / "uv.lock").read_bytes()
        + (REPO / "uv.lock").read_bytes()
        + (REPO / "bootstrap" / "uv" / "pin.txt").read_bytes()
        + version.encode()
    ).hexdigest()[:16]
    store = Path(request.config.cache.mkdir(f"bootstrap-cache-bundle-{key}"))
    bundle = store / "bundle.tar"
    target = host_target()
    pin = repo_pin()
    if bundle.is_file():
        return Packed(bundle, pin, target)
    if not pypi_reachable():
        pytest.skip("no packed bundle yet and PyPI is not reachable to pack one")
    for stale in store.parent.glob("bootstrap-cache-bundle-*"):
        if stale != store:  # bundles for older locks: 50 MB each
            shutil.rmtree(stale, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "BOOTSTRAP_HOME"}
    pack(
        out=bundle,
        uv=uv_bin,
        target=target,
        project=TINY,
        lock=TINY_LOCK,
        pin=pin,
        profile="tiny",
        tool=REPO,
        env=env,
    )
    return Packed(bundle, pin, target)


@pytest.fixture(scope="session")
def warm_cache(packed: Packed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A uv cache holding exactly what the bundle carries (imported once per session)."""
    cache = tmp_path_factory.mktemp("warm") / "uv-cache"
    import_bundle(packed.path, cache, expected_target=packed.target, pin=packed.pin)
    return cache


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return copy_tiny(tmp_path / "tiny")
