"""`bootstrap check` in a CI job: a fresh BOOTSTRAP_HOME, no network at all (`unshare -n`),
the pinned uv already running the check (installed by stage 0 elsewhere: a runner's tool
cache). The whole gate passes, the offline proof reusing that uv after tying its bytes to
the pin; a uv whose bytes no longer match stage 0's record, or with no record, is not
reused, and the proof says why (and, with no network, fails installing its own).

The project is the fakegpu one (tests/support/fakegpu.py): its index is on 127.0.0.1, so
the job that warms uv's cache (a CI stage with the network) needs no internet either."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fakegpu
from support.network import netns_available, offline

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here"),
]


@pytest.fixture
def ci(tmp_path: Path, uv_bin: Path) -> Iterator[dict[str, object]]:
    """A runner: the pinned uv where stage 0 installed it in another home (its record
    beside it), uv's cache warmed by one `up` with the network, then a fresh home."""
    tools = tmp_path / "runner-tools" / "uv"
    shutil.copytree(uv_bin.parent, tools, ignore=shutil.ignore_patterns("bootstrap*"))
    if not (tools / ".verified").is_file():
        pytest.skip("the uv running the suite was not installed by stage 0 (no record)")
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "BOOTSTRAP_NO_METRICS": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    warm_home = tmp_path / "warm-home"
    shutil.copytree(tools, warm_home / "data" / "uv" / tools.name)
    with fakegpu.served_project(tmp_path, tools / "uv", base) as (project, _server):
        warm = bootstrap(project, {**base, "BOOTSTRAP_HOME": str(warm_home)}, "up")
        assert warm.returncode == 0, warm.stdout + warm.stderr
    fresh = tmp_path / "fresh-home"
    fresh.mkdir()
    env = {**base, "BOOTSTRAP_HOME": str(fresh)}
    yield {"project": project, "env": env, "tools": tools, "fresh": fresh}


def bootstrap(
    cwd: Path, env: dict[str, str], *args: str, netns: bool = False
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bootstrap", *args]
    return subprocess.run(
        offline(argv) if netns else argv,
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def results(r: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert "Traceback" not in r.stderr, r.stderr
    return {c["check"]: c for c in json.loads(r.stdout)["checks"]}


def test_check_passes_offline_with_a_fresh_home(ci: dict[str, object]) -> None:
    project, fresh = Path(str(ci["project"])), Path(str(ci["fresh"]))
    # As `uv run bootstrap check` runs it: uv names itself in UV.
    env = {**ci["env"], "UV": str(Path(str(ci["tools"])) / "uv")}  # type: ignore[dict-item]
    r = bootstrap(project, env, "check", "--json", netns=True)
    checks = results(r)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(c["ok"] for c in checks.values()), checks
    notes = " | ".join(checks["f"]["notes"])  # type: ignore[arg-type]
    assert "no network: network namespace" in notes
    assert (
        "reused the running uv" in notes
        and "the binary stage 0 unpacked from the pinned uv-" in (notes)
    )
    assert "time to first successful run" in notes
    # The proof kept to its temporary home: the fresh one holds no uv and no record.
    assert not (fresh / "data" / "uv").exists()
    assert not (fresh / "state" / "runs").exists()


def test_a_uv_the_pin_does_not_vouch_for_is_not_reused(
    ci: dict[str, object], tmp_path: Path
) -> None:
    project = Path(str(ci["project"]))
    tools = Path(str(ci["tools"]))
    # The same uv with one byte appended (it still runs and says 0.13.9): its SHA-256 is
    # no longer the one stage 0 recorded.
    changed = tmp_path / "changed"
    shutil.copytree(tools, changed)
    with (changed / "uv").open("ab") as fh:
        fh.write(b"\0")
    # The same bytes with no record beside them (as setup-uv or pip would leave it).
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy2(tools / "uv", bare / "uv")
    for uv, why in (
        (changed / "uv", "does not match the SHA-256 recorded when it was installed"),
        (bare / "uv", "no record of a verified install is beside it"),
    ):
        env = {**ci["env"], "UV": str(uv)}  # type: ignore[dict-item]
        r = bootstrap(project, env, "check", "--only", "f", netns=True)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "FAIL f" in r.stdout
        assert f"uv: the running uv is not reused: {uv} " in r.stdout and why in r.stdout
        assert "could not install uv" in r.stdout  # no network to fetch its own
        assert "sh install.sh --uv run bootstrap check" in r.stdout
