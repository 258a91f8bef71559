"""The shipped fleet rules: `promtool check rules` and `promtool test rules` on the files in
bootstrap/report/fleet/, `bootstrap report rules --out DIR` writing the same files, and
thresholds that change what fires (checked by promtool, not by reading the text)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from support.cli import invoke, main

from bootstrap.report.fleet import (
    DASHBOARD_FILE,
    FLEET_DIR,
    RULES_FILE,
    RULES_TEST_FILE,
    Thresholds,
    dashboard,
    dashboard_queries,
    rules_yaml,
)

FIELDS_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "grafana"


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_shipped_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", RULES_FILE, cwd=FLEET_DIR)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    tested = promtool("test", "rules", RULES_TEST_FILE, cwd=FLEET_DIR)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_shipped_rules_are_what_the_command_writes_with_the_defaults(tmp_path: Path) -> None:
    assert (FLEET_DIR / RULES_FILE).read_text() == rules_yaml(Thresholds())
    result = invoke("report", "rules", "--out", str(tmp_path / "fleet"))
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "fleet").iterdir())
    assert written == sorted([RULES_FILE, RULES_TEST_FILE, DASHBOARD_FILE])
    for name in written:
        assert (tmp_path / "fleet" / name).read_bytes() == (FLEET_DIR / name).read_bytes()
    # The copy works on its own: its unit tests find the rules beside them.
    tested = promtool("test", "rules", RULES_TEST_FILE, cwd=tmp_path / "fleet")
    assert tested.returncode == 0, tested.stdout + tested.stderr


# One profile, evaluated at 1h: three first runs of 100 s in the last day and one failure;
# the week before, one of 30 s. Defaults: 75 % success < 90 %, 100 s >= 1.5 x 30 s. The
# firing alerts are compared as Prometheus' own ALERTS series (labels and value).
SMALL_FLEET = """\
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
{series}
    promql_expr_test:
      - expr: ALERTS{{alertstate="firing"}}
        eval_time: 1h
        exp_samples:{expected}
"""


def _machine(name: str, stamp: int, ttfr: int | None) -> str:
    labels = f'job="bootstrap", profile="p", run_kind="first", instance="{name}", os="linux"'
    labels += ', strategy="native"'
    out = [
        f"      - series: 'bootstrap_report_timestamp_seconds{{{labels}}}'\n"
        f"        values: '{stamp}+0x60'",
        f"      - series: 'bootstrap_success{{{labels}}}'\n"
        f"        values: '{0 if ttfr is None else 1}+0x60'",
        f"      - series: 'bootstrap_budget_seconds{{{labels}}}'\n        values: '900+0x60'",
    ]
    if ttfr is not None:
        ttfr_labels = labels + ', outcome="success"'
        out.append(
            f"      - series: 'bootstrap_time_to_first_run_seconds{{{ttfr_labels}}}'\n"
            f"        values: '{ttfr}+0x60'"
        )
    return "\n".join(out)


SERIES = "\n".join(
    [
        *(_machine(m, 0, 100) for m in ("a", "b", "c")),
        _machine("d", 0, None),
        _machine("e", -3 * 86400, 30),
    ]
)


@pytest.mark.parametrize(
    ("options", "firing"),
    [
        ([], ["BootstrapFirstRunRegression", "BootstrapFirstRunSuccessLow"]),
        (["--success-ratio", "0.7"], ["BootstrapFirstRunRegression"]),
        (["--regression-factor", "5", "--min-machines", "5"], []),
    ],
)
def test_thresholds_change_what_fires(
    tmp_path: Path, options: list[str], firing: list[str]
) -> None:
    out = tmp_path / "fleet"
    args = ["report", "rules", "--out", str(out), "--for", "0s", *options]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert not (out / RULES_TEST_FILE).exists()  # its cases assume the default thresholds
    assert promtool("check", "rules", RULES_FILE, cwd=out).returncode == 0
    expected = "".join(
        f'\n          - labels: \'ALERTS{{alertname="{name}", alertstate="firing", '
        'profile="p", severity="warning"}\'\n            value: 1'
        for name in firing
    )
    (out / "small.test.yml").write_text(
        SMALL_FLEET.format(rules=RULES_FILE, series=SERIES, expected=expected or " []")
    )
    ran = promtool("test", "rules", "small.test.yml", cwd=out)
    assert ran.returncode == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--success-ratio", "1.5", "--success-ratio must be above 0 and at most 1"),
        ("--regression-factor", "0.9", "--regression-factor must be above 1"),
        ("--min-machines", "0", "--min-machines must be 1 or more"),
        ("--for", "soon", "--for must be a Prometheus duration"),
        ("--severity", "page me", "--severity must be a plain word"),
    ],
)
def test_a_bad_threshold_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    code, _, err = main(capsys, "report", "rules", "--out", str(tmp_path / "x"), option, value)
    assert code == 2
    assert err.startswith(f"error: {says}") and err.count("\n") == 1, err
    assert not (tmp_path / "x").exists()  # nothing written


def test_the_dashboard_follows_grafanas_documented_fields() -> None:
    board = dashboard()
    schema = json.loads((FIELDS_SCHEMA / "dashboard-fields.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(board, schema)
    titles = [p["title"] for p in board["panels"]]
    assert len(titles) == len(set(titles)) == 6
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    # Panels do not overlap on the 24-column grid.
    cells: set[tuple[int, int]] = set()
    for p in board["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not mine & cells, p["title"]
        cells |= mine
    assert len(list(dashboard_queries(board))) == 8
