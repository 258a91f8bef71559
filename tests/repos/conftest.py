"""A git daemon on 127.0.0.1 serving repositories made in each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.gitserver import GitServer, git_daemon


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_daemon(tmp_path / "served") as srv:
        yield srv
