"""Fixture projects for the policy commands (tests/policy/projects): a copy with a
profile, and a hash of a whole tree (to prove a command changed nothing)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from support import TESTS

PROJECTS = TESTS / "policy" / "projects"

SPLIT_PROFILE = """\
name = "split"
[project]
path = "project"
python = ">=3.9"

[[locks]]
kind = "pylock"
path = "pylock.{target}.toml"

[[locks]]
kind = "uv"
platforms = ["linux-x86_64", "macos-arm64"]
[locks.variants.cpu]
extras = ["cpu"]
[locks.variants.cu126]
extras = ["cu126"]
platforms = ["linux-x86_64"]
"""


def copy_project(name: str, dest: Path, profile: str = SPLIT_PROFILE) -> Path:
    """``dest/project`` (a copy of the fixture) and ``dest/profile.toml``; returns the
    profile path."""
    shutil.copytree(PROJECTS / name, dest / "project")
    (dest / "profile.toml").write_text(profile, encoding="utf-8")
    return dest / "profile.toml"


def tree_hash(root: Path) -> str:
    """One hash over every path, mode, link target and file content under ``root``."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            st = p.lstat()
            h.update(f"{rel}\0{st.st_mode}\0".encode())
            if p.is_symlink():
                h.update(str(p.readlink()).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


def tiny_project(root: Path, uv_bin: Path, name: str, first_run: str) -> Path:
    """A project with no dependencies (nothing to build, nothing to download), its own
    profile whose first run is ``python -c FIRST_RUN``, locked offline by the pinned uv."""
    import json
    import subprocess

    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        "dependencies = []\n\n[tool.uv]\npackage = false\n"
    )
    (root / "bootstrap.toml").write_text(
        f'name = "{name}"\n\n[project]\npath = "."\n\n[[locks]]\nkind = "uv"\n'
        f'path = "uv.lock"\n\n[first_run]\ncommand = ["python", "-c", {json.dumps(first_run)}]\n'
    )
    subprocess.run(
        [str(uv_bin), "lock", "--offline", "--project", str(root)], check=True, capture_output=True
    )
    return root
