"""The registry of strategy objects is the list: the names profiles validate, the
choices of --strategy and each OS's default order are the registry's names."""

from __future__ import annotations

import pytest

from bootstrap.plan.strategy import Registry
from bootstrap.profiles import STRATEGIES
from bootstrap.strategies import DEFAULT_ORDER, REGISTRY


def test_the_names_profiles_accept_are_the_registry_s() -> None:
    assert tuple(REGISTRY) == STRATEGIES == ("native", "wsl2", "devcontainer", "remote")


@pytest.mark.parametrize("command", ["bootstrap.cli.up:up", "bootstrap.cli.plan:plan"])
def test_strategy_choices_on_the_command_line_are_the_registry_s(command: str) -> None:
    import importlib

    module, _, attr = command.partition(":")
    cmd = getattr(importlib.import_module(module), attr)
    option = next(p for p in cmd.params if p.name == "strategy")
    assert tuple(option.type.choices) == tuple(REGISTRY)


def test_each_default_order_ranks_every_registered_strategy() -> None:
    for order in DEFAULT_ORDER.values():
        assert sorted(order) == sorted(REGISTRY)


def test_each_strategy_is_registered_under_its_own_name() -> None:
    for name, strategy in REGISTRY.items():
        assert strategy.name == name
        assert strategy.runs_here == (name == "native")


def test_a_name_is_registered_once() -> None:
    native = REGISTRY["native"]
    with pytest.raises(ValueError, match="'native' is registered twice"):
        Registry(native, native)


def test_an_order_may_name_only_registered_strategies() -> None:
    with pytest.raises(ValueError, match=r"the linux order names unregistered \['toy'\]"):
        Registry(REGISTRY["native"], order={"linux": ("native", "toy")})


def test_the_registry_is_the_default_order_s_owner() -> None:
    assert REGISTRY.order == DEFAULT_ORDER
