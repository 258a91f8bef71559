"""Pinned tools: `[tools]` in a profile, `bootstrap tools`, and a warmed tool running
with no network at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.cli import bootstrap
from support.network import netns_available

PROFILE = '[[locks]]\nkind = "uv"\n\n[tools]\nruff = "0.6.9"\n"pre-commit" = "3.8.0"\n'


def test_tools_lists_each_with_its_uvx_command(tmp_path: Path) -> None:
    prof = tmp_path / "team.toml"
    prof.write_text(PROFILE)
    r = bootstrap("tools", "--profile", str(prof))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "pre-commit  3.8.0       uvx pre-commit@3.8.0",
        "ruff        0.6.9       uvx ruff@0.6.9",
    ]
    data = json.loads(bootstrap("tools", "-p", str(prof), "--json").stdout)
    assert data["tools"][1] == {"name": "ruff", "version": "0.6.9", "command": "uvx ruff@0.6.9"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[tools]\nruff = ">=0.6"\n',
            '`tools.ruff`: expected an exact version ("0.6.9"), not a range',
        ),
        ("[tools]\nruff = 6\n", "`tools.ruff`: expected an exact version"),
        ('[tool]\nruff = "0.6.9"\n', "unknown key `tool` (did you mean `tools`?)"),
    ],
)
def test_bad_tools_tables_are_one_line(tmp_path: Path, body: str, expected: str) -> None:
    prof = tmp_path / "team.toml"
    prof.write_text(body)
    r = bootstrap("tools", "--profile", str(prof))
    assert r.returncode == 2
    assert expected in r.stderr.splitlines()[0], r.stderr


@pytest.mark.network
@pytest.mark.netns
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_warmed_tool_runs_offline(tmp_path: Path, uv_bin: Path) -> None:
    import subprocess
    import sys

    prof = tmp_path / "team.toml"
    prof.write_text('[[locks]]\nkind = "uv"\n\n[tools]\nruff = "0.6.9"\n')
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "cache"), "UV_SYSTEM_CERTS": "1"}
    argv = [sys.executable, "-m", "bootstrap", "tools", "-p", str(prof), "--warm", "--offline"]
    cold = subprocess.run(
        ["unshare", "-n", *argv], env=env, capture_output=True, text=True, check=False
    )
    assert cold.returncode == 1 and "FAIL uvx ruff@0.6.9" in cold.stdout
    warm = bootstrap("tools", "-p", str(prof), "--warm", env=env, timeout=300)
    assert warm.returncode == 0, warm.stdout + warm.stderr
    assert "ok   uvx ruff@0.6.9  ruff 0.6.9" in warm.stdout
    proof = subprocess.run(
        ["unshare", "-n", *argv], env=env, capture_output=True, text=True, check=False
    )
    assert proof.returncode == 0, proof.stdout + proof.stderr
    assert "ok   uvx ruff@0.6.9  ruff 0.6.9" in proof.stdout
