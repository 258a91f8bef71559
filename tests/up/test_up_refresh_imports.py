"""What `up --refresh` loads when no cache bundle is involved: uv is found present and no
bundle is read, so neither the bundle code (packer, importer, tar reader) nor uv's
installer's downloads and archive readers are imported (they were a tenth of a refresh's
start-up; docs/bench.md (k)). And a refresh records its closing lines with its success in
one write: the no-op after it prints them again.

A virtual project with no dependencies, so nothing needs the network (`unshare -n`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.network import netns_available
from support.projects import tiny_project

FIRST_RUN = "print('refresh ok')"
NOT_LOADED = {
    "bootstrap.cache.bundle",
    "bootstrap.cache.importer",
    "bootstrap.cache.pack",
    "bootstrap.net",
    "bootstrap.uv.fetch",
    "tarfile",
    "zipfile",
    "tempfile",
}


def _project(root: Path, uv_bin: Path) -> Path:
    return tiny_project(root, uv_bin, "refresh", FIRST_RUN)


def _up(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-n", sys.executable, *args],
        cwd=cwd, env={**os.environ, "CI": "1", "BOOTSTRAP_NO_METRICS": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_refresh_without_a_bundle_loads_no_bundle_or_installer_code(
    home: Path, tmp_path: Path, uv_bin: Path
) -> None:
    project = _project(tmp_path / "project", uv_bin)
    first = _up(project, "-m", "bootstrap", "up")
    assert first.returncode == 0, first.stdout + first.stderr
    shutil.rmtree(project / ".venv")  # a fresh environment, as the benchmark's
    timed = _up(project, "-X", "importtime", "-m", "bootstrap", "up", "--refresh")
    assert timed.returncode == 0, timed.stdout + timed.stderr
    assert "refresh ok" in timed.stdout + timed.stderr  # the first run ran
    loaded = {ln.rsplit("|", 1)[-1].strip() for ln in timed.stderr.splitlines() if "|" in ln}
    # It asked whether a bundle filled the wheelhouse and whether the pinned uv is there;
    # the plan names where an uninstalled uv would come from (bootstrap.uv.sources, a
    # few lines reading BOOTSTRAP_UV_SOURCES), so that `plan --json` shows what runs.
    assert {"bootstrap.cache.use", "bootstrap.uv.install", "bootstrap.uv.sources"} <= loaded
    assert not loaded & NOT_LOADED, sorted(loaded & NOT_LOADED)

    # The closing lines were recorded with the success: the no-op prints them again.
    noop = _up(project, "-m", "bootstrap", "up")
    assert noop.returncode == 0 and "up to date" in noop.stderr, noop.stderr
    assert "next, in a new shell" in noop.stdout + noop.stderr
