"""The fleet view end to end, with every part real: two runs of `bootstrap up` push to a
real Pushgateway; a real Prometheus scrapes it with the rules `bootstrap report rules`
wrote; a real Alertmanager posts to a webhook on 127.0.0.1 that this test owns. The run
whose first-run command sleeps past the profile's budget fires the over-budget alert; the
normal run does not. Every query of the shipped Grafana dashboard returns data from the
same Prometheus.

Short intervals (1 s scrape and evaluation, `--for 0s`, no group wait) and a hard
deadline keep it bounded; all of it listens on loopback only."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from support import cli, promstack
from support.servers import http_server

from bootstrap.report.fleet import RULES_FILE, dashboard, dashboard_queries
from bootstrap.uv.install import MARKER

pytestmark = [pytest.mark.fleet, pytest.mark.slow]

BUDGET = 10  # seconds: far above a normal run of the tiny project, below the slow one
SLEEP = BUDGET + 1
FAST, SLOW = "fleet-e2e-normal", "fleet-e2e-slowed"
JOB = "fleet-e2e"
DEADLINE = 60  # seconds, for the alert to travel Pushgateway -> Prometheus -> webhook
ALERT = "BootstrapFirstRunOverBudget"


@dataclass
class Webhook:
    """What Alertmanager posted: its webhook payloads (version 4), in arrival order."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alerts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [a for p in self.payloads for a in p.get("alerts", [])]


@dataclass
class Fleet:
    prometheus: str
    webhook: Webhook
    reports: dict[str, dict[str, Any]]


