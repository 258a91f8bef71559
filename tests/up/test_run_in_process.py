"""The orchestrator in this process (bootstrap.steps.run): one function runs a plan for
one target into one Outcome, and the plan's Report step finishes it (history, spool,
sinks). The handoff goes through the toy strategy's fake transport (toy_strategy.py: a
directory that stands in for a box; the probe, detection and stage 0 run there for
real), beside the real-component tests of each strategy."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from toy_strategy import HOST, Toy

import bootstrap.app
import bootstrap.strategies
from bootstrap.app import UpOptions, up
from bootstrap.console import StepView
from bootstrap.errors import BootstrapError, UserError
from bootstrap.host import detect
from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.plan import specs
from bootstrap.plan.model import Plan
from bootstrap.plan.planner import Overrides, make_plan
from bootstrap.plan.strategy import Registry
from bootstrap.profiles import load_profile
from bootstrap.report.model import load_schema
from bootstrap.steps import Context, run_steps
from bootstrap.steps.finish import ReportStep
from bootstrap.steps.outcome import Outcome, Start
from bootstrap.steps.run import RunSettings, run_plan
from bootstrap.steps.state import RunState
from bootstrap.timing import Timer


def toy_profile_plan(toy: Toy, **overrides: Any) -> tuple[Registry, Plan]:
    registry = Registry(*bootstrap.strategies.REGISTRY.values(), toy)
    loaded = load_profile("python-service")
    st = dataclasses.replace(
        loaded.strategies, allowed=(*loaded.strategies.allowed, "toy"), order=("toy",)
    )
    profile = dataclasses.replace(loaded, strategies=st)
    return registry, make_plan(detect(), profile, Overrides(**overrides), strategies=registry)


def settings(paths: Paths, strategy: Any, **extra: Any) -> RunSettings:
    return RunSettings(
        paths=paths,
        view=StepView(quiet=True),
        timer=Timer(),
        state=RunState.load(paths, "in-process"),
        start=Start(time.time(), "process"),
        strategy=strategy,
        **extra,
    )


def toy_schema() -> dict[str, Any]:
    """The report schema, with the toy among the strategies it names (the schema lists
    the four registered ones)."""
    schema = load_schema()
    names = schema["properties"]["strategy"]["enum"]
    schema["properties"]["strategy"]["enum"] = [*names, "toy"]
    return schema


def history(paths: Paths) -> list[dict[str, Any]]:
    return [json.loads(line) for line in paths.history.read_text().splitlines() if line]


@pytest.mark.slow
def test_a_handoff_host_is_one_run_target_re_planned_through_the_callback(
    tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    toy = Toy(tmp_path / "box")
    packed = bundle("python-service", "linux-x86_64-cpu")
    _, plan = toy_profile_plan(toy, cache_bundle=str(packed))
    seen: list[HostFacts] = []

    def replan(facts: HostFacts) -> Plan:
        seen.append(facts)
        return make_plan(facts, load_profile("python-service"), Overrides(strategy="native"))

    paths = Paths.from_env()
    (outcome,) = run_plan(plan, detect(), settings(paths, toy, replan=replan))

    assert outcome.error is None and outcome.host == HOST
    # The box's facts (detected there, by its own python3) reached the callback once.
    assert len(seen) == 1 and seen[0].os == "linux"
    assert outcome.target == "linux-x86_64-cpu" and outcome.sent_files
    assert outcome.run_kind == "first" and outcome.first_run_ran and outcome.bundle_used
    # Finished: its report, in the schema, is this machine's history.
    assert outcome.finished is not None
    report = outcome.finished.report.to_dict()
    jsonschema.validate(report, toy_schema())
    assert report["strategy"] == "toy" and report["outcome"] == "success"
    assert {"handoff", "sync", "first_run"} <= set(report["phases"])
    assert history(paths) == [report]


@pytest.mark.slow
def test_a_failed_host_is_recorded_and_up_json_embeds_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-plan from the box's facts fails (here: the callback refuses): the host's
    outcome carries the error, its report is recorded, and `up` raises it with the
    handoff's JSON result attached, one host embedding its report."""
    toy = Toy(tmp_path / "box")
    registry = Registry(*bootstrap.strategies.REGISTRY.values(), toy)
    monkeypatch.setattr(bootstrap.strategies, "REGISTRY", registry)

    def refuse(facts: HostFacts) -> Plan:
        raise UserError("no lock serves the box", code="plan.no_lock_there")

    monkeypatch.setattr(bootstrap.app, "_replanner", lambda profile: refuse)
    options = UpOptions(profile="python-service", strategy="toy")
    with pytest.raises(BootstrapError) as failed:
        up(options, StepView(quiet=True))

    assert failed.value.code == "plan.no_lock_there"
    result = failed.value.json_result
    assert result is not None and result["exit_code"] == failed.value.exit_code
    (host,) = result["hosts"]
    assert host["host"] == HOST and host["code"] == "plan.no_lock_there"
    jsonschema.validate(host["report"], toy_schema())
    assert host["report"]["outcome"] == "failure"
    assert host["report"]["error_code"] == "plan.no_lock_there"
    assert history(Paths.from_env()) == [host["report"]]
    # The transfer ran before detection; stage 0 never did.
    # (The transfer checks the install.sh it sends by hash; running it is stage 0.)
    from bootstrap.plan.carry import SELF_DIR

    assert not any(f"sh {SELF_DIR}/install.sh" in c for c in toy.made[0].commands)


