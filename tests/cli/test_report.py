"""`bootstrap report show|flush|send|export|schema` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from support import cli
from support.reports import Receiver, make_report, parse_exposition, scrape

from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import MetricsConfig, SinkConfig, deliver, history
from bootstrap.report.model import load_schema


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return cli.main(capsys, "report", *argv)


def _seed(facts: HostFacts, paths: Paths) -> list[str]:
    totals = [10.0, 20.0, 30.0, 40.0, 100.0]
    ids = []
    for t in totals:
        r = make_report(facts, total_seconds=t, budget_seconds=60.0)
        history.append(paths, r)
        ids.append(r.report_id)
    failed = make_report(facts, total_seconds=5.0, error_code="sync.offline_miss")
    history.append(paths, failed)
    other = make_report(facts, profile="ai-training", total_seconds=50.0, budget_seconds=None)
    history.append(paths, other)
    return [*ids, failed.report_id, other.report_id]


def _seed_reruns(facts: HostFacts, paths: Paths) -> None:
    """Runs that are no time to a first run: they count as runs, never in p50/p90."""
    for kind, ran in (("resync", False), ("noop", False), ("refresh", True), ("resync", True)):
        history.append(
            paths, make_report(facts, total_seconds=1.0, run_kind=kind, first_run_ran=ran)
        )
    history.append(paths, make_report(facts, total_seconds=0.5, first_run_ran=False))


def test_show_lists_runs_percentiles_and_budget_overruns(
    facts: HostFacts, paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(facts, paths)
    _seed_reruns(facts, paths)
    code, out, _ = run(capsys, "show", "--json", "--profile", "python-service")
    assert code == 0
    data = json.loads(out)
    assert len(data["runs"]) == 10
    stats = data["profiles"]["python-service"]
    # successful first runs that ran the command only: 10, 20, 30, 40, 100 -> p50 30,
    # p90 76 (linear interpolation); re-syncs, no-ops, refreshes and a first run whose
    # command did not run are left out
    assert stats["p50_seconds"] == 30.0 and stats["p90_seconds"] == 76.0
    assert stats["runs"] == 11 and stats["first_runs"] == 5 and stats["failures"] == 1
    assert stats["over_budget"] == 1
    assert "ai-training" not in data["profiles"]
    code, out, _ = run(capsys, "show", "--last", "8")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "last 8 of 12 runs:"
    assert sum(line.endswith("over 60.00s") for line in lines) == 1
    assert any("FAILED sync.offline_miss" in line for line in lines)
    assert any(" noop " in line for line in lines) and any(" resync " in line for line in lines)
    assert any(line.split()[:5] == ["python-service", "11", "5", "1", "30.00s"] for line in lines)


def test_show_with_no_history_and_with_a_damaged_one(
    paths: Paths, facts: HostFacts, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show")
    assert code == 0 and "no runs recorded yet" in out
    paths.history.parent.mkdir(parents=True, exist_ok=True)
    paths.history.write_text("garbage\n")
    history.append(paths, make_report(facts))
    code, out, err = run(capsys, "show")
    assert code == 0 and "last 1 of 1 runs" in out
    assert "history.jsonl line 1: not JSON (skipped)" in err


@pytest.mark.usefixtures("metrics_on")
def test_send_last_and_send_a_saved_report(
    facts: HostFacts,
    paths: Paths,
    receiver: Receiver,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _seed(facts, paths)
    code, out, _ = run(capsys, "send", "--sink", "http-json", "--url", receiver.url, "--last")
    assert code == 0 and ids[-1] in out
    code, out, _ = run(
        capsys,
        "send",
        "--sink",
        "http-json",
        "--url",
        receiver.url,
        "--last",
        "--profile",
        "python-service",
    )
    assert code == 0 and list(receiver.accepted) == [ids[-1], ids[-2]]
    saved = tmp_path / "report.json"
    code, out, _ = run(capsys, "export", "--format", "json", "--last", "1")
    saved.write_text(out)
    run(
        capsys,
        "send",
        "--sink",
        "file",
        "--path",
        str(tmp_path / "out.jsonl"),
        "--report",
        str(saved),
    )
    sent = json.loads((tmp_path / "out.jsonl").read_text())
    assert sent["report_id"] == ids[-1]


def test_send_errors_are_one_line_with_a_fix(
    facts: HostFacts, paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "send", "--sink", "http-json", "--url", "https://x.invalid", "--last"
    )
    assert (
        code == 2 and "error: no report in the history" in err and "fix: run `bootstrap up`" in err
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = run(
        capsys, "send", "--sink", "file", "--path", str(tmp_path), "--report", str(bad)
    )
    assert code == 2 and f"{bad}: not JSON" in err
    bad.write_text(json.dumps({**make_report(facts).to_dict(), "outcome": "meh"}))
    code, _, err = run(
        capsys, "send", "--sink", "file", "--path", str(tmp_path), "--report", str(bad)
    )
    assert code == 2 and f"{bad}: `outcome` must be success or failure" in err
    code, _, err = run(capsys, "send", "--sink", "pushgateway", "--last")
    assert code == 2 and "needs `url`" in err
    history.append(paths, make_report(facts))
    code, _, err = run(
        capsys,
        "send",
        "--sink",
        "http-json",
        "--url",
        "http://127.0.0.1:9/x",
        "--last",
        "--timeout",
        "0.5",
    )
    assert code == 1 and "error: http-json http://127.0.0.1:9/x: ConnectError" in err
    assert "Traceback" not in err


def test_export_prom_is_the_latest_run_per_group(
    facts: HostFacts, paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _seed(facts, paths)
    code, out, _ = run(capsys, "export", "--format", "prom", "--job", "laptops")
    assert code == 0
    samples = parse_exposition(out)
    runs = {s[1]["profile"]: s for s in samples if s[0] == "bootstrap_run_seconds"}
    assert runs["python-service"][2] == 5.0  # the latest python-service run (the failure)
    assert runs["python-service"][1]["outcome"] == "failure"
    assert runs["ai-training"][1]["job"] == "laptops"
    # A time to first run only for a successful first run (the failure has none).
    ttfr = {s[1]["profile"]: s for s in samples if s[0] == "bootstrap_time_to_first_run_seconds"}
    assert set(ttfr) == {"ai-training"} and ttfr["ai-training"][2] == 50.0
    infos = [s[1]["report_id"] for s in samples if s[0] == "bootstrap_report_info"]
    assert sorted(infos) == sorted([ids[-2], ids[-1]])
    # One HELP/TYPE per metric, each before its samples.
    assert out.count("# TYPE bootstrap_time_to_first_run_seconds gauge") == 1


def test_export_prom_is_accepted_by_a_real_pushgateway(
    facts: HostFacts, paths: Paths, pushgateway: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import urllib.request

    history.append(paths, make_report(facts, profile="exported"))
    _, out, _ = run(capsys, "export", "--format", "prom", "--job", "export-check")
    # The gateway parses the text with Prometheus' own parser and rejects what it cannot
    # read; the job in its URL takes precedence over the one in the text.
    body = out
    req = urllib.request.Request(
        pushgateway + "/metrics/job/export-check", data=body.encode(), method="PUT"
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status in (200, 202)
    got = [s for s in scrape(pushgateway) if s[1].get("job") == "export-check"]
    assert any(s[0] == "bootstrap_success" and s[1]["profile"] == "exported" for s in got)


def test_export_json_is_schema_valid(
    facts: HostFacts, paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(facts, paths)
    code, out, _ = run(capsys, "export", "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data) == 7
    for item in data:
        jsonschema.validate(item, load_schema())


@pytest.mark.usefixtures("metrics_on")
def test_flush_command(
    facts: HostFacts, paths: Paths, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.fail_first = 2
    config = MetricsConfig(sinks=(SinkConfig(kind="http-json", url=receiver.url),))
    report = make_report(facts)
    deliver(report, config, paths)
    code, out, err = run(capsys, "flush")
    assert code == 1 and "HTTP 503" in err and "1 report(s) still spooled" in out
    code, out, _ = run(capsys, "flush", "--json")
    assert code == 0
    assert json.loads(out)["delivered"] == [f"http-json {receiver.url} {report.report_id}"]


def test_schema_command_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out) == load_schema()
