"""One JSON shape: every `bootstrap up --json` prints the timing report's schema
(bootstrap/report/schema.json), whichever path answered it -- the quick no-op before
the CLI is imported, the full command's no-op, a first run, a failure -- and a handoff
prints one result per host, each embedding that host's report in the same schema.

Real runs of the CLI, offline from the python-service bundle, on a fresh machine; the
handoffs go to the real stand-ins of the other strategy tests (the chrooted sshd box,
the ``wsl.exe`` stand-in with the Debian distro, podman with the Dev Containers CLI).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.machine import fresh_env

from bootstrap.report.model import load_schema

SERVICE_BUNDLE = ("python-service", "linux-x86_64-cpu")
HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"
HOST_KEYS = {"host", "exit_code", "report_id", "total_seconds", "target", "error", "report"}


def run_up(
    cwd: Path, env: dict[str, str], *args: str, python_flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "bootstrap", "up", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def a_report(text: str) -> dict[str, Any]:
    """stdout as one JSON object that the report schema accepts."""
    data = json.loads(text)
    jsonschema.validate(data, load_schema())
    return data  # type: ignore[no-any-return]


def host_results(text: str, n: int = 1) -> list[dict[str, Any]]:
    """stdout as a handoff's result: ``n`` hosts, each embedding a valid report."""
    data = json.loads(text)
    assert set(data) == {"hosts", "exit_code"}, data
    assert len(data["hosts"]) == n
    for host in data["hosts"]:
        assert set(host) >= HOST_KEYS, host
        jsonschema.validate(host["report"], load_schema())
        assert host["report_id"] == host["report"]["report_id"]
    return data["hosts"]  # type: ignore[no-any-return]


def machine(tmp_path: Path) -> dict[str, str]:
    env = fresh_env(tmp_path / "machine")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "machine" / "bootstrap-home")
    return env


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def imported_modules(importtime_stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in importtime_stderr.splitlines()}


@pytest.mark.slow
def test_native_first_run_and_both_no_op_paths_print_the_report(
    tree: Path, bundle: Any, tmp_path: Path
) -> None:
    env = machine(tmp_path)
    packed = str(bundle(*SERVICE_BUNDLE))
    first = run_up(tree, env, "--profile", "python-service", "--cache-bundle", packed, "--json")
    assert first.returncode == 0, first.stderr
    report = a_report(first.stdout)
    assert report["run_kind"] == "first" and report["outcome"] == "success"
    assert report["strategy"] == "native" and report["time_to_first_run_seconds"] is not None

    # The full command's no-op (--wait is a flag the quick path leaves to the CLI).
    full = run_up(tree, env, "--profile", "python-service", "--json", "--wait", "5")
    assert full.returncode == 0, full.stderr
    noop = a_report(full.stdout)
    assert noop["run_kind"] == "noop" and noop["report_id"] != report["report_id"]

    # The quick no-op: answered before click is imported, and the same shape.
    quick = run_up(
        tree, env, "--profile", "python-service", "--json", python_flags=("-X", "importtime")
    )
    assert quick.returncode == 0, quick.stderr[-2000:]
    assert "click" not in imported_modules(quick.stderr)
    assert "rich" not in imported_modules(quick.stderr)
    quick_noop = a_report(quick.stdout)
    assert quick_noop["run_kind"] == "noop" and quick_noop["profile"] == "python-service"
    assert [r["report_id"] for r in history(env)] == [
        report["report_id"],
        noop["report_id"],
        quick_noop["report_id"],
    ]


@pytest.mark.slow
def test_a_project_side_profile_no_op_prints_the_report_not_a_flag(
    tree: Path, bundle: Any, tmp_path: Path
) -> None:
    """The profile the project keeps (its bootstrap.toml): the no-op was `{"noop": true}`."""
    project = tree / "examples" / "python-service"
    (project / "bootstrap.toml").write_text(
        'name = "service-here"\n\n[[locks]]\nkind = "uv"\npath = "uv.lock"\n\n'
        '[first_run]\ncommand = ["python", "-m", "service"]\ntimeout_seconds = 120\n'
    )
    env = machine(tmp_path)
    first = run_up(project, env, "--cache-bundle", str(bundle(*SERVICE_BUNDLE)), "--json")
    assert first.returncode == 0, first.stderr
    assert a_report(first.stdout)["profile"] == "service-here"
    for extra in ((), ("--wait", "5")):  # the quick path, then the full command
        again = run_up(project, env, "--json", *extra)
        assert again.returncode == 0, again.stderr
        noop = a_report(again.stdout)
        assert noop["run_kind"] == "noop" and noop["profile"] == "service-here"


