"""The `bootstrap` launcher next to the pinned uv, and the closing commands of `up`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bootstrap.launcher import next_commands, write_launcher


def test_the_launcher_runs_this_bootstrapper_from_a_bare_shell(tmp_path: Path) -> None:
    home = tmp_path / "home with space"
    launcher = write_launcher(tmp_path, Path(sys.executable), {"BOOTSTRAP_HOME": str(home)})
    assert launcher == tmp_path / "bootstrap"
    res = subprocess.run(
        [str(launcher), "--version"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("bootstrap")
    # The run's BOOTSTRAP_HOME is kept (the history is there), unless the caller sets one.
    assert f"export BOOTSTRAP_HOME=${{BOOTSTRAP_HOME:-'{home}'}}" in launcher.read_text()


def test_no_launcher_to_a_throw_away_environment(tmp_path: Path) -> None:
    ephemeral = tmp_path / "cache" / "archive-v0" / "abc" / "bin" / "python"
    assert write_launcher(tmp_path, ephemeral, {}) is None
    assert not (tmp_path / "bootstrap").exists()


def test_commands_use_absolute_paths_until_the_directory_is_on_path(tmp_path: Path) -> None:
    uv = tmp_path / "data" / "uv" / "0.13.9" / "uv"
    common = {
        "project": tmp_path / "proj",
        "venv": tmp_path / "proj" / ".venv",
        "uv": uv,
        "launcher": uv.parent / "bootstrap",
        "first_run": ("python", "-m", "pytest"),
        "uv_project": True,
    }
    far = next_commands(**common, environ={"PATH": "/usr/bin"})  # type: ignore[arg-type]
    assert f"cd {tmp_path / 'proj'} && {uv} run --no-sync python -m pytest" in far[1]
    assert far[3].strip().startswith(f"{uv.parent / 'bootstrap'} report show")
    assert "--modify-path" in far[-1] and str(uv.parent) in far[-1]
    near = next_commands(**common, environ={"PATH": f"/usr/bin:{uv.parent}"})  # type: ignore[arg-type]
    assert " && uv run --no-sync python -m pytest" in near[1]
    assert near[3].strip().startswith("bootstrap report show")
    assert not any("--modify-path" in line for line in near)
