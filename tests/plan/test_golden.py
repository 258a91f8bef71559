"""Golden plan JSON per platform: the whole plan (steps, reasons, warnings) is pinned.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 uv run pytest tests/plan``
and review the diff. The checkout's location is written as ``<repo>``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.plans import GOLDEN, as_golden, host, host_names, plan_or_failure, profile

from bootstrap.host import replay

# Every host with the shipped AI profile; the other profiles on the hosts that matter.
CASES = [("ai-training", h) for h in host_names()] + [
    ("default", "linux-no-gpu"),
    ("python-service", "windows-no-wsl"),
    ("linux-gpu", "linux-nvidia-470"),
    ("linux-gpu", "windows-wsl2-nvidia-580"),
    ("linux-gpu", "macos-rosetta"),
    ("linux-cuda", "windows-wsl2-nvidia-580"),
    ("linux-only-cpu", "macos-arm64-docker"),
    ("linux-only-cpu", "windows-no-wsl"),
    ("linux-only-cpu", "windows-wsl2"),
    ("linux-only-cpu", "windows-wsl-not-installed"),
    ("linux-only-cpu", "windows-virtualization-off"),
    ("linux-only-cpu", "windows-wsl1-only"),
    ("linux-only-cpu", "windows-no-distro"),
    ("linux-only-cpu", "macos-arm64-docker-stopped"),
    ("strict-resources", "linux-small"),
    ("pylock", "linux-nvidia-565-open"),
    ("pylock", "windows-no-wsl"),
]


@pytest.mark.parametrize(("prof", "host_name"), CASES, ids=[f"{p}-{h}" for p, h in CASES])
def test_golden(prof: str, host_name: str) -> None:
    text = as_golden(plan_or_failure(host(host_name), profile(prof)))
    path = GOLDEN / prof / f"{host_name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}: run UPDATE_GOLDEN=1 uv run pytest tests/plan"
    assert text == path.read_text(), f"plan changed: UPDATE_GOLDEN=1 to accept, then review {path}"


def test_no_stray_golden_files() -> None:
    expected = {GOLDEN / p / f"{h}.json" for p, h in CASES}
    assert set(GOLDEN.glob("*/*.json")) <= expected


def test_golden_json_has_the_documented_keys() -> None:
    data = json.loads((GOLDEN / "ai-training" / "linux-nvidia-580.json").read_text())
    assert {"profile", "target", "strategy", "lock", "steps", "reasons"} <= set(data)
    assert set(data["lock"]) >= {"path", "extras", "groups"}
    # Each step is a typed spec: its name, the line `plan` prints, and every decision.
    assert all({"name", "description"} <= set(s) for s in data["steps"])
    sync = next(s for s in data["steps"] if s["name"] == "sync")
    assert sync["argv"][:2] == ["sync", "--frozen"] and sync["network"] == "offline"
    assert all({"decision", "choice", "why", "evidence"} <= set(r) for r in data["reasons"])


CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"


@pytest.mark.parametrize(
    "capture", sorted(p.name for p in CAPTURES.iterdir() if (p / "capture.json").exists())
)
def test_replayed_captures_plan(capture: str) -> None:
    """Each capture under tests/fixtures/hosts, replayed through detection, plans; and
    where a host JSON was made from it, the plan is the same."""
    facts = replay(CAPTURES / capture)
    for prof in ("ai-training", "python-service", "linux-gpu"):
        plan = plan_or_failure(facts, profile(prof))
        assert plan.reasons
        assert plan.ok == (plan.strategy != "none")
        if capture in host_names():
            assert plan == plan_or_failure(host(capture), profile(prof))
