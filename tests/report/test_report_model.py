"""The TimingReport: schema validity, round trips, clear errors, ids that leak nothing."""

from __future__ import annotations

import dataclasses
import getpass
import json
import socket
from pathlib import Path

import jsonschema
import pytest
from support.reports import SALT, make_report

from bootstrap.errors import ConfigError, OfflineMiss
from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import TimingReport, error_code_for, history, host_summary, resolve_salt
from bootstrap.report.model import SCHEMA_FILE, load_schema, memory_bucket

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_schema_ships_inside_the_package() -> None:
    assert SCHEMA_FILE.parent == REPO / "bootstrap" / "report"
    assert load_schema()["properties"]["schema_version"] == {"const": 2}


def test_schema_lists_every_field_of_the_model() -> None:
    schema = load_schema()
    names = {f.name for f in dataclasses.fields(TimingReport)}
    assert set(schema["required"]) == names == set(schema["properties"])


def test_generated_reports_are_valid(
    facts: HostFacts, validator: jsonschema.Draft202012Validator
) -> None:
    ok = make_report(facts)
    failed = make_report(
        facts,
        error=OfflineMiss("numpy 2.1.0 is not in the cache", code="sync.offline_miss"),
        phases={"detect": 0.1, "sync": None},
        budget_seconds=None,
    )
    bare = make_report(
        HostFacts(os="macos", os_version="15.1", arch="arm64", kernel="24.1.0"),
        target=None,
        strategy=None,
        error=RuntimeError("boom"),
    )
    odd = make_report(facts, phases={"detect": 0.5, "remote": 0.01, "sync": 1e-7})
    assert set(odd.phases) == {"detect", "sync"}
    for report in (ok, failed, bare, odd):
        validator.validate(json.loads(report.to_json()))
    assert ok.outcome == "success" and ok.error_code is None
    assert failed.outcome == "failure" and failed.error_code == "sync.offline_miss"
    assert bare.error_code == "internal.runtime_error"
    assert bare.host["gpu_vendor"] is None and bare.host["libc"] is None


def test_the_schema_rejects_what_the_model_must_not_produce(
    facts: HostFacts, validator: jsonschema.Draft202012Validator
) -> None:
    good = make_report(facts).to_dict()
    bad_cases = [
        {**good, "host": {**good["host"], "hostname": socket.gethostname()}},
        {**good, "error_code": "Could not open /home/alice/x"},
        {**good, "outcome": "success", "error_code": "sync.offline_miss"},
        {**good, "report_id": "not-a-uuid"},
        {**good, "created_at": "2026-11-24 10:00:00"},
        {**good, "phases": {**good["phases"], "compile": 1.0}},
        {**good, "host": {**good["host"], "memory": 33470000000}},
    ]
    for case in bad_cases:
        assert not validator.is_valid(case), case


def test_round_trip(facts: HostFacts) -> None:
    report = make_report(facts, network_used=True, bundle_used=True, offline=False)
    assert TimingReport.from_dict(json.loads(report.to_json())) == report


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": 3}, "schema_version is 3"),
        ({"run_kind": "again"}, "`run_kind` must be first or resync or noop or refresh"),
        ({"first_run_ran": 1}, "`first_run_ran` must be true or false"),
        ({"outcome": "maybe"}, "`outcome` must be success or failure, found 'maybe'"),
        ({"total_seconds": "7"}, "`total_seconds` must be a number >= 0"),
        ({"phases": {"sync": -1}}, "`phases.sync` must be a number >= 0 or null"),
        ({"extra": 1}, "unknown field(s) extra"),
        ({"offline": "no"}, "`offline` must be true or false"),
        ({"error_code": "Some text"}, "`error_code` must be a dotted lower-case code"),
    ],
)
def test_bad_reports_name_the_field(
    facts: HostFacts, change: dict[str, object], message: str
) -> None:
    data = {**make_report(facts).to_dict(), **change}
    with pytest.raises(ConfigError) as err:
        TimingReport.from_dict(data, where="saved.json")
    assert err.value.message.startswith("saved.json: ")
    assert message in err.value.message


def test_a_missing_field_is_named(facts: HostFacts) -> None:
    data = make_report(facts).to_dict()
    del data["profile"]
    with pytest.raises(ConfigError, match="missing field `profile`"):
        TimingReport.from_dict(data)


def test_error_codes_are_stable_and_value_free() -> None:
    assert error_code_for(None) is None
    assert error_code_for(OfflineMiss("numpy missing", code="sync.offline_miss")) == (
        "sync.offline_miss"
    )
    # A class-name code (the BootstrapError default) becomes snake case, never the message.
    assert error_code_for(OfflineMiss("/home/alice/project: numpy missing")) == (
        "error.offline_miss"
    )
    assert error_code_for(KeyError("alice")) == "internal.key_error"


def test_no_raw_identity_anywhere_in_a_report(facts: HostFacts, paths: Paths) -> None:
    hostname, user = socket.gethostname(), getpass.getuser()
    report = make_report(facts, host=host_summary(facts, resolve_salt("", paths)))
    text = report.to_json()
    from bootstrap.report.prom import exposition
    from bootstrap.report.sinks.otlp_http import payload

    for serialized in (text, exposition([(report, {})]), json.dumps(payload(report))):
        assert hostname not in serialized
        assert f'"{user}"' not in serialized and f"={user}" not in serialized
        assert str(Path.home()) not in serialized
    # The ids are salted: another organisation's salt gives other ids.
    other = host_summary(facts, "another-salt")
    assert other["host_id"] != report.host["host_id"]
    assert host_summary(facts, SALT)["host_id"] == host_summary(facts, SALT)["host_id"]


def test_the_local_salt_is_random_and_kept(paths: Paths) -> None:
    first = resolve_salt("", paths)
    assert len(first) == 64 and resolve_salt("", paths) == first
    assert resolve_salt("org", paths) == "org"


def test_memory_is_a_bucket() -> None:
    assert memory_bucket(0) == "unknown"
    assert memory_bucket(3 * 2**30) == "0-4GiB"
    assert memory_bucket(33_470_000_000) == "16-32GiB"
    assert memory_bucket(512 * 2**30) == "256+GiB"


def test_over_budget(facts: HostFacts) -> None:
    assert make_report(facts, total_seconds=61, budget_seconds=60).over_budget
    assert not make_report(facts, total_seconds=59, budget_seconds=60).over_budget
    assert not make_report(facts, budget_seconds=None).over_budget


def test_history_appends_and_skips_damaged_lines(facts: HostFacts, paths: Paths) -> None:
    first, second = make_report(facts), make_report(facts, profile="ai-training")
    history.append(paths, first)
    with paths.history.open("a") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({**first.to_dict(), "outcome": "maybe"}) + "\n")
    history.append(paths, second)
    loaded = history.load_all(paths)
    assert loaded.reports == [first, second]
    assert loaded.problems[0] == "history.jsonl line 2: not JSON (skipped)"
    assert loaded.problems[1].startswith("history.jsonl line 3: `outcome` must be")
    assert len(paths.history.read_text().splitlines()) == 4  # nothing rewritten
