"""Tests that cannot leak: every test gets its own BOOTSTRAP_HOME and a scrubbed env.

Fixtures only. The kit (runners, servers, boxes, builders) is the package tests/support;
the fixtures of its boxes, interpreter archive and reports are registered below for every
folder. Subfolders add their own fixtures in their own conftest.py. See tests/README.md.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Registers the four strategies as the planner's default, as `up` and `plan` do, for the
# tests that call make_plan without strategies=.
import bootstrap.strategies  # noqa: F401

# The boxes (a Debian root filesystem, a real sshd in it, the wsl.exe stand-in, podman with
# the Dev Containers CLI), the bundled interpreter, and the reports' facts, receiver and
# Pushgateway: their fixtures, for every folder.
# (In import order: a plugin imported by an earlier one misses assertion rewriting.)
pytest_plugins = [
    "support.rootfs",
    "support.sshbox",
    "support.wslbox",
    "support.podman",
    "support.pyarchive",
    "support.reports",
]
# Fixture projects carry their own tests (the teamrepo's first run): not this suite's.
collect_ignore = ["fixtures"]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("bootstrap-home")
    monkeypatch.setenv("BOOTSTRAP_HOME", str(home))
    # Metrics must never leave a test run unless the test asks for a sink.
    monkeypatch.setenv("BOOTSTRAP_NO_METRICS", "1")
    # Stage 0 (`./install.sh --uv run ... pytest`) exports its clock and uv's path: tests
    # must not inherit them.
    for var in ("BOOTSTRAP_CUDA_DRIVER", "BOOTSTRAP_STAGE0_START", "BOOTSTRAP_UV"):
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.startswith("BOOTSTRAP_FACT_")]:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def uv_bin() -> Path:
    """The real uv at the pinned version: the one running this suite (`uv run` sets UV)."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.skip("no uv on PATH and UV unset: run the suite with `uv run`")
    return Path(found)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("network") for item in items):
        return
    from support.network import pypi_reachable

    if pypi_reachable():
        return
    skip = pytest.mark.skip(reason="PyPI is not reachable")
    for item in items:
        if item.get_closest_marker("network"):
            item.add_marker(skip)