def test_a_plan_without_a_first_run_stops_before_any_step_and_is_recorded() -> None:
    plan = make_plan(detect(), load_profile("python-service"), Overrides())
    plan = dataclasses.replace(plan, first_run=())
    paths = Paths.from_env()
    native = bootstrap.strategies.REGISTRY["native"]

    (outcome,) = run_plan(plan, detect(), settings(paths, native))

    assert outcome.error is not None and outcome.error.code == "profile.no_first_run"
    assert outcome.ctx is None and outcome.host is None  # no step ran
    assert outcome.finished is not None
    report = outcome.finished.report.to_dict()
    assert report["outcome"] == "failure" and report["error_code"] == "profile.no_first_run"
    assert report["run_kind"] == "first"
    assert history(paths) == [report]


def test_a_dry_run_handoff_reaches_nothing_and_records_nothing(tmp_path: Path) -> None:
    toy = Toy(tmp_path / "box")
    _, plan = toy_profile_plan(toy)
    paths = Paths.from_env()

    (outcome,) = run_plan(plan, detect(), settings(paths, toy, dry_run=True))

    assert outcome.dry_run and outcome.finished is None and outcome.host == HOST
    assert not paths.history.exists()
    # Each command was shown (the probe, stage 0, ...), none ran: no environment there.
    assert any("install.sh" in c for c in toy.made[0].commands)
    assert not list((tmp_path / "box" / "home").glob("**/.venv"))


def test_the_report_step_holds_the_profiles_sinks_and_finishing_sends_there(
    tmp_path: Path,
) -> None:
    sink = tmp_path / "sink.jsonl"
    profile_file = tmp_path / "with-sink.toml"
    profile_file.write_text(
        'extends = "python-service"\nname = "with-sink"\n\n[metrics]\nsalt = "s3cret-salt"\n\n'
        f'[[metrics.sinks]]\nkind = "file"\npath = "{sink}"\n'
    )
    plan = make_plan(detect(), load_profile(str(profile_file)), Overrides())
    spec = plan.step(specs.Report)
    assert spec is not None and spec.metrics is not None
    assert [s.kind for s in spec.metrics.sinks] == ["file"]
    # `plan --json` names the sink, never the salt.
    printed = json.dumps(plan.to_dict())
    assert "s3cret-salt" not in printed
    assert spec.to_dict()["sink_labels"] == [f"file {sink}"]

    outcome = Outcome(plan, detect(), {"detect": 0.1}, Start(time.time() - 1.0, "process"))
    finished = ReportStep().finish(spec, outcome, Paths.from_env())

    sent = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [r["report_id"] for r in sent] == [finished.report.report_id]
    assert finished.delivery["delivered"] == [f"file {sink}"]
    jsonschema.validate(sent[0], load_schema())
    assert sent[0]["total_seconds"] >= 1.0 and sent[0]["run_kind"] == "first"


def test_the_report_step_is_never_run_among_the_steps() -> None:
    plan = make_plan(detect(), load_profile("python-service"), Overrides())
    paths = Paths.from_env()
    ctx = Context(
        paths=paths,
        plan=plan,
        facts=detect(),
        view=StepView(quiet=True),
        timer=Timer(),
        state=RunState.load(paths, "in-process"),
    )
    report = plan.step(specs.Report)
    assert report is not None
    run_steps(ctx, (report,))  # passed over: the orchestrator runs it last
    assert ctx.ran == [] and "report" not in ctx.state.steps
    with pytest.raises(BootstrapError, match="runs after the others"):
        ReportStep().run(report, ctx)


def test_a_devcontainer_no_op_rests_on_what_its_strategy_names(tmp_path: Path) -> None:
    profile_file = tmp_path / "dc.toml"
    profile_file.write_text(
        'extends = "python-service"\nname = "dc"\n\n'
        '[strategies.devcontainer]\nimage = "debian:bookworm"\n'
    )
    facts = detect()
    facts = dataclasses.replace(
        facts, tools=dataclasses.replace(facts.tools, container_engine="podman")
    )
    plan = make_plan(facts, load_profile(str(profile_file)), Overrides(strategy="devcontainer"))
    dc = bootstrap.strategies.REGISTRY["devcontainer"]

    settled = dc.settled(plan)

    assert settled is not None
    assert settled.files[-1] == str(Path(plan.project) / plan.lock.path)
    assert str(profile_file) in settled.files
    assert dict(settled.marker)["engine"] == "podman"
    # No container runs for this workspace: the no-op does not hold (a real `podman ps`).
    assert dc.still_up(dict(settled.marker)) is False
    assert dc.still_up({}) is False
    for name in ("native", "remote", "wsl2"):
        assert bootstrap.strategies.REGISTRY[name].settled(plan) is None


@pytest.mark.parametrize(
    ("strategy", "step", "expected"),
    [
        ("remote", {"name": "preflight", "hosts": ["box"], "directory": "~/p"}, "next: ssh box"),
        ("wsl2", {"name": "preflight", "hosts": ["Ubuntu"], "directory": "~/src/p"}, "wsl -d"),
        (
            "devcontainer",
            {"name": "container-up", "hosts": ["/w"], "directory": "/workspaces/w"},
            "devcontainer exec --workspace-folder /w bash",
        ),
    ],
)
def test_a_handoffs_closing_lines_come_from_its_strategy(
    strategy: str, step: dict[str, Any], expected: str
) -> None:
    from bootstrap.app import UpResult, summary_lines

    plan = {"strategy": strategy, "lock": {"path": "uv.lock"}, "steps": [step]}
    result = UpResult(0, report={"total_seconds": 1.0, "phases": {}}, plan=plan, next=["x"])
    last = summary_lines(result)[-1]
    assert expected in last
    assert last in bootstrap.strategies.REGISTRY[strategy].next_steps(step)
