"""Fixtures for the end-to-end `bootstrap up` tests.

* ``tree``: a copy of this working tree (what git tracks or would track) in a temp dir,
  so project environments and state never touch the checkout.
* ``bundle``: real cache bundles packed online once (``bootstrap cache pack --profile P
  --target T``) and kept in pytest's cache, keyed by the locks and the uv pin; without
  them and without PyPI the tests that need one skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO
from support.machine import copy_tree
from support.network import pypi_reachable

PROFILE_PROJECTS = {
    "python-service": REPO / "examples" / "python-service",
    "ai-training": REPO / "examples" / "ai-training",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path / "repo")


@pytest.fixture(scope="session")
def bundle(request: pytest.FixtureRequest, uv_bin: Path) -> Callable[[str, str], Path]:
    made: dict[tuple[str, str], Path] = {}

    def get(profile: str, target: str) -> Path:
        if (profile, target) in made:
            return made[(profile, target)]
        key = hashlib.sha256(
            (REPO / "uv.lock").read_bytes()
            + (PROFILE_PROJECTS[profile] / "uv.lock").read_bytes()
            + (REPO / "profiles" / f"{profile}.toml").read_bytes()
            + (REPO / "bootstrap" / "uv" / "pin.txt").read_bytes()
            + (REPO / "bootstrap" / "cache" / "bundle.py").read_bytes()
            + (REPO / "bootstrap" / "cache" / "pack.py").read_bytes()
        ).hexdigest()[:16]
        store = Path(request.config.cache.mkdir(f"bootstrap-up-bundle-{profile}-{key}"))
        path = store / f"{profile}-{target}.tar"
        if not path.is_file():
            if not pypi_reachable():
                pytest.skip("no packed bundle yet and PyPI is not reachable to pack one")
            for stale in store.parent.glob(f"bootstrap-up-bundle-{profile}-*"):
                if stale != store:
                    shutil.rmtree(stale, ignore_errors=True)
            env = {k: v for k, v in os.environ.items() if k != "BOOTSTRAP_HOME"}
            partial = path.with_suffix(".partial")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bootstrap",
                    "cache",
                    "pack",
                    "--profile",
                    profile,
                    "--target",
                    target,
                    "--out",
                    str(partial),
                    "--uv",
                    str(uv_bin),
                ],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
            )
            partial.replace(path)
        made[(profile, target)] = path
        return path

    return get


# Projects in real shapes (tests/support/realshapes.py), locked and packed online once.
_TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"
_TEAM_TARGET = "linux-x86_64-cpu"


@pytest.fixture(scope="session")
def team_bundle(request: pytest.FixtureRequest, uv_bin: Path) -> Path:
    """The team repository's bundle (tests/fixtures/teamrepo: `bootstrap cache pack
    --profile <its bootstrap.toml>`, the tests group and the bootstrapper's runtime),
    packed online once and kept in pytest's cache, keyed by everything that decides its
    contents."""
    key = hashlib.sha256(
        b"".join(
            p.read_bytes()
            for p in (
                REPO / "uv.lock",
                _TEAMREPO / "uv.lock",
                _TEAMREPO / "bootstrap.toml",
                REPO / "bootstrap" / "uv" / "pin.txt",
                REPO / "bootstrap" / "cache" / "bundle.py",
                REPO / "bootstrap" / "cache" / "pack.py",
            )
        )
    ).hexdigest()[:16]
    store = Path(request.config.cache.mkdir(f"bootstrap-teamrepo-bundle-{key}"))
    path = store / f"teamrepo-{_TEAM_TARGET}.tar"
    if not path.is_file():
        if not pypi_reachable():
            pytest.skip("no packed bundle yet and PyPI is not reachable to pack one")
        partial = path.with_suffix(".partial")
        env = {k: v for k, v in os.environ.items() if k != "BOOTSTRAP_HOME"}
        res = subprocess.run(
            [sys.executable, "-m", "bootstrap", "cache", "pack", "--profile",
             str(_TEAMREPO / "bootstrap.toml"), "--target", _TEAM_TARGET, "--out", str(partial),
             "--uv", str(uv_bin), "--json"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=900,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        partial.replace(path)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BOOTSTRAP_HOME in a temporary directory, holding a copy of the pinned uv the suite
    runs under (installed by install.sh: its marker is there), so `up` needs no network
    to get it."""
    from bootstrap.uv.install import MARKER

    running = os.environ.get("UV")
    source = Path(running).parent if running else None
    if source is None or not (source / MARKER).is_file():
        pytest.skip("the suite is not running under an install.sh-installed uv (no marker)")
    root = tmp_path / "bootstrap-home"
    shutil.copytree(source, root / "data" / "uv" / source.name)
    monkeypatch.setenv("BOOTSTRAP_HOME", str(root))
    return root


@pytest.fixture(scope="session")
def shape(request: pytest.FixtureRequest, uv_bin: Path) -> Callable[[str], tuple[Path, Path]]:
    """name -> (the locked project, its bundle), made online once per content."""
    made: dict[str, tuple[Path, Path]] = {}

    def get(name: str) -> tuple[Path, Path]:
        if name in made:
            return made[name]
        from support import realshapes

        key = hashlib.sha256(
            realshapes.source_text(name)
            + b"".join(
                (REPO / rel).read_bytes()
                for rel in (
                    "uv.lock",
                    "bootstrap/uv/pin.txt",
                    "bootstrap/cache/bundle.py",
                    "bootstrap/cache/pack.py",
                    "bootstrap/policy/buildlock.py",
                    "bootstrap/cache/locks.py",
                )
            )
        ).hexdigest()[:16]
        store = Path(request.config.cache.mkdir(f"bootstrap-shape-{name}-{key}"))
        project, bundle = store / name, store / f"{name}.tar"
        if not (store / "done").is_file():
            if not pypi_reachable():
                pytest.skip("no packed bundle yet and PyPI is not reachable to pack one")
            for stale in store.parent.glob(f"bootstrap-shape-{name}-*"):
                if stale != store:
                    shutil.rmtree(stale, ignore_errors=True)
            shutil.rmtree(project, ignore_errors=True)
            realshapes.write(name, project)
            env = {
                k: v for k, v in os.environ.items() if k not in ("BOOTSTRAP_HOME", "VIRTUAL_ENV")
            }
            steps = [
                [str(uv_bin), "lock", "--project", str(project)],
                [sys.executable, "-m", "bootstrap", "lock", "--project", str(project),
                 "--uv", str(uv_bin)],
                [sys.executable, "-m", "bootstrap", "cache", "pack", "--project", str(project),
                 "--out", str(bundle), "--uv", str(uv_bin)],
            ]  # fmt: skip
            for argv in steps:
                res = subprocess.run(
                    argv,
                    cwd=REPO,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
                assert res.returncode == 0, f"{argv}\n{res.stdout}\n{res.stderr}"
            (store / "done").write_text("ok")
        made[name] = (project, bundle)
        return made[name]

    return get
