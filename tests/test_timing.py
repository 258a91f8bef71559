"""Stage 0's timestamps as phases (bootstrap.timing.stage0_phases): the arithmetic that
makes the phases add up to `total`; the end-to-end check is tests/up/test_up_timing.py."""

from __future__ import annotations

import pytest

from bootstrap.timing import stage0_phases

T0 = 1_800_000_000.0


def test_stage0_parts_and_startup_cover_the_span_before_the_timer() -> None:
    env = {"BOOTSTRAP_STAGE0_MARKS": f"begin={T0} bundle={T0 + 1.5} uv={T0 + 2.0}"}
    phases = stage0_phases(T0, "stage0", T0 + 3.25, T0 + 3.5, env)
    assert phases == {
        "stage0_bundle": 1.5,
        "stage0_uv": 0.5,
        "stage0_tool_env": 1.25,
        "startup": 0.25,
    }
    assert sum(phases.values()) == pytest.approx(3.5)  # all of it, from stage 0's start


def test_a_handoff_is_the_time_before_this_stage_0_began() -> None:
    # install.sh moved its start back by BOOTSTRAP_HANDOFF_ELAPSED; begin= is its own.
    env = {"BOOTSTRAP_STAGE0_MARKS": f"begin={T0 + 10} uv={T0 + 10.5}"}
    phases = stage0_phases(T0, "stage0", T0 + 11.0, T0 + 11.0, env)
    assert phases == {"handoff": 10.0, "stage0_uv": 0.5, "stage0_tool_env": 0.5, "startup": 0.0}


@pytest.mark.parametrize(
    "marks",
    [
        "",  # an older stage 0: no marks
        "begin=x uv=",  # garbage
        f"begin={T0} uv={T0 + 99}",  # after this process started: a clock step
        f"begin={T0} uv={T0 - 5}",  # before stage 0 began
    ],
)
def test_marks_that_make_no_sense_are_dropped_not_made_negative(marks: str) -> None:
    phases = stage0_phases(T0, "stage0", T0 + 2.0, T0 + 2.5, {"BOOTSTRAP_STAGE0_MARKS": marks})
    assert "stage0_uv" not in phases
    assert phases["stage0_tool_env"] == 2.0 and phases["startup"] == 0.5
    assert all(v >= 0 for v in phases.values())


def test_without_stage_0_only_startup() -> None:
    env = {"BOOTSTRAP_STAGE0_MARKS": f"begin={T0} uv={T0 + 1}"}
    assert stage0_phases(T0, "process", T0, T0 + 0.1, env) == {"startup": 0.1}
