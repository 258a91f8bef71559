"""Adding a strategy is one module and one registry line: a toy strategy
(toy_strategy.py: its check, its steps, its transport, its next steps) is registered
beside the four, chosen by the planner from a profile's order, and carried out by `up`
in this process through the handoff executors, over its fake transport (a directory
that stands in for a box: the repository copied there, the probe, detection and stage 0
run there for real with the python-service bundle)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from toy_strategy import HOST, Toy

import bootstrap.strategies
from bootstrap.app import UpOptions, summary_lines, up
from bootstrap.console import StepView
from bootstrap.host import detect
from bootstrap.plan.planner import Overrides, make_plan
from bootstrap.plan.strategy import Registry
from bootstrap.profiles import load_profile
from bootstrap.strategies import REGISTRY

pytestmark = pytest.mark.slow

HANDOFF = ["preflight", "transfer", "detect-there", "ship-bundle", "run-there", "collect-report"]


def test_a_toy_strategy_is_planned_from_the_registry(tmp_path: Path) -> None:
    toy = Toy(tmp_path / "box")
    registry = Registry(*REGISTRY.values(), toy, order=REGISTRY.order)  # the registry line
    loaded = load_profile("python-service")
    # A profile that lists it (profiles name the four today; the toy is added here).
    st = dataclasses.replace(
        loaded.strategies, allowed=(*loaded.strategies.allowed, "toy"), order=("toy",)
    )
    profile = dataclasses.replace(loaded, strategies=st)

    plan = make_plan(detect(), profile, Overrides(), strategies=registry)
    assert plan.strategy == "toy"
    assert [s.name for s in plan.steps] == [*HANDOFF, "report"]
    assert "a toy strategy: the box is a directory" in plan.warnings
    assert plan.target == "linux-x86_64-cpu"
    # Without it in the registry, the same profile cannot name it.
    with pytest.raises(Exception, match="--strategy 'toy' is not one of native, wsl2"):
        make_plan(detect(), profile, Overrides(strategy="toy"))


def test_up_carries_a_toy_strategy_out_through_its_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundle: Callable[[str, str], Path]
) -> None:
    packed = bundle("python-service", "linux-x86_64-cpu")
    toy = Toy(tmp_path / "box")
    registry = Registry(*REGISTRY.values(), toy, order=REGISTRY.order)  # the registry line
    monkeypatch.setattr(bootstrap.strategies, "REGISTRY", registry)

    options = UpOptions(profile="python-service", strategy="toy", cache_bundle=str(packed))
    result = up(options, StepView(quiet=True))

    assert result.exit_code == 0, result
    assert result.plan is not None and result.plan["strategy"] == "toy"
    assert [s["name"] for s in result.plan["steps"]] == [*HANDOFF, "report"]
    assert result.hosts is not None and [h["host"] for h in result.hosts] == [HOST]
    # The box's own report, recorded here.
    assert result.report is not None
    assert result.report["outcome"] == "success"
    assert result.report["target"] == "linux-x86_64-cpu"
    # It went through the toy's transport: one DirBox, which ran stage 0 there ...
    assert len(toy.made) == 1
    assert any("install.sh" in c and "--cache-bundle" in c for c in toy.made[0].commands)
    # ... and the environment is there, synced and run, not here.
    # The project python-service names, with the bootstrapper's wheel beside it.
    there = tmp_path / "box" / "home" / "python-service"
    assert (there / ".venv" / "bin" / "python").exists()
    assert (there / ".bootstrap" / "self" / "install.sh").is_file()
    assert not (Path(result.plan["project"]) / ".venv-toy").exists()
    # Its next-step lines close the summary.
    assert summary_lines(result)[-1] == f"next: cd {tmp_path / 'box'}/home and look around"
