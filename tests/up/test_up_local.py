"""`bootstrap up` on this machine with a warm uv cache: locking, resuming, the no-op
re-run, strategies it cannot carry out yet, and the report it leaves."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import cli

from bootstrap.uv.install import MARKER


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A BOOTSTRAP_HOME that already holds the pinned uv (copied, with its marker, from
    the installation running this suite), so nothing needs the network."""
    running = os.environ.get("UV")
    source = Path(running).parent if running else None
    if source is None or not (source / MARKER).is_file():
        pytest.skip("the suite is not running under an install.sh-installed uv (no marker)")
    root = tmp_path / "bootstrap-home"
    shutil.copytree(source, root / "data" / "uv" / source.name)
    monkeypatch.setenv("BOOTSTRAP_HOME", str(root))
    return root


def up(tree: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return cli.start("up", *args, cwd=tree, env=cli.environ(CI="1", **env))


def finish(p: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def wait_for(p: subprocess.Popen[str], needle: str, timeout: float = 60) -> list[str]:
    """Read p's stdout until a line contains ``needle``."""
    assert p.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never appeared: {''.join(seen)}")


def service(tree: Path) -> str:
    return str(tree / "profiles" / "python-service.toml")


@pytest.mark.network
def test_second_run_refuses_or_waits_while_the_first_holds_the_lock(tree: Path, home: Path) -> None:
    first = up(tree, "--profile", service(tree), "--online")
    wait_for(first, "[ensure-uv]")
    code, _, err = finish(up(tree, "--profile", service(tree), "--online", "--wait", "0"))
    assert code == 5
    assert "another `bootstrap up` is running" in err
    waiting = up(tree, "--profile", service(tree), "--online", "--wait", "120")
    assert finish(first)[0] == 0
    code, _, err = finish(waiting)
    assert code == 0
    assert "up to date" in err  # it queued behind the first and found the work done
    runs = (home / "state" / "history.jsonl").read_text().splitlines()
    # The first run, and the queued one's no-op (recorded too, never a first run).
    kinds = [(json.loads(r)["outcome"], json.loads(r)["run_kind"]) for r in runs]
    assert kinds == [("success", "first"), ("success", "noop")]


@pytest.mark.network
def test_killed_run_resumes_and_converges(tree: Path, home: Path) -> None:
    # kill -9 as soon as the sync starts; the re-run must finish the job.
    first = up(tree, "--profile", service(tree), "--online")
    wait_for(first, "[sync]")
    first.send_signal(signal.SIGKILL)
    first.wait()
    code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
    assert code == 0, out + err
    assert "service ok" in out
    # ...and a third run is the fast no-op.
    start = time.monotonic()
    code, _, err = finish(up(tree, "--profile", service(tree), "--online"))
    assert code == 0 and "up to date" in err
    assert time.monotonic() - start < 10


def test_failed_first_run_is_reported_with_its_exit_code(tree: Path, home: Path) -> None:
    profile = tree / "profiles" / "failing.toml"
    profile.write_text(
        'extends = "default"\nname = "failing"\n\n[first_run]\n'
        'command = ["python", "-c", "import sys; print(\'boom\'); sys.exit(7)"]\n'
    )
    code, out, err = finish(up(tree, "--profile", str(profile)))
    if code == 4:
        pytest.skip("the repository's own lock is not in the uv cache yet")
    assert code == 1, out + err
    assert "| boom" in out  # the command's output streamed live
    assert "failed with exit code 7" in err
    (report,) = [json.loads(x) for x in (home / "state" / "history.jsonl").read_text().splitlines()]
    assert report["outcome"] == "failure"
    assert report["error_code"] == "first_run.failed"


def test_wsl2_from_a_linux_host_is_one_clear_line(tree: Path, home: Path) -> None:
    code, _, err = finish(up(tree, "--profile", service(tree), "--strategy", "wsl2"))
    assert code == 2, err
    assert "warning: --strategy wsl2 looks wrong here: WSL2 is a Windows strategy" in err
    assert "error: wsl.exe was not found: the wsl2 strategy hands over from Windows" in err
    assert "Traceback" not in err


def test_dry_run_changes_nothing(tree: Path, home: Path) -> None:
    code, _, err = finish(up(tree, "--profile", service(tree), "--dry-run"))
    assert code == 0
    assert "would sync: uv sync --frozen --offline --no-build" in err
    assert not (tree / "examples" / "python-service" / ".venv").exists()
    assert not (home / "state" / "history.jsonl").exists()


def test_json_prints_the_timing_report(tree: Path, home: Path) -> None:
    code, out, err = finish(up(tree, "--profile", service(tree), "--online", "--json"))
    if code != 0:
        pytest.skip(f"python-service could not be synced here: {err.strip().splitlines()[-1:]}")
    report = json.loads(out)
    assert report["schema_version"] == 2
    assert report["profile"] == "python-service"
    assert report["outcome"] == "success"
    assert set(report["phases"]) >= {"detect", "plan", "uv", "python", "sync", "first_run"}


def test_metrics_sink_down_never_fails_up_and_the_next_run_delivers(tree: Path, home: Path) -> None:
    received: list[str] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(self.headers.get("Idempotency-Key", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with socket.socket() as probe:  # a free port, with nothing listening on it yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sinks = json.dumps([{"kind": "http-json", "url": f"http://127.0.0.1:{port}/runs"}])
    env = {"BOOTSTRAP_NO_METRICS": "", "BOOTSTRAP_METRICS_SINKS": sinks}

    # The sink is down: `up` still succeeds, within its budget, and spools the report.
    code, out, err = finish(up(tree, "--profile", service(tree), "--online", **env))
    assert code == 0, out + err
    (first,) = [json.loads(x) for x in (home / "state" / "history.jsonl").read_text().splitlines()]
    assert any((home / "state" / "spool").rglob("*")), "nothing was spooled"
    assert received == []

    # The sink is back: the next run sends the spooled report first, exactly once.
    server = ThreadingHTTPServer(("127.0.0.1", port), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, out, err = finish(
            up(tree, "--profile", service(tree), "--refresh", "--online", **env)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, out + err
    assert first["report_id"] in received
    assert received.count(first["report_id"]) == 1


def _with_tools(tree: Path, tools: str) -> str:
    profile = tree / "profiles" / "with-tools.toml"
    text = (tree / "profiles" / "python-service.toml").read_text()
    profile.write_text(text.replace('name = "python-service"', 'name = "with-tools"') + tools)
    return str(profile)


def test_a_tool_missing_offline_is_named_and_does_not_fail_the_run(tree: Path, home: Path) -> None:
    # An ancient ruff no cache here holds: offline it cannot be warmed.
    profile = _with_tools(tree, '\n[tools]\nruff = "0.0.17"\n')
    code, out, err = finish(up(tree, "--profile", profile))
    if code == 4:
        pytest.skip("the example's lock is not in the uv cache yet")
    assert code == 0, out + err
    assert "0 of 1 warmed; not: ruff@0.0.17" in out + err
    assert "warm it with network: bootstrap tools --warm" in out + err
    assert "service ok" in out


@pytest.mark.network
def test_up_warms_the_pinned_tools_so_uvx_works_offline(
    tree: Path, home: Path, tmp_path: Path, uv_bin: Path
) -> None:
    profile = _with_tools(tree, '\n[tools]\nruff = "0.6.9"\n')
    cache = str(tmp_path / "uv-cache")  # empty: the tool can only come from the warm step
    code, out, err = finish(up(tree, "--profile", profile, "--online", UV_CACHE_DIR=cache))
    assert code == 0, out + err
    assert "1 warmed: uvx ruff@0.6.9" in out + err
    env = {**os.environ, "UV_CACHE_DIR": cache}
    again = subprocess.run(
        [str(uv_bin), "tool", "run", "--offline", "ruff@0.6.9", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0 and again.stdout.strip() == "ruff 0.6.9", again.stderr
