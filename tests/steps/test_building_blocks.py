"""The pieces `up` is built from: run lock, run state, streaming, the stage-0 clock."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootstrap import proc
from bootstrap.errors import Busy
from bootstrap.paths import Paths
from bootstrap.steps.lock import RunLock
from bootstrap.steps.state import RunState, fingerprint
from bootstrap.timing import Timer, stage0_start

HOLD_LOCK = """
import sys, time
from pathlib import Path
from bootstrap.steps.lock import RunLock
with RunLock(Path(sys.argv[1]), wait_seconds=0, on_wait=lambda: None):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(lock: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "held"
    return p


def test_lock_refuses_when_held_by_another_process(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = _holder(lock, 5)
    try:
        waited: list[bool] = []
        with (
            pytest.raises(Busy) as exc,
            RunLock(lock, wait_seconds=0.3, on_wait=lambda: waited.append(True)),
        ):
            pass
        assert "another `bootstrap up` is running" in exc.value.message
        assert waited == [True]
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = _holder(lock, 60)
    holder.kill()  # SIGKILL: no cleanup code runs, the kernel drops the lock
    holder.wait()
    with RunLock(lock, wait_seconds=2, on_wait=lambda: None):
        pass


def test_waiting_run_gets_the_lock_after_the_holder_ends(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = _holder(lock, 0.8)
    start = time.monotonic()
    with RunLock(lock, wait_seconds=10, on_wait=lambda: None):
        assert time.monotonic() - start >= 0.3
    holder.wait()


def test_run_state_round_trips_and_resets_success_on_failure(tmp_path: Path) -> None:
    paths = Paths.from_env({"BOOTSTRAP_HOME": str(tmp_path)})
    state = RunState.load(paths, "p")
    fp = fingerprint("lock-digest", ["cu126"])
    state.record("sync", "done", fp)
    state.record_success({"files": {}})
    again = RunState.load(paths, "p")
    assert again.done("sync", fp)
    assert not again.done("sync", fingerprint("other"))
    assert again.success is not None
    again.record("first-run", "failed", "x")
    assert RunState.load(paths, "p").success is None


def test_corrupt_run_state_means_a_full_run_not_a_crash(tmp_path: Path) -> None:
    paths = Paths.from_env({"BOOTSTRAP_HOME": str(tmp_path)})
    paths.runs.mkdir(parents=True)
    (paths.runs / "p.json").write_text("{not json")
    state = RunState.load(paths, "p")
    assert state.steps == {} and state.success is None
    state.record("sync", "done", "fp")
    assert json.loads((paths.runs / "p.json").read_text())["steps"]["sync"]["status"] == "done"


def test_stream_keeps_the_tail_and_reports_the_exit_code() -> None:
    seen: list[str] = []
    script = "import sys\nfor i in range(100): print(i)\nprint('bye', file=sys.stderr)\nsys.exit(3)"
    res = proc.stream([sys.executable, "-c", script], timeout=30, on_line=seen.append, keep=5)
    assert res.returncode == 3 and not res.ok
    assert len(seen) == 101
    assert res.tail == ("96", "97", "98", "99", "bye")


def test_stream_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-alive"
    # A shell whose child would write the marker after 2 s unless it is killed with it.
    script = f"(sleep 2; touch {marker}) & echo started; wait"
    start = time.monotonic()
    res = proc.stream(["sh", "-c", script], timeout=0.5, on_line=lambda _: None)
    assert res.timed_out and res.returncode is None
    assert time.monotonic() - start < 2
    time.sleep(2.5)
    assert not marker.exists()


def test_stage0_start_prefers_the_installer_clock() -> None:
    now = time.time()
    assert stage0_start({"BOOTSTRAP_STAGE0_START": f"{now - 3:.3f}"}) == (
        pytest.approx(now - 3, abs=0.01),
        "stage0",
    )
    # Garbage or stale values fall back to this process's start.
    for bad in ("yesterday", str(now - 10 * 86400), str(now + 3600)):
        value, origin = stage0_start({"BOOTSTRAP_STAGE0_START": bad})
        assert origin == "process" and value <= time.time()


def test_timer_accumulates_per_phase() -> None:
    t = Timer()
    with t.phase("sync"):
        time.sleep(0.05)
    with t.phase("sync"):
        time.sleep(0.05)
    assert 0.09 <= t.phases["sync"] < 1


def test_a_killed_but_unreaped_process_counts_as_gone() -> None:
    """A scratch directory named after a run killed with -9 is cleaned even where the
    dead process lingers as a zombie (a container whose init reaps late)."""
    import os

    from bootstrap.proc import pid_alive

    assert pid_alive(os.getpid())
    child = subprocess.Popen(["sleep", "30"])
    assert pid_alive(child.pid)
    child.kill()
    deadline = time.monotonic() + 10
    while pid_alive(child.pid):  # killed, not yet waited for: a zombie
        assert time.monotonic() < deadline, "a zombie counted as alive"
        time.sleep(0.01)
    assert Path(f"/proc/{child.pid}").exists()  # it is still there, as a zombie
    child.wait()
    assert not pid_alive(child.pid)
