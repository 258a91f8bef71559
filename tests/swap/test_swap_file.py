"""The swap file travels between machines: read as untrusted input, every problem one
error naming the file and the field (exit 2), nothing half-read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.errors import EXIT_USAGE, ConfigError
from bootstrap.swap.file import Entry, SwapFile, load

COMMIT = "a" * 40


def _project(**over: Any) -> dict[str, Any]:
    base = {"name": "svc", "path": "~/src/svc", "git": "git+https://git.example.com/t/svc.git",
            "branch": "main", "commit": COMMIT, "target": "linux-x86_64-cpu"}  # fmt: skip
    return {**base, **over}


def _write(tmp_path: Path, body: Any) -> Path:
    path = tmp_path / "swap.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _file(*projects: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"swap_version": 1, "created_at": "2026-12-07T10:00:00Z", "tool_version": "0.1",
            "source": {"os": "linux"}, "projects": list(projects), **over}  # fmt: skip


def test_what_export_writes_reads_back(tmp_path: Path) -> None:
    entry = Entry(name="svc", path="~/src/svc", git="git+ssh://git@git.example.com/t/svc.git",
                  branch="main", commit=COMMIT, tools=(("ruff", "0.6.9"),))  # fmt: skip
    swap = SwapFile((entry,), "2026-12-07T10:00:00Z", "0.1", {"os": "linux"})
    back = load(_write(tmp_path, swap.to_json()))
    assert back == swap


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{not json", "not valid JSON"),
        ([], "expected an object"),
        (_file(_project(), swap_version=2), "`swap_version`"),
        (_file(), "`projects`"),
        (_file(_project(), extra=1), "`extra`"),
        (_file(_project(stray="x")), "`projects[0].stray`"),
        (_file(_project(path="~/src/../../.ssh")), "`projects[0].path`"),
        (_file(_project(path="relative/dir")), "`projects[0].path`"),
        (_file(_project(git="git+http://git.example.com/t/svc.git")), "not encrypted"),
        (_file(_project(commit="HEAD")), "`projects[0].commit`"),
        (_file(_project(name="../x")), "`projects[0].name`"),
        (_file(_project(branch="main\u001b]52;c;AAAA\u0007")), "`projects[0].branch`"),
        (_file(_project(profile="svc\u001b[2J")), "control characters"),
        (_file(_project(bundles=[{"target": "linux-x86_64-cpu", "file": "../x.tar",
                                  "sha256": "0" * 64}])), "`projects[0].bundles[0].file`"),
        (_file(_project(tools=[["ruff"]])), "`projects[0].tools[0]`"),
        ('{"swap_version": 1, "x": NaN}', "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_naming_the_field(tmp_path: Path, body: Any, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_write(tmp_path, body))
    assert named in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert str(tmp_path / "swap.json") in str(caught.value)


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "swap.json"
    with path.open("wb") as fh:
        fh.truncate(5 << 20)
    with pytest.raises(ConfigError, match="a swap file is at most"):
        load(path)


def test_a_missing_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nope.json")
    assert "bootstrap swap export" in (caught.value.fix or "")
