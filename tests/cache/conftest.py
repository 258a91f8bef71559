"""Fixtures for the cache tests; see tests/support/bundles.py for how the bundle is made."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import REPO
from support.bundles import TINY, TINY_LOCK, Packed, copy_tiny, host_target, uv_version
from support.network import pypi_reachable

from bootstrap.cache.pack import pack
from bootstrap.cache.pin import repo_pin


@pytest.fixture(scope="session")
def packed(request: pytest.FixtureRequest, uv_bin: Path) -> Packed:
    version = uv_version(uv_bin)
    key = hashlib.sha256(
        (TINY / "uv.lock").read_bytes()
        + (REPO / "uv.lock").read_bytes()
        + (REPO / "bootstrap" / "uv" / "pin.txt").read_bytes()
        + (REPO / "bootstrap" / "cache" / "bundle.py").read_bytes()
        + (REPO / "bootstrap" / "cache" / "pack.py").read_bytes()
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
def warm_cache(request: pytest.FixtureRequest, uv_bin: Path) -> Path:
    """A uv cache warmed by real online syncs of the tiny project (with its extra and
    group) and of this repository: a machine that synced before, no bundle involved.
    Made once and kept in pytest's cache directory; the tests copy it."""
    key = hashlib.sha256(
        (TINY / "uv.lock").read_bytes()
        + (REPO / "uv.lock").read_bytes()
        + uv_version(uv_bin).encode()
    ).hexdigest()[:16]
    store = Path(request.config.cache.mkdir(f"bootstrap-warm-cache-{key}"))
    cache = store / "uv-cache"
    if (store / "done").is_file():
        return cache
    if not pypi_reachable():
        pytest.skip("no warm cache yet and PyPI is not reachable to make one")
    shutil.rmtree(cache, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("BOOTSTRAP_HOME", "VIRTUAL_ENV")}
    env["UV_CACHE_DIR"] = str(cache)
    for project, extra in ((TINY, ["--extra", "net", "--group", "test"]), (REPO, [])):
        venv = store / f"venv-{project.name}"
        subprocess.run(
            [str(uv_bin), "sync", "--frozen", "--project", str(project), *extra],
            env=dict(env, UV_PROJECT_ENVIRONMENT=str(venv)),
            check=True,
            capture_output=True,
        )
        shutil.rmtree(venv, ignore_errors=True)
    (store / "done").write_text("ok")
    return cache


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return copy_tiny(tmp_path / "tiny")