@pytest.mark.slow
def test_a_failure_prints_its_report_and_keeps_its_exit_code(
    tree: Path, bundle: Any, tmp_path: Path
) -> None:
    profile = tree / "profiles" / "python-service-fails.toml"
    profile.write_text(
        'extends = "python-service"\nname = "python-service-fails"\n\n'
        '[first_run]\ncommand = ["python", "-c", "raise SystemExit(3)"]\n'
    )
    env = machine(tmp_path)
    res = run_up(
        tree, env, "--profile", str(profile), "--cache-bundle", str(bundle(*SERVICE_BUNDLE)),
        "--json",
    )  # fmt: skip
    assert res.returncode == 1, res.stderr
    report = a_report(res.stdout)
    assert report["outcome"] == "failure" and report["error_code"]
    assert report["time_to_first_run_seconds"] is None
    assert "error:" in res.stderr  # the message and its fix, as without --json
    (recorded,) = history(env)
    assert recorded["report_id"] == report["report_id"]


@pytest.mark.remote
@pytest.mark.slow
def test_a_remote_handoff_prints_one_result_per_host_with_its_report(
    tree: Path, bundle: Any, make_remote_box: Any, tmp_path: Path
) -> None:
    box = make_remote_box()
    env = machine(tmp_path)
    env.update(box.env())
    res = run_up(
        tree, env, "--profile", "python-service", "--remote", box.alias, "--cache-bundle",
        str(bundle(*SERVICE_BUNDLE)), "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    (host,) = host_results(res.stdout)
    assert host["host"] == box.alias and host["exit_code"] == 0 and host["error"] is None
    assert host["report"]["strategy"] == "remote" and host["report"]["outcome"] == "success"
    assert host["sent_files"] > 0
    (recorded,) = history(env)
    assert recorded == host["report"]


@pytest.mark.wsl2
@pytest.mark.slow
def test_a_wsl2_handoff_prints_the_distros_report(
    tree: Path, bundle: Any, make_wsl_distro: Any, tmp_path: Path
) -> None:
    import shutil

    windows = HOSTS / "windows-wsl2"
    distro = make_wsl_distro(windows)
    repo = distro.cdrive / "Users" / "dev" / "src" / "bootstrap"
    shutil.copytree(tree, repo)
    env = distro.env(machine(tmp_path))
    downloads = distro.cdrive / "Users" / "dev" / "Downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    packed = shutil.copy2(bundle(*SERVICE_BUNDLE), downloads)
    res = run_up(
        repo, env, "--replay", str(windows), "--strategy", "wsl2", "--profile",
        "python-service", "--cache-bundle", str(packed), "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    (host,) = host_results(res.stdout)
    assert host["host"] == "Ubuntu" and host["report"]["strategy"] == "wsl2"
    assert host["report"]["target"] == "linux-x86_64-cpu"


@pytest.mark.devcontainer
@pytest.mark.slow
def test_a_devcontainer_handoff_prints_the_containers_report(
    tree: Path, bundle: Any, podman_env: Any, tmp_path: Path
) -> None:
    from support.podman import IMAGE

    from bootstrap.strategies import devcontainer_config as dc

    profile = tree / "profiles" / "python-service-dc.toml"
    profile.write_text(
        'extends = "python-service"\nname = "python-service-dc"\n\n'
        f'[strategies.devcontainer]\nimage = "{IMAGE}"\nrun_args = ["--network=none"]\n'
    )
    env = machine(tmp_path)
    env["PATH"] = f"{podman_env.devcontainer.parent}:{env['PATH']}"
    env.update(podman_env.env())
    args = ("--profile", str(profile), "--strategy", "devcontainer", "--json")
    try:
        res = run_up(tree, env, *args, "--cache-bundle", str(bundle(*SERVICE_BUNDLE)))
        assert res.returncode == 0, res.stderr[-3000:]
        (host,) = host_results(res.stdout)
        assert host["report"]["strategy"] == "devcontainer"
        assert host["report"]["outcome"] == "success"
        # The re-run while the container runs is the no-op its strategy vouches for
        # (Strategy.settled / still_up): the report schema again, not a flag.
        again = run_up(tree, env, *args, "--wait", "5")
        assert again.returncode == 0, again.stderr[-3000:]
        noop = a_report(again.stdout)
        assert noop["run_kind"] == "noop" and noop["strategy"] == "devcontainer"
    finally:
        podman_env.remove_containers(tree)
        podman_env.podman("volume", "rm", dc.CACHE_VOLUME, check=False)
