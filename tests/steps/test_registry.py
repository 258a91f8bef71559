"""Every step a plan can hold has an executor, found by its spec type and imported only
when a plan holds it."""

from __future__ import annotations

import inspect
import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar

import pytest

from bootstrap.plan import specs
from bootstrap.steps import EXECUTORS, UnknownStep, executor_for, executors


def spec_types() -> list[type[specs.StepSpec]]:
    return [
        obj
        for _, obj in inspect.getmembers(specs, inspect.isclass)
        if issubclass(obj, specs.StepSpec) and obj is not specs.StepSpec
    ]


def test_each_spec_type_has_an_executor_with_the_three_methods() -> None:
    table = executors()
    assert {t.__name__ for t in spec_types()} == set(EXECUTORS)
    for spec_type, executor in table.items():
        if executor is None:
            assert spec_type is specs.Report
            continue
        assert isinstance(executor.phase, str)
        for method in ("fingerprint", "check", "run"):
            assert callable(getattr(executor, method)), (spec_type, method)


def test_a_step_without_an_executor_is_a_bug_not_a_skip() -> None:
    @dataclass(frozen=True)
    class Teleport(specs.StepSpec):
        name: ClassVar[str] = "teleport"

    with pytest.raises(UnknownStep, match="Teleport"):
        executor_for(Teleport)


def test_a_native_run_does_not_import_the_handoff_executors() -> None:
    code = (
        "import sys\n"
        "from bootstrap.plan import specs\n"
        "from bootstrap.steps import executor_for\n"
        "for t in (specs.EnsureUv, specs.ProvidePython, specs.Sync, specs.FirstRun):\n"
        "    executor_for(t)\n"
        "print(sorted(m for m in sys.modules if m in ('bootstrap.steps.handoff',"
        " 'bootstrap.steps.devcontainer')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
