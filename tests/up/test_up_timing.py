"""Honest timing: stage 0's parts are phases, the phases add up to `total`, and only a
new environment's first run is a "time to first successful run".

Real runs of `./install.sh` (stage 0, then `uv run` into the tool's environment, then
`bootstrap up`) on the python-service example with a warm uv cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_up_local import home

__all__ = ["home"]  # the fixture, used by name

pytestmark = pytest.mark.network


def install_sh(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOTSTRAP_STAGE0")}
    env.update(CI="1", VIRTUAL_ENV="")
    env.pop("UV", None)
    return subprocess.run(
        ["sh", str(tree / "install.sh"), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def reports(home: Path) -> list[dict[str, Any]]:
    history = home / "state" / "history.jsonl"
    return [json.loads(x) for x in history.read_text().splitlines()] if history.exists() else []


def test_phases_add_up_to_total_and_only_a_first_run_is_one(tree: Path, home: Path) -> None:
    profile = str(tree / "profiles" / "python-service.toml")
    first = install_sh(tree, "--profile", profile, "--online")
    if first.returncode == 4:
        pytest.skip("python-service's lock is not in uv's cache and the index is out of reach")
    assert first.returncode == 0, first.stdout + first.stderr
    (report,) = reports(home)
    phases = report["phases"]
    # Stage 0's parts and the tool's start-up are phases of their own...
    assert {"stage0_uv", "stage0_tool_env", "startup"} <= set(phases)
    assert {"detect", "plan", "uv", "python", "sync", "first_run"} <= set(phases)
    # ...so that together the phases account for `total` (within 5 %).
    total = report["total_seconds"]
    assert report["total_from"] == "stage0"
    assert abs(sum(phases.values()) - total) <= 0.05 * total, (sum(phases.values()), phases)
    assert report["run_kind"] == "first" and report["first_run_ran"] is True
    assert report["time_to_first_run_seconds"] == total
    assert "time to first successful run:" in first.stderr + first.stdout

    # The environment deleted: a re-sync, whose first run is skipped -- no time to first run.
    shutil.rmtree(tree / "examples" / "python-service" / ".venv")
    again = install_sh(tree, "--profile", profile, "--online")
    assert again.returncode == 0, again.stdout + again.stderr
    resync = reports(home)[-1]
    assert resync["run_kind"] == "resync" and resync["first_run_ran"] is False
    assert resync["time_to_first_run_seconds"] is None
    assert "time to first successful run" not in again.stderr + again.stdout
    assert "re-synced" in again.stderr + again.stdout
    sums = sum(resync["phases"].values())
    assert abs(sums - resync["total_seconds"]) <= 0.05 * resync["total_seconds"]

    # --refresh runs the first run again on purpose: not a first run either.
    refresh = install_sh(tree, "--profile", profile, "--online", "--refresh")
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    last = reports(home)[-1]
    assert last["run_kind"] == "refresh" and last["first_run_ran"] is True
    assert last["time_to_first_run_seconds"] is None

    # A profile edit that changes nothing: the full check finds every step done.
    Path(profile).write_text(Path(profile).read_text() + "\n# a comment\n")
    noop = install_sh(tree, "--profile", profile, "--online")
    assert noop.returncode == 0, noop.stdout + noop.stderr
    last = reports(home)[-1]
    assert last["run_kind"] == "noop", noop.stderr + noop.stdout
    assert last["time_to_first_run_seconds"] is None

    # p50/p90 in `report show` count the one first run only.
    shown = subprocess.run(
        [str(tree / ".venv" / "bin" / "python"), "-m", "bootstrap", "report", "show", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "BOOTSTRAP_HOME": str(home)},
        timeout=60,
        check=False,
    )
    stats = json.loads(shown.stdout)["profiles"]["python-service"]
    assert stats["runs"] == 4 and stats["first_runs"] == 1
    assert stats["p50_seconds"] == round(total, 3)
