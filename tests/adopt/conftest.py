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
import html
import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import pypi_reachable, serve_directory

REPO = Path(__file__).resolve().parents[2]
TARGET = "linux-x86_64-cpu"
LAYOUT = "teamsvc"  # the package's directory in the team's repository

PYPROJECT = """\
[project]
name = "teamsvc"
version = "0.3.0"
description = "A team's service: its own repository, no bootstrapper source."
requires-python = ">=3.9"
dependencies = ["bottle"]

[dependency-groups]
dev = ["bottle"]

[tool.uv]
package = false
"""

MAIN = """\
import sys

import bottle

print(f"teamsvc first run ok (bottle {bottle.__version__}, python {sys.version_info[0]})")
"""


def write_team(root: Path) -> Path:
    """The team's repository: pyproject.toml, a package with __main__ (not built: the
    first run finds it in the working directory), git-initialised."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    pkg = root / LAYOUT
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text('"""teamsvc."""\n')
    (pkg / "__main__.py").write_text(MAIN)
    git(root, "init", "-q")
    return root


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    res = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return res.stdout


def bootstrap(
    *args: str, pin: Path, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`python -m bootstrap ARGS` from this checkout, reading the released pin."""
    env = {**os.environ, "BOOTSTRAP_UV_PIN_FILE": str(pin)}
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_tree(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        rel = raw.decode()
        if not rel or not (REPO / rel).is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    return dest


@dataclass(frozen=True)
class Released:
    tree: Path  # the bootstrapper's checkout (a copy) after `bootstrap release`
    wheel: Path
    sha256: str

    @property
    def pin(self) -> Path:
        return self.tree / "bootstrap" / "uv" / "pin.txt"


@pytest.fixture(scope="session")
def released(uv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Released:
    from bootstrap.adopt.release import release

    tree = copy_tree(tmp_path_factory.mktemp("release") / "bootstrap")
    try:
        res = release(uv_bin, tree, offline=True)
    except Exception as exc:  # the build backend is not in uv's cache here
        pytest.skip(f"cannot build the wheel offline from uv's cache: {exc}")
    return Released(tree, res.wheel, res.artifact.sha256)


@dataclass(frozen=True)
class Seed:
    project: Path  # the team project locked against PyPI (template: copy it)
    bundle: Path  # its cache bundle for TARGET, with the released wheel
    wheels: Path  # every wheel and the uv artifact of the bundle, unpacked


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


def write_simple_index(root: Path, files: list[Path]) -> None:
    """A PEP 503 simple index: /simple/<project>/ links to /files/<file>#sha256=..."""
    (root / "files").mkdir(parents=True, exist_ok=True)
    by_project: dict[str, list[Path]] = {}
    for f in files:
        shutil.copy2(f, root / "files" / f.name)
        name = f.name.split("-", 1)[0].replace("_", "-").replace(".", "-").lower()
        by_project.setdefault(name, []).append(f)
    for name, found in by_project.items():
        page = root / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        links = "".join(
            f'<a href="../../files/{html.escape(f.name)}#sha256='
            f'{hashlib.sha256(f.read_bytes()).hexdigest()}">{html.escape(f.name)}</a><br>\n'
            for f in found
        )
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    names = "".join(f'<a href="{n}/">{n}</a><br>\n' for n in sorted(by_project))
    (root / "simple" / "index.html").write_text(f"<html><body>\n{names}</body></html>\n")


@dataclass
class TeamIndex:
    url: str  # .../simple
    root: Path
    requests: list[tuple[str, str]]


@pytest.fixture(scope="session")
def team_index(
    seed: Seed, released: Released, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamIndex]:
    root = tmp_path_factory.mktemp("team-index")
    files = sorted(p for p in seed.wheels.iterdir() if p.is_file())
    write_simple_index(root, [*files, released.wheel])
    with serve_directory(root) as srv:
        yield TeamIndex(f"{srv.url}/simple", root, srv.requests)


def fresh_env(base: Path, **extra: str) -> dict[str, str]:
    """A new machine's environment: its own HOME, data dirs and uv cache."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base / "home"),
        "BOOTSTRAP_HOME": str(base / "bootstrap-home"),
        "UV_CACHE_DIR": str(base / "uv-cache"),
        "BOOTSTRAP_NO_METRICS": "1",
        "BOOTSTRAP_RETRY_DELAY": "0",
        "LANG": "C.UTF-8",
    }
    (base / "home").mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
