"""The shared connection's socket path always fits a Unix socket, however deep TMPDIR
is (macOS's /var/folders/..., a test's temporary directory)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from bootstrap.transports.ssh import SOCKET_PATH_MAX, control_dir


@pytest.mark.parametrize("depth", [1, 8, 20])
def test_the_socket_path_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int) -> None:
    deep = tmp_path.joinpath(*["d" * 6] * depth)
    deep.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    made = control_dir()
    try:
        socket = made / ("0" * 40)  # ssh's %C
        assert len(os.fsencode(socket)) <= SOCKET_PATH_MAX
        assert made.stat().st_mode & 0o777 == 0o700
        if len(os.fsencode(deep)) + 60 <= SOCKET_PATH_MAX:
            assert made.parent == deep  # a short TMPDIR is kept
    finally:
        made.rmdir()
