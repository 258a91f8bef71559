"""Bad input through every entry point of this round's classes: each one ends with one
error line, the documented exit code, no traceback, and nothing written outside the
tool's directories (BOOTSTRAP_HOME, and the capture/project the user named)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.cli import bootstrap

REPO = Path(__file__).resolve().parent.parent
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"


def run(tmp_path: Path, *args: str, cwd: Path | None = None, **env: str):
    home = tmp_path / "home"
    full = {k: v for k, v in os.environ.items() if not k.startswith("BOOTSTRAP_")}
    full.update({"BOOTSTRAP_HOME": str(home), **env})
    return bootstrap(*args, env=full, cwd=cwd or tmp_path, timeout=300)


def assert_one_line(res: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == code, out
    assert "Traceback" not in out
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1, res.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def teamrepo(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(TEAMREPO, dest)
    return dest


# -- `detect --capture` into a directory that cannot be one ---------------------------


@pytest.mark.parametrize("where", ["under-a-file", "in-proc", "name-too-long", "read-only"])
def test_capture_into_an_impossible_directory(tmp_path: Path, where: str) -> None:
    (tmp_path / "afile").write_text("x")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    target = {
        "under-a-file": tmp_path / "afile" / "support",
        "in-proc": Path("/proc/bootstrap-capture"),
        "name-too-long": tmp_path / ("x" * 300),
        "read-only": ro / "support",
    }[where]
    if where == "read-only" and os.geteuid() == 0:
        target = Path("/sys/bootstrap-capture")  # root writes anywhere but sysfs
    before = snapshot(tmp_path)
    res = run(tmp_path, "detect", "--capture", str(target))
    assert_one_line(res, 2, "--capture", "cannot write a capture there")
    assert snapshot(tmp_path) - before <= {"home"} | {
        p for p in snapshot(tmp_path) if p.startswith("home/")
    }


# -- values the CLI refuses -------------------------------------------------------------

BAD_VALUES = {
    "check-root-missing": (["check", "--root", "/nonexistent-root"], 2, "not a project"),
    "check-root-empty": (["check", "--root", "{tmp}/empty"], 2, "has no pyproject.toml"),
    "remote-empty": (["up", "--remote", "", "--dry-run"], 2, "remote host"),
    "remote-blank": (["up", "--remote", "  ", "--dry-run"], 2, "remote host"),
    "remote-port-20-digits": (
        ["up", "--remote", "box:99999999999999999999", "--dry-run"], 2, "not a port"),
    "remote-port-zero": (["up", "--remote", "box:0", "--dry-run"], 2, "not a port"),
    "remote-option": (["up", "--remote", "-oProxyCommand=x", "--dry-run"], 2, "remote host"),
    "wait-negative": (["up", "--wait", "-1", "--dry-run"], 2, "--wait"),
    "wait-nan": (["up", "--wait", "nan", "--dry-run"], 2, "--wait"),
    "wait-inf": (["up", "--wait", "inf", "--dry-run"], 2, "--wait"),
    "budget-negative": (["report", "flush", "--budget", "-1"], 2, "--budget"),
    "budget-nan": (["report", "flush", "--budget", "nan"], 2, "--budget"),
    "export-job-empty": (["report", "export", "--job", ""], 2, "--job"),
    "send-job-empty": (
        ["report", "send", "--sink", "pushgateway", "--url", "http://127.0.0.1:9",
         "--job", "", "--last"], 2, "--job"),
    "sink-userinfo-and-token": (
        ["report", "send", "--sink", "http-json", "--url", "http://u:pw@127.0.0.1:9/x",
         "--token-env", "SINK_TOKEN", "--last"], 2, "only one of them"),
    "sink-timeout-nan": (
        ["report", "send", "--sink", "http-json", "--url", "http://127.0.0.1:9/x",
         "--timeout", "nan", "--last"], 2, "timeout"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_are_refused(tmp_path: Path, case: str) -> None:
    argv, code, needle = BAD_VALUES[case]
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    before = snapshot(tmp_path)
    res = run(tmp_path, *argv, cwd=REPO)
    assert_one_line(res, code, needle)
    made = snapshot(tmp_path) - before
    assert all(p == "home" or p.startswith("home/") for p in made), made


# -- a broken pyproject.toml is named, not blamed on the lock or the environment -------


@pytest.mark.parametrize("command", ["up", "lock --check", "doctor", "up --dry-run"])
def test_a_broken_pyproject_is_named(tmp_path: Path, command: str) -> None:
    project = teamrepo(tmp_path)
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("\n[project\nname = 'x'\n")
    profile = str(project / "bootstrap.toml")
    argv = {
        "up": ["up", "--project", str(project)],
        "up --dry-run": ["up", "--project", str(project), "--dry-run"],
        "lock --check": ["lock", "--profile", profile, "--check"],
        "doctor": ["doctor", "--profile", profile],
    }[command]
    res = run(tmp_path, *argv)
    assert_one_line(res, 2, "pyproject.toml", "not valid TOML", "line")
    assert "drift" not in res.stdout and "changed by hand" not in res.stdout
