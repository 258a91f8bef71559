"""Fixtures for adopting the bootstrapper in a team's repository.

* ``released``: a copy of this working tree after `bootstrap release` (the wheel built by
  the pinned uv from uv's cache, its `self` line in the copy's pin): built once a session.
* ``seed``: a team project locked against PyPI and its cache bundle (the bootstrapper's
  runtime wheels, the project's, the pinned uv and the released wheel), packed online
  once and kept in pytest's cache; every later run needs no network.
* ``team_index``: a PEP 503 simple index on 127.0.0.1 serving the seed bundle's wheels,
  the pinned uv's wheel and the released bootstrapper.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.network import pypi_reachable
from support.servers import serve_directory
from support.teamkit import (
    LAYOUT,
    MAIN,
    PYPROJECT,
    REPO,
    TARGET,
    Released,
    Seed,
    TeamIndex,
    bootstrap,
    copy_tree,
    write_simple_index,
    write_team,
)


@pytest.fixture(scope="session")
def released(uv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Released:
    from bootstrap.adopt.release import release

    tree = copy_tree(tmp_path_factory.mktemp("release") / "bootstrap")
    try:
        res = release(uv_bin, tree, offline=True)
    except Exception as exc:  # the build backend is not in uv's cache here
        pytest.skip(f"cannot build the wheel offline from uv's cache: {exc}")
    return Released(tree, res.wheel, res.artifact.sha256)


@pytest.fixture(scope="session")
def seed(request: pytest.FixtureRequest, uv_bin: Path, released: Released) -> Seed:
    key = hashlib.sha256(
        PYPROJECT.encode()
        + MAIN.encode()
        + LAYOUT.encode()
        + released.sha256.encode()
        + b"".join(
            (REPO / rel).read_bytes()
            for rel in ("uv.lock", "bootstrap/cache/pack.py", "bootstrap/cache/bundle.py")
        )
    ).hexdigest()[:16]
    store = Path(request.config.cache.mkdir(f"bootstrap-adopt-seed-{key}"))
    project = store / "teamsvc"
    bundle = store / f"teamsvc-{TARGET}.tar"
    if not bundle.is_file():
        if not pypi_reachable():
            pytest.skip("no packed team bundle yet and PyPI is not reachable to pack one")
        for stale in store.parent.glob("bootstrap-adopt-seed-*"):
            if stale != store:
                shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(project, ignore_errors=True)
        write_team(project)
        env = {**os.environ, "UV_SYSTEM_CERTS": "1"}
        subprocess.run(
            [str(uv_bin), "lock", "--project", str(project)],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        partial = bundle.with_suffix(".partial")
        res = bootstrap(
            "cache",
            "pack",
            "--project",
            str(project),
            "--lock",
            "uv.lock",
            "--target",
            TARGET,
            "--self-wheel",
            str(released.wheel),
            "--uv",
            str(uv_bin),
            "--out",
            str(partial),
            pin=released.pin,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        partial.replace(bundle)
    wheels = store / "wheels"
    if not wheels.is_dir():
        partial_dir = store / "wheels.partial"
        shutil.rmtree(partial_dir, ignore_errors=True)
        partial_dir.mkdir()
        with tarfile.open(bundle) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.startswith(("wheels/", "uv/")):
                    data = tar.extractfile(member)
                    assert data is not None
                    (partial_dir / Path(member.name).name).write_bytes(data.read())
        partial_dir.replace(wheels)
    return Seed(project, bundle, wheels)


@pytest.fixture(scope="session")
def team_index(
    seed: Seed, released: Released, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamIndex]:
    root = tmp_path_factory.mktemp("team-index")
    files = sorted(p for p in seed.wheels.iterdir() if p.is_file())
    write_simple_index(root, [*files, released.wheel])
    with serve_directory(root) as srv:
        yield TeamIndex(f"{srv.url}/simple", root, srv.requests)
