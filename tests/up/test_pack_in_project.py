"""`bootstrap cache pack --out F` run in a project that keeps its profile packs for that
profile, as `bootstrap up` in the same directory uses it (tests/policy/
test_project_kept_profile.py has the same for `lock` and `check`): found on click,
whose pack from its directory carried the lock's default groups (55 MB of tox and
pre-commit) and no profile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.mark.network
@pytest.mark.slow
def test_cache_pack_in_the_project_packs_the_profile_it_keeps(
    shape: Callable[[str], tuple[Path, Path]], uv_bin: Path, tmp_path: Path
) -> None:
    template, _bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    out = tmp_path / "here.tar"
    env = {k: v for k, v in os.environ.items() if k not in ("BOOTSTRAP_HOME", "VIRTUAL_ENV")}
    res = subprocess.run(
        [sys.executable, "-m", "bootstrap", "cache", "pack", "--out", str(out), "--no-tool",
         "--uv", str(uv_bin)],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    with tarfile.open(out) as tar:
        f = tar.extractfile("manifest.json")
        assert f is not None
        manifest = json.loads(f.read())
    assert manifest["profile"] == "srcapp"
    assert manifest["groups"] == ["tests"]
    parts = manifest["parts"]
    assert any(Path(w).name.startswith("hatchling-") for w in parts["build"])
