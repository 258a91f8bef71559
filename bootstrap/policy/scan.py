"""Which files of a repository the checks read: CI configurations, Makefiles, justfiles
and scripts, found by name (never inside virtual environments, caches or .git)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
             ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", "dist",
             "build"}  # fmt: skip
CI_GLOBS = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".github/actions/*/action.yml",
    ".github/actions/*/action.yaml",
    ".gitlab-ci.yml",
    ".gitlab/ci/*.yml",
    ".pre-commit-config.yaml",
    ".pre-commit-config.yml",
    "azure-pipelines.yml",
    ".circleci/config.yml",
    "Jenkinsfile",
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
)
BUILD_NAMES = ("Makefile", "makefile", "GNUmakefile", "justfile", "Justfile", ".justfile")
SCRIPT_SUFFIXES = (".sh", ".bash", ".ps1", ".mk", ".cmd", ".bat")
MAX_BYTES = 1_000_000


def rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def read_lines(path: Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return []
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        base = Path(dirpath)
        for name in sorted(filenames):
            yield base / name


def ci_files(root: Path) -> list[Path]:
    out = []
    for path in _walk(root):
        r = rel(path, root)
        if any(fnmatch.fnmatchcase(r, g) for g in CI_GLOBS):
            out.append(path)
    return out


def install_files(root: Path) -> list[Path]:
    """CI configurations, Makefiles, justfiles and scripts: where check (e) looks."""
    out = []
    ci = set(ci_files(root))
    for path in _walk(root):
        listed = path in ci or path.name in BUILD_NAMES or path.suffix in SCRIPT_SUFFIXES
        if listed or (path.parent.name in ("scripts", "bin", "tools") and _has_shebang(path)):
            out.append(path)
    return out


def _has_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False
