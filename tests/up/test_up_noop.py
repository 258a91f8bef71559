"""A correct no-op: "up to date" only when the environment matches the lock.

Real runs of `bootstrap up` on the python-service example: the re-sync after deleting
`.venv` killed (SIGKILL, SIGINT) at several moments, a dependency added without
re-locking, and SIGTERM / SIGHUP while the first run is running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_up_local import finish, home, service, up, wait_for

__all__ = ["home"]  # the fixture, used by name

pytestmark = pytest.mark.network


def _project(tree: Path) -> Path:
    return tree / "examples" / "python-service"


def _imports(tree: Path) -> subprocess.CompletedProcess[str]:
    python = _project(tree) / ".venv" / "bin" / "python"
    if not python.exists():
        return subprocess.CompletedProcess([str(python)], 127, "", "no interpreter")
    return subprocess.run(
        [str(python), "-c", "import bottle, itsdangerous"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _up_in_own_group(tree: Path) -> subprocess.Popen[str]:
    """`up` as a terminal runs it: its own process group, which Ctrl-C (and a kill of
    the group) reaches as a whole, uv included."""
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap", "up", "--profile", service(tree), "--online"],
        cwd=tree,
        env={**os.environ, "CI": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _first_success(tree: Path) -> None:
    code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
    if code == 4:
        pytest.skip("python-service's lock is not in uv's cache and the index is out of reach")
    assert code == 0, out + err


def _created(venv: Path) -> bool:
    return (venv / "pyvenv.cfg").is_file()


def _installing(venv: Path) -> bool:
    return any(venv.glob("lib/python*/site-packages/*.dist-info"))


# The moments of the re-sync at which it is killed: as the sync step starts, as soon as
# uv has created the environment (the moment that fooled the old fingerprint check:
# pyvenv.cfg is back, byte for byte), as soon as the first package landed, and a little
# later (often after the sync).
POINTS = {
    "sync-starts": lambda venv: True,
    "venv-created": _created,
    "installing": _installing,
    "later": None,
}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_killed_resync_is_never_taken_for_up_to_date(
    tree: Path, home: Path, sig: signal.Signals
) -> None:
    _first_success(tree)
    venv = _project(tree) / ".venv"
    broken = 0
    for point, ready in POINTS.items():
        subprocess.run(["rm", "-rf", str(venv)], check=True)
        resync = _up_in_own_group(tree)
        wait_for(resync, "[sync]")
        deadline = time.monotonic() + 30
        if ready is None:
            time.sleep(0.2)
        else:
            while not ready(venv) and resync.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
        os.killpg(resync.pid, sig)
        code, _, err = finish(resync)
        if sig == signal.SIGINT and code == 130:
            assert "interrupted" in err and "Traceback" not in err, err
        if code != 0 and _imports(tree).returncode != 0:
            broken += 1  # the kill left a broken environment behind: the case that matters
        # The next run re-syncs when the last one did not finish, and either way the
        # environment is whole afterwards: never "up to date" over a broken one.
        code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
        assert code == 0, (point, out + err)
        imported = _imports(tree)
        assert imported.returncode == 0, (point, err, imported.stderr)
    # At least one kill left a broken environment (else this test proved nothing).
    assert broken, "no kill hit the sync itself"


def test_the_quick_no_op_needs_no_cli_and_still_trusts_only_the_marker(
    tree: Path, home: Path
) -> None:
    """`up --profile P --online` after a success is answered before click is imported;
    without the synced marker it is no no-op, and the full run repairs the environment."""
    _first_success(tree)
    argv = [sys.executable, "-X", "importtime", "-m", "bootstrap", "up"]
    argv += ["--profile", service(tree), "--online"]
    quick = subprocess.run(
        argv, cwd=tree, env={**os.environ, "CI": "1"}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert quick.returncode == 0 and "up to date" in quick.stderr, quick.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in quick.stderr.splitlines()}
    assert "bootstrap.app" in imported and "click" not in imported
    (_project(tree) / ".venv" / ".bootstrap-synced").unlink()
    code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
    assert code == 0 and "up to date" not in err, out + err
    assert (_project(tree) / ".venv" / ".bootstrap-synced").is_file()
    assert _imports(tree).returncode == 0


def test_a_dependency_added_without_relocking_is_refused_with_the_fix(
    tree: Path, home: Path
) -> None:
    _first_success(tree)
    pyproject = _project(tree) / "pyproject.toml"
    text = pyproject.read_text()
    assert '    "bottle>=0.13,<0.14",\n' in text
    pyproject.write_text(text.replace('    "bottle', '    "six>=1.10",\n    "bottle', 1))
    code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
    assert code == 2, out + err
    assert "no longer satisfies" in err and "pyproject.toml" in err
    assert "uv lock" in err  # the fix
    assert "ready:" not in out + err
    python = _project(tree) / ".venv" / "bin" / "python"
    six = subprocess.run([str(python), "-c", "import six"], capture_output=True, check=False)
    assert six.returncode != 0


SLOW_FIRST_RUN = """\
extends = "python-service"
name = "slow-service"

[project]
path = "../examples/python-service"

[first_run]
command = ["sh", "-c", '''[ -f {stop} ] && echo finished && exit 0
sleep 300 & echo $! > {pids}; echo $$ >> {pids}; echo started; wait''']
timeout_seconds = 600
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    # A zombie is gone for our purposes (its parent has not reaped it yet).
    return not (stat.is_file() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.parametrize(
    ("sig", "expected"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["term", "hup"]
)
def test_sigterm_or_sighup_during_the_first_run_leaves_nothing_running(
    tree: Path, home: Path, sig: signal.Signals, expected: int
) -> None:
    pids = tree / "first-run.pids"
    profile = tree / "profiles" / "slow-service.toml"
    stop = tree / "first-run.stop"
    profile.write_text(SLOW_FIRST_RUN.format(pids=pids, stop=stop))
    run = up(tree, "--profile", str(profile), "--online")
    wait_for(run, "| started", timeout=180)
    started = [int(x) for x in pids.read_text().split()]
    assert len(started) == 2 and all(_alive(p) for p in started)
    run.send_signal(sig)
    code, _, err = finish(run)
    assert code == expected, err
    assert f"interrupted ({sig.name})" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in started if _alive(p)], "the first run's processes outlived up"
    # State stays consistent: no report of a success, and the next run is no no-op.
    history = home / "state" / "history.jsonl"
    reports = [json.loads(x) for x in history.read_text().splitlines()] if history.exists() else []
    assert not [r for r in reports if r["outcome"] == "success"]
    stop.touch()  # the same profile; its command now finishes at once
    code, out, err = finish(up(tree, "--profile", str(profile), "--online"))
    assert code == 0, out + err
    assert "up to date" not in err
    assert "| finished" in out
