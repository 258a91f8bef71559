"""An environment changed in place is never "up to date": its site-packages wiped (the
venv and its synced marker kept), one distribution removed, or one replaced by hand.
The quick no-op (answered before the CLI loads) and the full command both notice, from
what the last success recorded of the installed distributions (their RECORD files), and
the next run repairs the environment; after that the no-op is a no-op again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_up_local import finish, home, service, up
from test_up_noop import _first_success, _imports, _project

__all__ = ["home"]  # the fixture, used by name

pytestmark = pytest.mark.network


def _site(tree: Path) -> Path:
    (site,) = (_project(tree) / ".venv" / "lib").glob("python*/site-packages")
    return site


def _wipe(site: Path) -> None:
    for entry in site.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _remove_bottle(site: Path) -> None:
    for entry in site.glob("bottle*"):
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _replace_record(site: Path) -> None:
    # A distribution reinstalled by hand writes a new RECORD (same files, new inode).
    (record,) = site.glob("itsdangerous-*.dist-info/RECORD")
    text = record.read_bytes()
    record.unlink()
    record.write_bytes(text)


CHANGES: dict[str, Callable[[Path], None]] = {
    "site-packages-wiped": _wipe,
    "one-distribution-removed": _remove_bottle,
    "one-distribution-reinstalled": _replace_record,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_an_environment_changed_in_place_is_not_up_to_date(
    tree: Path, home: Path, change: str
) -> None:
    _first_success(tree)
    venv = _project(tree) / ".venv"
    CHANGES[change](_site(tree))
    assert (venv / "pyvenv.cfg").is_file() and (venv / ".bootstrap-synced").is_file()
    # The quick no-op path (`up --profile P --online`, before click is imported).
    argv = [sys.executable, "-m", "bootstrap", "up", "--profile", service(tree), "--online"]
    quick = subprocess.run(
        argv, cwd=tree, env={**os.environ, "CI": "1"}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert quick.returncode == 0, quick.stdout + quick.stderr
    assert "up to date" not in quick.stderr, quick.stderr
    assert "[sync]" in quick.stdout, quick.stdout  # the steps ran: uv checked it
    if change != "one-distribution-reinstalled":  # (same files: uv finds nothing to do)
        assert "[sync] done" in quick.stdout, quick.stdout
    assert _imports(tree).returncode == 0
    # Repaired, and recorded: the same command is a no-op again.
    code, out, err = finish(up(tree, "--profile", service(tree), "--online"))
    assert code == 0 and "up to date" in err, out + err


def test_the_full_command_and_the_sync_check_notice_too(tree: Path, home: Path) -> None:
    """The same check through the full CLI (an option the quick path does not take), and
    uv's own check behind the sync step (`is_synced`) on the emptied environment."""
    from bootstrap.plan.model import LockChoice
    from bootstrap.sync import is_synced

    _first_success(tree)
    _wipe(_site(tree))
    uv = Path(os.environ["UV"])
    project = _project(tree)
    assert not is_synced(uv, project, LockChoice("uv.lock", "uv"), env=dict(os.environ))
    code, out, err = finish(up(tree, "--profile", service(tree), "--online", "--wait", "30"))
    assert code == 0, out + err
    assert "up to date" not in err and "[sync] done" in out, out + err
    assert _imports(tree).returncode == 0
