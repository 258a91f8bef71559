"""The sync runs the uv command line the plan's sync step prints: ``uv`` + its ``argv``,
plus only where (``--project`` for ``uv sync``; the environment's ``--python`` for ``uv
pip sync``); a cache miss goes to the index only with the plan's ``fallback_argv``. Real
uv, the tiny project, a warm cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.bundles import TINY_LOCK

from bootstrap.errors import UserError
from bootstrap.plan.model import LockChoice
from bootstrap.plan.specs import Sync
from bootstrap.sync import MissingDistributions, sync

PYLOCK = LockChoice("pylock.toml", "pylock")


def env_for(cache: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    return dict(env, UV_CACHE_DIR=str(cache), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")


def test_a_uv_lock_sync_runs_the_plan_s_argv(uv_bin: Path, tiny: Path, warm_cache: Path) -> None:
    spec = Sync.planned(TINY_LOCK, "offline")
    flags = ("--extra", "net", "--group", "test")
    assert spec.argv == ("sync", "--frozen", "--offline", "--no-build", *flags)
    res = sync(uv_bin, tiny, spec.lock, env=env_for(warm_cache), argv=spec.argv)
    assert list(res.command) == [str(uv_bin), *spec.argv, "--project", str(tiny)]
    assert (res.network_used, res.source) == (False, "uv's cache")


def test_a_pylock_sync_runs_the_plan_s_argv(
    uv_bin: Path, tiny: Path, warm_cache: Path, tmp_path: Path
) -> None:
    spec = Sync.planned(PYLOCK, "offline")
    assert spec.describe() == (
        "uv venv, then uv pip sync --offline --preview-features pylock --no-build pylock.toml"
    )
    venv = tmp_path / "pyvenv"
    res = sync(uv_bin, tiny, spec.lock, venv=venv, env=env_for(warm_cache), argv=spec.argv)
    *head, last = spec.argv
    assert list(res.command) == [str(uv_bin), *head, "--python", str(venv / "bin" / "python"), last]
    assert res.installed == 2


def test_without_a_fallback_a_miss_fails(uv_bin: Path, tiny: Path, tmp_path: Path) -> None:
    spec = Sync.planned(TINY_LOCK, "offline")
    assert spec.fallback_argv == ()
    with pytest.raises(MissingDistributions):
        sync(uv_bin, tiny, spec.lock, env=env_for(tmp_path / "empty"), argv=spec.argv)


@pytest.mark.network
def test_the_fallback_the_plan_prints_is_the_sync_that_runs_after_a_miss(
    uv_bin: Path, tiny: Path, tmp_path: Path
) -> None:
    spec = Sync.planned(TINY_LOCK, "fallback")
    assert spec.argv[:3] == ("sync", "--frozen", "--offline")
    flags = ("--extra", "net", "--group", "test")
    assert spec.fallback_argv == ("sync", "--frozen", "--no-build", *flags)
    assert spec.describe().endswith(
        "; on a cache miss, from the index: uv sync --frozen --no-build --extra net --group test"
    )
    env = env_for(tmp_path / "empty")
    with pytest.raises(MissingDistributions):
        sync(uv_bin, tiny, spec.lock, env=env, argv=spec.argv)
    res = sync(uv_bin, tiny, spec.lock, env=env, argv=spec.fallback_argv)
    assert list(res.command) == [str(uv_bin), *spec.fallback_argv, "--project", str(tiny)]
    assert (res.network_used, res.source) == (True, "the index")


def test_a_plan_that_syncs_from_a_wheelhouse_needs_one(uv_bin: Path, tiny: Path) -> None:
    spec = Sync.planned(TINY_LOCK, "offline", wheelhouse=True)
    assert spec.from_wheelhouse
    with pytest.raises(UserError) as err:
        sync(uv_bin, tiny, spec.lock, argv=spec.argv)
    assert err.value.code == "sync.no_wheelhouse"
