"""What `bootstrap plan --json` prints is the plan `bootstrap up` runs.

Both commands turn their command line into the plan through ``bootstrap.request``; this
pins it from the outside: each golden profile on its golden hosts, each strategy forced
and none, `plan --json` is compared with the plan `up`'s orchestrator receives (taken
where `up` makes it, and the run stopped there, before any step).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from support.plans import PROFILES, SHIPPED, host
from test_golden import CASES

import bootstrap.host
import bootstrap.request
from bootstrap.cli.plan import plan as plan_command
from bootstrap.cli.up import up as up_command
from bootstrap.strategies import REGISTRY


def _profile_arg(name: str) -> str:
    return name if name in SHIPPED else str(PROFILES / f"{name}.toml")


class _Stop(Exception):
    """Raised where `up` has its plan: nothing after it runs."""


def _up_plan(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> dict[str, Any]:
    taken: list[dict[str, Any]] = []
    make = bootstrap.request.make

    def capture(*a: Any, **kw: Any) -> Any:
        _profile, plan = make(*a, **kw)
        taken.append(plan.to_dict())
        raise _Stop

    with monkeypatch.context() as m:
        m.setattr(bootstrap.request, "make", capture)
        result = CliRunner().invoke(up_command, [*args, "--refresh", "--dry-run"])
    assert isinstance(result.exception, _Stop), result.output
    return json.loads(json.dumps(taken[0]))


def _printed_plan(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(plan_command, [*args, "--json", "--no-probe"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


CASES_BY_STRATEGY = [
    (prof, host_name, strategy)
    for prof, host_name in CASES
    for strategy in (None, *REGISTRY.names)
    # Every forced strategy on the first golden host of each profile; the planner's own
    # choice on every golden host.
    if strategy is None or host_name == next(h for p, h in CASES if p == prof)
]


@pytest.mark.parametrize(
    ("prof", "host_name", "strategy"),
    CASES_BY_STRATEGY,
    ids=[f"{p}-{h}-{s or 'chosen'}" for p, h, s in CASES_BY_STRATEGY],
)
def test_plan_json_is_the_plan_up_runs(
    prof: str, host_name: str, strategy: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = host(host_name)
    monkeypatch.setattr(bootstrap.host, "detect", lambda *a, **kw: facts)
    args = ["--profile", _profile_arg(prof)]
    if strategy is not None:
        args += ["--strategy", strategy]
    printed = _printed_plan(args)
    if not printed["ok"]:
        # No strategy fits: `up` stops at the same failed plan (exit 1, every check).
        assert strategy is None
        return
    assert _up_plan(monkeypatch, args) == printed


@pytest.mark.parametrize(
    "extra",
    [
        ["--online"],
        ["--remote", "me@gpu-box:2222", "--accept-new-host-key"],
        ["--target", "linux-x86_64-cu126", "--lock", "uv.lock"],
    ],
    ids=["online", "remote", "target-and-lock"],
)
def test_every_option_that_shapes_the_plan_shapes_both(
    extra: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = host("linux-nvidia-580")
    monkeypatch.setattr(bootstrap.host, "detect", lambda *a, **kw: facts)
    args = ["--profile", "ai-training", *extra]
    printed = _printed_plan(args)
    assert _up_plan(monkeypatch, args) == printed
    if "--remote" in extra:
        preflight = next(s for s in printed["steps"] if s["name"] == "preflight")
        assert printed["strategy"] == "remote"
        assert preflight["hosts"] == ["me@gpu-box:2222"]
        assert preflight["accept_new_host_keys"] is True


def test_the_plan_names_the_pinned_uv_and_where_it_comes_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bootstrap.uv import load

    facts = host("linux-no-gpu")
    monkeypatch.setattr(bootstrap.host, "detect", lambda *a, **kw: facts)
    monkeypatch.setenv("BOOTSTRAP_UV_SOURCES", "index,release")
    printed = _printed_plan(["--profile", "default"])
    ensure = printed["steps"][0]
    assert ensure["name"] == "ensure-uv"
    assert ensure["version"] == load().version
    assert ensure["sources"] == ["index", "release"]
    assert _up_plan(monkeypatch, ["--profile", "default"]) == printed
