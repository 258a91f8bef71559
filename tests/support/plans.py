"""Planner inputs and outputs: host facts (tests/plan/hosts), profiles, plans as
comparable JSON (the golden files in tests/plan/golden)."""

from __future__ import annotations

import json
from typing import Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan.model import Plan, PlanError
from bootstrap.plan.planner import Overrides, make_plan
from bootstrap.profiles import Profile, load_profile
from support import REPO, TESTS

HERE = TESTS / "plan"
HOSTS = HERE / "hosts"
GOLDEN = HERE / "golden"
PROFILES = HERE / "profiles"
SHIPPED = ("default", "python-service", "ai-training")


def host(name: str) -> HostFacts:
    return HostFacts.from_dict(json.loads((HOSTS / f"{name}.json").read_text()))


def host_names() -> list[str]:
    return sorted(p.stem for p in HOSTS.glob("*.json"))


def profile(name: str) -> Profile:
    if name in SHIPPED:
        return load_profile(name)
    return load_profile(str(PROFILES / f"{name}.toml"))


def plan_or_failure(facts: HostFacts, prof: Profile, ov: Overrides | None = None) -> Plan:
    try:
        return make_plan(facts, prof, ov)
    except PlanError as exc:
        return exc.plan


def as_golden(plan: Plan) -> str:
    """The plan as stable JSON text, with the checkout's location replaced by <repo>."""
    text = json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n"
    return text.replace(str(REPO), "<repo>")


def reason(plan: Plan, decision: str) -> Any:
    return next(r for r in plan.reasons if r.decision == decision)
