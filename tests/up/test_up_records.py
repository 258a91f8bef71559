"""Honest records: a failed first attempt followed by a success records the attempts and
the time since the first one; a no-op re-run (through the fast path too) writes a report
of `run_kind: noop`, never a time to first run; the sync's scratch files live in the
tool's own temporary area, never in the project, and a killed run's are cleaned up.

A virtual project with no dependencies, so nothing needs the network (`unshare -n`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.network import netns_available
from support.projects import tiny_project

from bootstrap.paths import Paths
from bootstrap.report.model import TimingReport, load_schema

FIRST_RUN = 'import pathlib, sys; sys.exit(0 if pathlib.Path("ok").exists() else 3)'


def _project(root: Path, uv_bin: Path) -> Path:
    return tiny_project(root, uv_bin, "records", FIRST_RUN)


def _up(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "bootstrap", "up", *args],
        cwd=cwd, env={**os.environ, "CI": "1", "BOOTSTRAP_NO_METRICS": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_attempts_before_the_first_success_and_the_noop_are_recorded(
    home: Path, tmp_path: Path, uv_bin: Path
) -> None:
    project = _project(tmp_path / "checkout", uv_bin)
    failed = _up(project, "--project", str(project))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    again = _up(project, "--project", str(project))
    assert again.returncode == 1
    (project / "ok").write_text("")
    done = _up(project, "--project", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    # The fast path (`up` with no options, in the project that keeps its profile), and
    # the full one: both no-ops are recorded.
    quick = _up(project)
    full = _up(project, "--project", str(project))
    for res in (quick, full):
        assert res.returncode == 0 and "up to date: profile 'records'" in res.stderr, res.stderr

    lines = (home / "state" / "history.jsonl").read_text().splitlines()
    reports = [TimingReport.from_dict(json.loads(line)) for line in lines]
    import jsonschema

    for line in lines:
        jsonschema.validate(json.loads(line), load_schema())
    assert [(r.outcome, r.run_kind, r.attempts) for r in reports] == [
        ("failure", "first", 1),
        ("failure", "first", 2),
        ("success", "first", 3),
        ("success", "noop", 1),
        ("success", "noop", 1),
    ]
    first, second, success, *noops = reports
    assert first.since_first_attempt_seconds is None
    assert second.since_first_attempt_seconds is not None
    assert success.since_first_attempt_seconds is not None
    # From the first attempt's start: at least this run's time plus the two before it.
    assert (
        success.since_first_attempt_seconds
        >= (success.total_seconds + first.total_seconds + second.total_seconds) * 0.95
    )
    # This run is still the time to first successful run; the attempts say the rest.
    assert success.time_to_first_run_seconds == success.total_seconds
    for noop in noops:
        assert noop.time_to_first_run_seconds is None and not noop.first_run_ran
        assert noop.profile == "records" and noop.target == success.target
        assert noop.host == success.host


@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_noop_reaches_the_profiles_sinks_and_one_with_none_loads_no_sink(
    home: Path, tmp_path: Path, uv_bin: Path
) -> None:
    # A profile that sends to a sink: its no-op report goes there like any other run's.
    sink = tmp_path / "sink.jsonl"
    sent = _project(tmp_path / "sent", uv_bin)
    profile = sent / "bootstrap.toml"
    profile.write_text(
        profile.read_text() + f'\n[metrics]\n[[metrics.sinks]]\nkind = "file"\npath = "{sink}"\n'
    )
    (sent / "ok").write_text("")
    assert _up(sent).returncode == 0
    noop = _up(sent)
    assert noop.returncode == 0 and "up to date" in noop.stderr, noop.stderr
    kinds = [json.loads(line)["run_kind"] for line in sink.read_text().splitlines()]
    assert kinds == ["first", "noop"]

    # A profile with no sink: the no-op appends to the history and loads no sink at all
    # (nor the profile machinery): a third of its time was those imports.
    quiet = _project(tmp_path / "quiet", uv_bin)
    (quiet / "ok").write_text("")
    assert _up(quiet).returncode == 0
    timed = subprocess.run(
        ["unshare", "-n", sys.executable, "-X", "importtime", "-m", "bootstrap", "up"],
        cwd=quiet, env={**os.environ, "CI": "1", "BOOTSTRAP_NO_METRICS": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert timed.returncode == 0 and "up to date" in timed.stderr, timed.stderr
    loaded = {ln.rsplit("|", 1)[-1].strip() for ln in timed.stderr.splitlines() if "|" in ln}
    assert "bootstrap.report.history" in loaded  # it did record
    assert not loaded & {
        "bootstrap.report.delivery",
        "bootstrap.report.sinks",
        "bootstrap.profiles",
    }
    history = (home / "state" / "history.jsonl").read_text().splitlines()
    assert json.loads(history[-1])["run_kind"] == "noop"


def test_scratch_files_stay_out_of_the_project_and_a_killed_runs_are_removed(
    home: Path, tmp_path: Path
) -> None:
    from bootstrap.sync import scratch_dir

    area = Paths.from_env().tmp
    # A run killed with kill -9 leaves its scratch directory behind: its process is gone.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left = area / f"{gone.pid}-req-abc123"
    left.mkdir(parents=True)
    (left / "requirements.txt").write_text("six==1.17.0\n")
    alive = area / f"{os.getppid()}-req-def456"  # a live process's: kept
    alive.mkdir()
    with scratch_dir("req") as tmp:
        assert tmp.parent == area and tmp.name.startswith(f"{os.getpid()}-req-")
        assert not left.exists()
        assert alive.exists()
    assert not tmp.exists()
    assert home in area.parents


def test_a_sync_from_a_wheelhouse_writes_nothing_into_the_project(
    home: Path, tmp_path: Path, uv_bin: Path
) -> None:
    from bootstrap.plan.model import LockChoice
    from bootstrap.sync import sync

    project = _project(tmp_path / "checkout", uv_bin)
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    before = sorted(p.name for p in project.parent.iterdir())
    result = sync(uv_bin, project, LockChoice("uv.lock", "uv"), find_links=wheelhouse)
    assert result.source == "the wheelhouse"
    assert sorted(p.name for p in project.parent.iterdir()) == before
    assert not [p for p in project.iterdir() if p.name.startswith(".bootstrap-")]
    assert not list(Paths.from_env().tmp.iterdir())