def _webhook_handler(state: Webhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
            body = json.loads(self.rfile.read(length))
            with state.lock:
                state.payloads.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _home(root: Path) -> Path:
    """A BOOTSTRAP_HOME holding the pinned uv the suite runs under (no network needed)."""
    running = os.environ.get("UV")
    source = Path(running).parent if running else None
    if source is None or not (source / MARKER).is_file():
        pytest.skip("the suite is not running under an install.sh-installed uv (no marker)")
    home = root / "home"
    shutil.copytree(source, home / "data" / "uv" / source.name)
    return home


def _project(root: Path, home: Path) -> Path:
    """A project with no dependencies: its sync takes no time, so a normal run is far
    under the budget and only the slowed first-run command goes over it."""
    project = root / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "fleet-e2e"\nversion = "0"\nrequires-python = ">=3.9"\n'
        "dependencies = []\n"
    )
    (uv,) = (home / "data" / "uv").glob("*/uv")
    locked = subprocess.run(
        [str(uv), "lock", "--offline"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert locked.returncode == 0, locked.stderr
    return project


def _profile(root: Path, name: str, project: Path, command: list[str]) -> Path:
    path = root / "profiles" / f"{name}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f'name = "{name}"\nkind = "python"\nbudget_seconds = {BUDGET}\n\n'
        f'[project]\npath = "{project}"\npython = ">=3.9"\npython_downloads = "manual"\n\n'
        f"[first_run]\ncommand = {json.dumps(command)}\n"
    )
    return path


def _up(profile: Path, home: Path, pushgateway: str) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOOTSTRAP_NO_METRICS", "DO_NOT_TRACK") and not k.startswith("BOOTSTRAP_")
    }
    env.update(
        BOOTSTRAP_HOME=str(home),
        CI="1",
        BOOTSTRAP_METRICS_SINKS=json.dumps(
            [{"kind": "pushgateway", "url": pushgateway, "job": JOB}]
        ),
    )
    ran = cli.bootstrap("up", "--profile", str(profile), "--json", env=env, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    report: dict[str, Any] = json.loads(ran.stdout)
    spooled = list((home / "state" / "spool").rglob("*.json"))
    assert not spooled, ran.stderr  # the gateway took the push; nothing waits in the spool
    return report


@pytest.fixture(scope="module")
def fleet(pushgateway: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("fleet-e2e")
    home = _home(root)
    rules = cli.bootstrap(
        "report", "rules", "--out", str(root / "rules"), "--for", "0s", timeout=60
    )
    assert rules.returncode == 0, rules.stderr
    state = Webhook()
    with (
        http_server(_webhook_handler(state)) as hook,
        promstack.alertmanager(root / "alertmanager", hook.url + "/alerts") as am,
        promstack.prometheus(
            root / "prometheus",
            pushgateway,
            rule_files=[root / "rules" / RULES_FILE],
            alertmanager=am,
        ) as prom,
    ):
        project = _project(root, home)
        normal = _profile(root, FAST, project, ["python", "-c", "print('ready')"])
        slowed = _profile(
            root, SLOW, project, ["python", "-c", f"import time; time.sleep({SLEEP})"]
        )
        reports = {FAST: _up(normal, home, pushgateway)}
        # A second checkout of the same project for the slowed profile: a new environment,
        # so its run is a first run too.
        shutil.copytree(project, root / "project-2", ignore=shutil.ignore_patterns(".venv"))
        slowed.write_text(slowed.read_text().replace(str(project), str(root / "project-2")))
        reports[SLOW] = _up(slowed, home, pushgateway)
        yield Fleet(prom, state, reports)


def _wait(what: str, check: Any, deadline: float) -> Any:
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def test_the_slowed_run_fires_the_over_budget_alert_and_the_normal_one_does_not(
    fleet: Fleet,
) -> None:
    deadline = time.monotonic() + DEADLINE
    # The premise, from the reports themselves: one first run under budget, one over.
    fast, slow = fleet.reports[FAST], fleet.reports[SLOW]
    assert fast["run_kind"] == slow["run_kind"] == "first"
    assert fast["lock_hash"] == slow["lock_hash"] and len(fast["lock_hash"]) == 16
    assert fast["over_budget"] is False, f"the normal run took {fast['total_seconds']}s"
    assert slow["over_budget"] is True and slow["total_seconds"] > BUDGET

    def fired() -> list[dict[str, Any]]:
        return [
            a
            for a in fleet.webhook.alerts()
            if a["labels"].get("alertname") == ALERT and a["labels"].get("profile") == SLOW
        ]

    (alert, *_) = _wait("the over-budget alert at the webhook", fired, deadline)
    assert alert["status"] == "firing"
    assert alert["labels"] == {
        "alertname": ALERT,
        "profile": SLOW,
        "os": slow["host"]["os"],
        "strategy": "native",
        "severity": "warning",
    }
    assert f"first runs of {SLOW} on linux" in alert["annotations"]["description"]

    # The normal run's numbers went through the same rules (its p90 is recorded) and are
    # under the same budget: no alert, in Prometheus or at the webhook.
    p90 = f'profile_os_strategy:bootstrap_time_to_first_run_seconds:p90_1d{{profile="{FAST}"}}'
    ((_, value),) = _wait(
        "the normal profile's p90", lambda: promstack.query(fleet.prometheus, p90), deadline
    )
    assert value == pytest.approx(fast["total_seconds"])
    time.sleep(3)  # a few more evaluations and Alertmanager group intervals
    assert promstack.query(fleet.prometheus, f'ALERTS{{profile="{FAST}"}}') == []
    assert [a for a in fleet.webhook.alerts() if a["labels"].get("profile") == FAST] == []
    slow_p90 = promstack.query(fleet.prometheus, p90.replace(FAST, SLOW))
    assert slow_p90[0][1] == pytest.approx(slow["total_seconds"])


def test_every_dashboard_query_returns_data(fleet: Fleet) -> None:
    deadline = time.monotonic() + DEADLINE
    queries = list(dashboard_queries(dashboard()))
    assert len(queries) == 8
    for title, expr in queries:
        promql = expr.replace("$profile", "fleet-e2e-.*")
        rows = _wait(
            f"data for {title!r}: {promql}",
            lambda q=promql: promstack.query(fleet.prometheus, q),
            deadline,
        )
        assert not any(math.isnan(value) for _, value in rows), (title, rows)
    # What the panels show is what the two runs reported.
    ours = '{profile=~"fleet-e2e-.*"}'
    phases = {
        m["phase"]: v
        for m, v in promstack.query(
            fleet.prometheus, f"avg by (phase) (machine:bootstrap_first_run_phase_seconds:7d{ours})"
        )
    }
    assert phases["first_run"] == pytest.approx(
        (fleet.reports[FAST]["phases"]["first_run"] + fleet.reports[SLOW]["phases"]["first_run"])
        / 2
    )
    versions = promstack.query(
        fleet.prometheus,
        f"count by (tool_version, uv_version, lock_hash) (bootstrap_report_info{ours})",
    )
    assert [(m["tool_version"], m["uv_version"], m["lock_hash"]) for m, _ in versions] == [
        (
            fleet.reports[FAST]["tool_version"],
            fleet.reports[FAST]["uv_version"],
            fleet.reports[FAST]["lock_hash"],
        )
    ]
    assert versions[0][1] == 2
