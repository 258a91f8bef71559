"""Helpers for the adoption tests: a team's repository, the released wheel, a PEP 503
index, a new machine's environment. The fixtures that use them are in conftest.py."""

from __future__ import annotations

import hashlib
import html
import io
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Seed:
    project: Path  # the team project locked against PyPI (template: copy it)
    bundle: Path  # its cache bundle for TARGET, with the released wheel
    wheels: Path  # every wheel and the uv artifact of the bundle, unpacked


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
