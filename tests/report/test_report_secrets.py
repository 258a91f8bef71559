"""Secrets never reach disk or other users: captures, spool, run state, history and logs
hold no URL credentials, and are 0600 in 0700 directories."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support import cli
from support.reports import Receiver, make_report

from bootstrap.host.facts import HostFacts
from bootstrap.paths import Paths
from bootstrap.report import delivery
from bootstrap.report.config import MetricsConfig, SinkConfig

SECRETS = ("s3cr3tpw", "k3y-value-42")


def _assert_clean(root: Path) -> list[Path]:
    """No file under ``root`` holds a secret; every file is 0600, every directory 0700."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} in {path}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    return files


def test_capture_redacts_a_proxy_password(tmp_path: Path) -> None:
    capture = tmp_path / "support"
    env = {
        **os.environ,
        "HTTPS_PROXY": f"http://alice:{SECRETS[0]}@proxy.example:3128",
        "http_proxy": f"http://proxy.example:3128/?apikey={SECRETS[1]}",
    }
    res = cli.bootstrap("detect", "--capture", str(capture), env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "proxy.example" in (capture / "capture.json").read_text(encoding="utf-8")
    assert len(_assert_clean(capture)) > 3
    # The redacted capture still replays.
    again = cli.bootstrap("detect", "--json", "--replay", str(capture), timeout=120)
    assert again.returncode == 0, again.stderr
    assert '"proxy": true' in again.stdout


@pytest.mark.usefixtures("metrics_on")
def test_spool_keeps_no_credentials_and_flush_resolves_them(
    paths: Paths, facts: HostFacts, receiver: Receiver
) -> None:
    base = receiver.served.url.replace("http://", f"http://bob:{SECRETS[0]}@")
    sink = SinkConfig(kind="http-json", url=f"{base}/ingest?apikey={SECRETS[1]}&team=ml")
    config = MetricsConfig(sinks=(sink,))
    receiver.fail_first = 1  # the first attempt fails: the report stays spooled
    report = make_report(facts)
    result = delivery.record(paths, report, config, budget_seconds=2.0)
    assert result.spooled and not result.delivered
    for line in result.spooled + result.errors:
        assert not any(s in line for s in SECRETS), line
    files = _assert_clean(paths.state)
    assert any(p.suffix == ".json" and "spool" in p.parts for p in files)
    assert paths.history in files

    # Without the sink configured, the entry stays spooled and the flush says why.
    kept = delivery.flush(paths, MetricsConfig())
    assert kept.remaining == 1 and "credentials are not configured" in kept.errors[0]
    assert receiver.seen == 1
    # With it configured (profile or BOOTSTRAP_METRICS_SINKS), it goes to the real URL.
    sent = delivery.flush(paths, config)
    assert sent.remaining == 0 and sent.delivered, sent.errors
    assert receiver.paths[-1] == f"/ingest?apikey={SECRETS[1]}&team=ml"
    assert report.report_id in receiver.accepted
    assert not list(paths.spool.glob("*/*.lock"))
