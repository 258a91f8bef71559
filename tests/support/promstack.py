"""A real Prometheus (and Alertmanager) on loopback for the report tests: started from
Debian's packages with short intervals, waited for until ready, stopped afterwards.

Shared by the documented-queries test and the fleet end-to-end test; the Pushgateway they
scrape is the session fixture in reports.py."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from support.servers import free_port


def _binary(*names: str, package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{names[0]} is not installed (apt-get install {package})")


@contextlib.contextmanager
def serve(argv: list[str], url: str, log_path: Path, what: str) -> Iterator[str]:
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start; see {log_path}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@contextlib.contextmanager
def prometheus(
    workdir: Path,
    pushgateway: str,
    *,
    rule_files: Sequence[Path] = (),
    alertmanager: str | None = None,
    interval: str = "1s",
) -> Iterator[str]:
    """Prometheus scraping the gateway (``honor_labels``: the pushed job and instance
    stay), evaluating ``rule_files`` and sending alerts to ``alertmanager``."""
    binary = _binary("prometheus", package="prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    target = pushgateway.split("://", 1)[1]
    config = [
        f"global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}",
        "scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n"
        f"    static_configs:\n      - targets: ['{target}']",
    ]
    if rule_files:
        config.append("rule_files:\n" + "".join(f"  - '{p}'\n" for p in rule_files).rstrip())
    if alertmanager:
        am = alertmanager.split("://", 1)[1]
        config.append(
            f"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']"
        )
    (workdir / "prometheus.yml").write_text("\n".join(config) + "\n")
    port = free_port()
    argv = [
        binary,
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with serve(argv, f"http://127.0.0.1:{port}", workdir / "prometheus.log", "prometheus") as url:
        yield url


@contextlib.contextmanager
def alertmanager(workdir: Path, webhook: str) -> Iterator[str]:
    """Debian's Alertmanager, alone (no cluster port), sending every alert group at once
    to ``webhook``."""
    binary = _binary("prometheus-alertmanager", "alertmanager", package="prometheus-alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(
        "route:\n"
        "  receiver: hook\n"
        "  group_by: [alertname, profile]\n"
        "  group_wait: 0s\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 1h\n"
        "receivers:\n"
        "  - name: hook\n"
        "    webhook_configs:\n"
        f"      - url: '{webhook}'\n"
        "        send_resolved: false\n"
    )
    port = free_port()
    argv = [
        binary,
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # Empty: no gossip port on 0.0.0.0:9094 (a test instance is alone).
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with serve(
        argv, f"http://127.0.0.1:{port}", workdir / "alertmanager.log", "alertmanager"
    ) as url:
        yield url


def query(url: str, promql: str) -> list[tuple[dict[str, str], float]]:
    """An instant query: (labels, value) per series; fails on a PromQL error."""
    qs = urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(f"{url}/api/v1/query?{qs}", timeout=5) as r:
        data: Any = json.load(r)
    assert data["status"] == "success", data
    return [(x["metric"], float(x["value"][1])) for x in data["data"]["result"]]
