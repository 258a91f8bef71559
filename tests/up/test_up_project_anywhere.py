"""One project, one environment, one record, wherever `up` is started from.

Found on real projects (click, werkzeug): set up with `install.sh --project DIR
--cache-bundle F` from elsewhere, then run again from inside the project (`install.sh`
with no `--project`, as the project's README would say). The run state was keyed by the
current directory too, so the second run found no record: it ran the project's whole
test suite again and recorded a second "first" run for an environment that already had
one, skewing time to first run. The same project is the same environment, whether it is
named by `--project DIR`, `--project .` or found as the current directory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.machine import fresh_env
from support.network import netns_available

OFFLINE = 'ip link set lo up 2>/dev/null || true; exec "$@"'


def _install(tree: Path, cwd: Path, env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        ["unshare", "-n", "sh", "-c", OFFLINE, "stage0", "sh", str(tree / "install.sh"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    return out


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_the_project_is_up_to_date_from_its_own_directory_after_a_run_from_elsewhere(
    shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    project = tmp_path / "work" / "srcapp"
    shutil.copytree(template, project)
    env = fresh_env(tmp_path / "machine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    first = _install(tree, elsewhere, env, "--project", str(project), "--cache-bundle", str(bundle))
    assert "5 passed" in first, first

    # From the project's directory: with no --project, with --project ., by the kept
    # profile's name, and from a third directory by a relative path. None of them runs
    # the tests again.
    again = [
        _install(tree, project, env),
        _install(tree, project, env, "--project", "."),
        _install(tree, project.parent, env, "--project", "srcapp"),
        _install(tree, project, env, "--profile", "srcapp"),
    ]
    for out in again:
        assert "up to date: profile 'srcapp'" in out, out
        assert "passed" not in out, out

    history = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    kinds = [json.loads(line)["run_kind"] for line in history.read_text().splitlines()]
    assert kinds == ["first", "noop", "noop", "noop", "noop"]


def test_a_record_under_the_older_key_is_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the upgrade, the record the last success wrote (keyed by the directory it
    ran from as well) still makes the run from that directory a no-op; the new key is
    the same from any directory."""
    from bootstrap.app import UpOptions, _legacy_state_key, _load_state, _state_key
    from bootstrap.paths import Paths
    from bootstrap.steps.state import RunState

    project = tmp_path / "proj"
    project.mkdir()
    (project / "bootstrap.toml").write_text('name = "proj"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    paths = Paths(data=tmp_path / "d", state=tmp_path / "s", cache=tmp_path / "c")
    named = UpOptions(project=str(project))

    monkeypatch.chdir(elsewhere)
    old = RunState.load(paths, _legacy_state_key(named))
    old.success = {"inputs": {"files": {}}, "next": ["echo ok"]}
    old.save()
    taken = _load_state(paths, named)
    assert taken.success == old.success
    assert taken.path == paths.runs / f"{_state_key(named)}.json" != old.path
    key_from_elsewhere = _state_key(named)

    monkeypatch.chdir(project)
    assert _state_key(UpOptions()) == key_from_elsewhere
    assert _state_key(UpOptions(project=".")) == key_from_elsewhere
    # The profile kept here named by its name (or its path) is the same environment.
    assert _state_key(UpOptions(profile="proj")) == key_from_elsewhere
    assert _state_key(UpOptions(profile="bootstrap.toml")) == key_from_elsewhere
    # A profile with no project of its own is still one record per directory.
    here = _state_key(UpOptions(profile="default"))
    monkeypatch.chdir(elsewhere)
    assert _state_key(UpOptions(profile="default")) != here
