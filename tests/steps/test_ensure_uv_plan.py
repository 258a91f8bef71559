"""ensure-uv runs the uv the plan names: a pin that names another version than the
plan's is refused (the plan is stale), and the plan's uv sources reach the install."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.errors import UserError
from bootstrap.plan.specs import EnsureUv
from bootstrap.steps.ensure_uv import planned_version
from bootstrap.uv import load


def test_the_plan_s_version_is_the_pinned_one() -> None:
    pinned = load().version
    assert planned_version(EnsureUv(version=pinned)) == pinned
    assert planned_version(EnsureUv()) == pinned  # a plan made without the pin read


def test_a_pin_that_moved_after_the_plan_is_refused() -> None:
    with pytest.raises(UserError) as err:
        planned_version(EnsureUv(version="0.0.1"))
    assert err.value.code == "uv.pin_changed"
    assert "the plan installs uv 0.0.1" in err.value.message


def test_the_plan_s_sources_are_the_ones_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the plan's sources are tried: with none that can answer (a local directory
    without the artifact), the install fails naming that one source and nothing else."""
    from bootstrap.cache.use import ensure_uv
    from bootstrap.paths import Paths
    from bootstrap.uv import InstallFailed

    spec = EnsureUv(version=load().version, sources=("local",))
    assert spec.to_dict()["sources"] == ["local"]
    assert "(else from: local)" in spec.describe()
    monkeypatch.setenv("BOOTSTRAP_UV_LOCAL", str(tmp_path))
    with pytest.raises(InstallFailed) as err:
        ensure_uv(None, Paths.from_env(), sources=spec.sources)
    assert "local:" in err.value.message
    assert "index" not in err.value.message and "release" not in err.value.message
