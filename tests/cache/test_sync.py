"""The offline sync, for real: uv, the tiny project, a cache imported from a bundle."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO
from support.bundles import TINY_LOCK, Packed
from support.interrupt import kill_when
from support.network import netns_available, offline

from bootstrap.plan.model import LockChoice
from bootstrap.sync import (
    MissingDistributions,
    SyncResult,
    is_synced,
    parse_missing,
    same_filesystem,
    sync,
)

BASE = LockChoice("uv.lock", "uv")
PYLOCK = LockChoice("pylock.toml", "pylock")
NO_NET_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def site_listing(venv: Path) -> list[str]:
    return sorted(p.name for p in venv.glob("lib/python*/site-packages/*"))


def env_for(cache: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    return dict(env, UV_CACHE_DIR=str(cache), **NO_NET_ENV)


def test_offline_sync_from_the_warm_cache(uv_bin: Path, tiny: Path, warm_cache: Path) -> None:
    lock_before = digest(tiny / "uv.lock")
    env = env_for(warm_cache)
    assert not is_synced(uv_bin, tiny, TINY_LOCK, env=env)
    res = sync(uv_bin, tiny, TINY_LOCK, env=env)
    assert isinstance(res, SyncResult)
    assert (res.installed, res.network_used, res.cache_hit) == (3, False, True)
    assert res.venv == tiny / ".venv"
    assert "--offline" in res.command and "--frozen" in res.command
    assert is_synced(uv_bin, tiny, TINY_LOCK, env=env)
    assert not is_synced(uv_bin, tiny, BASE, env=env)  # extraneous idna, iniconfig
    again = sync(uv_bin, tiny, TINY_LOCK, env=env)
    assert again.already_synced and again.installed == 0
    py = tiny / ".venv" / "bin" / "python"
    out = subprocess.run(
        [py, "-c", "import six, idna, iniconfig; print(six.__version__, idna.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["1.17.0", "3.10"]
    assert digest(tiny / "uv.lock") == lock_before


def test_uv_project_environment_is_honoured(uv_bin: Path, tiny: Path, warm_cache: Path) -> None:
    venv = tiny.parent / "elsewhere"
    env = dict(env_for(warm_cache), UV_PROJECT_ENVIRONMENT=str(venv))
    res = sync(uv_bin, tiny, BASE, env=env)
    assert res.venv == venv and "six.py" in site_listing(venv)
    assert not (tiny / ".venv").exists()


def test_cache_miss_names_every_missing_distribution(
    uv_bin: Path, tiny: Path, tmp_path: Path
) -> None:
    lock_before = digest(tiny / "uv.lock")
    with pytest.raises(MissingDistributions) as err:
        sync(uv_bin, tiny, TINY_LOCK, env=env_for(tmp_path / "empty-cache"))
    assert sorted(err.value.missing) == ["idna==3.10", "iniconfig==2.0.0", "six==1.17.0"]
    assert err.value.exit_code == 4
    assert "idna==3.10, iniconfig==2.0.0, six==1.17.0" in err.value.message
    assert err.value.fix and "--online" in err.value.fix and "cache-bundle" in err.value.fix
    assert digest(tiny / "uv.lock") == lock_before
    # The probes that listed them left nothing behind.
    assert not list(tiny.glob(".bootstrap-probe-*"))
    assert site_listing(tiny / ".venv") == []


def test_a_miss_leaves_the_existing_environment_as_it_was(
    uv_bin: Path, tiny: Path, warm_cache: Path, tmp_path: Path
) -> None:
    sync(uv_bin, tiny, BASE, env=env_for(warm_cache))
    before = site_listing(tiny / ".venv")
    assert "six.py" in before
    with pytest.raises(MissingDistributions) as err:
        sync(uv_bin, tiny, TINY_LOCK, env=env_for(tmp_path / "empty-cache"))
    # six is already installed: only what the new extra and group add is missing.
    assert sorted(err.value.missing) == ["idna==3.10", "iniconfig==2.0.0"]
    assert site_listing(tiny / ".venv") == before
    assert is_synced(uv_bin, tiny, BASE, env=env_for(warm_cache))


def test_pylock_sync_and_miss(uv_bin: Path, tiny: Path, warm_cache: Path, tmp_path: Path) -> None:
    venv = tmp_path / "pyvenv"
    with pytest.raises(MissingDistributions) as err:
        sync(uv_bin, tiny, PYLOCK, venv=venv, env=env_for(tmp_path / "empty"))
    assert sorted(err.value.missing) == ["idna==3.10", "six==1.17.0"]
    res = sync(uv_bin, tiny, PYLOCK, venv=venv, env=env_for(warm_cache))
    assert res.installed == 2 and not res.network_used
    assert is_synced(uv_bin, tiny, PYLOCK, venv=venv, env=env_for(warm_cache))
    assert {"six.py", "idna"} <= set(site_listing(venv))


def test_missing_lock_is_a_user_error(uv_bin: Path, tmp_path: Path) -> None:
    from bootstrap.errors import UserError

    with pytest.raises(UserError, match=r"uv\.lock: lock file not found"):
        sync(uv_bin, tmp_path, BASE)


def test_parse_missing_reads_uv_messages() -> None:
    # Verbatim from uv 0.13.9 (tests above produce them for real).
    stderr = (
        "error: Failed to download `six==1.17.0`\n"
        "  cause: Network connectivity is disabled, but the requested data wasn't found "
        "in the cache: https://files.pythonhosted.org/packages/b7/ce/x/six-1.17.0-py2.py3"
        "-none-any.whl\n"
    )
    assert parse_missing(stderr) == ["six==1.17.0"]


@pytest.fixture
def other_fs_dir() -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir() or same_filesystem(shm, Path(tempfile.gettempdir())) is not False:
        pytest.skip("no second filesystem to put the cache on")
    d = Path(tempfile.mkdtemp(dir=shm))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_cache_on_another_filesystem_warns(
    uv_bin: Path, tiny: Path, warm_cache: Path, other_fs_dir: Path
) -> None:
    cache = other_fs_dir / "uv-cache"
    shutil.copytree(warm_cache, cache, symlinks=True)
    res = sync(uv_bin, tiny, BASE, env=env_for(cache))
    assert len(res.warnings) == 1
    assert "another filesystem" in res.warnings[0] and "UV_CACHE_DIR" in res.warnings[0]
    same = sync(uv_bin, tiny, BASE, env=env_for(warm_cache))
    assert same.warnings == ()


SYNC_SCRIPT = """
import json, sys
from pathlib import Path
from bootstrap.plan.model import LockChoice
from bootstrap.sync import sync
lock = LockChoice("uv.lock", "uv", tuple(sys.argv[3:4]), ())
res = sync(Path(sys.argv[1]), Path(sys.argv[2]), lock)
print(json.dumps(res.to_dict()))
"""


def repo_copy(dest: Path) -> Path:
    """This repository's own project as stage 0 uses it (built by hatchling)."""
    dest.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(
        REPO / "bootstrap", dest / "bootstrap", ignore=shutil.ignore_patterns("__pycache__")
    )
    return dest


def test_killed_sync_then_rerun_succeeds(uv_bin: Path, tmp_path: Path, warm_cache: Path) -> None:
    project = repo_copy(tmp_path / "repo")
    lock_before = digest(project / "uv.lock")
    # Copying (not hard-linking) makes the install long enough to be killed in the middle.
    env = dict(env_for(warm_cache), UV_LINK_MODE="copy", PYTHONPATH=str(REPO))
    argv = [sys.executable, "-c", SYNC_SCRIPT, str(uv_bin), str(project)]
    site = project / ".venv" / "lib"
    killed = kill_when(
        argv,
        env=env,
        before=lambda: shutil.rmtree(project / ".venv", ignore_errors=True),
        ready=lambda: any(site.glob("python*/site-packages/*.dist-info")),
        group=True,  # the tool and uv under it
        tries=5,
    )
    assert killed, "the sync always finished before it could be killed"
    assert not is_synced(uv_bin, project, BASE, env=env)
    rerun = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["network_used"] is False
    assert is_synced(uv_bin, project, BASE, env=env)
    py = project / ".venv" / "bin" / "python"
    check = subprocess.run([py, "-c", "import httpx, rich, mypy"], capture_output=True, check=False)
    assert check.returncode == 0, check.stderr
    assert digest(project / "uv.lock") == lock_before


needs_netns = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")


@needs_netns
def test_fresh_machine_with_no_network_syncs_from_the_bundle_alone(
    packed: Packed, uv_bin: Path, tmp_path: Path
) -> None:
    """Fresh HOME, empty uv cache, no network interfaces at all: `cache import` checks the
    bundle against the locks, then the sync installs from the wheelhouse alone."""
    home, cache = tmp_path / "home", tmp_path / "uv-cache"
    home.mkdir()
    project = shutil.copytree(REPO / "tests" / "cache" / "projects" / "tiny", tmp_path / "tiny")
    wheelhouse = tmp_path / "wheels"
    env = dict(env_for(cache), HOME=str(home), BOOTSTRAP_HOME=str(home / "bs"))
    env["PYTHONPATH"] = str(REPO)
    env.pop("UV", None)

    def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            offline(argv), env=env, capture_output=True, text=True, check=False, **kw
        )  # type: ignore[call-overload]

    probe = run(
        [sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), 2)"]
    )
    assert probe.returncode != 0, "the namespace still has network"

    imp = run(
        [
            sys.executable,
            "-m",
            "bootstrap",
            "cache",
            "import",
            str(packed.path),
            "--target",
            packed.target,
            "--lock",
            str(project / "uv.lock"),
            "--wheelhouse",
            str(wheelhouse),
        ]
    )
    assert imp.returncode == 0, imp.stderr
    script = SYNC_SCRIPT.replace(", lock)", f", lock, find_links=Path({str(wheelhouse)!r}))", 1)
    synced = run([sys.executable, "-c", script, str(uv_bin), str(project), "net"])
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert result["network_used"] is False and result["installed"] == 2
    py = project / ".venv" / "bin" / "python"
    imported = run([str(py), "-c", "import six, idna; print(six.__version__, idna.__version__)"])
    assert imported.stdout.split() == ["1.17.0", "3.10"], imported.stderr


@needs_netns
def test_a_miss_from_the_wheelhouse_names_what_is_missing(
    packed: Packed, uv_bin: Path, tmp_path: Path
) -> None:
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    import tarfile

    with tarfile.open(packed.path) as tar:
        six = next(i for i in tar.getmembers() if i.name.startswith("wheels/six-"))
        (wheelhouse / six.name.split("/")[1]).write_bytes(tar.extractfile(six).read())  # type: ignore[union-attr]
    project = shutil.copytree(REPO / "tests" / "cache" / "projects" / "tiny", tmp_path / "tiny")
    env = env_for(tmp_path / "uv-cache")
    with pytest.raises(MissingDistributions) as err:
        sync(uv_bin, project, TINY_LOCK, env=env, find_links=wheelhouse)
    assert set(err.value.missing) == {"idna==3.10", "iniconfig==2.0.0"}
    assert err.value.exit_code == 4


def test_parse_missing_names_a_build_backend_not_the_project() -> None:
    # Verbatim from uv 0.13.9: the repository's own project, offline, with a cache that
    # has its dependencies but not its build backend.
    stderr = """\
   Building bootstrap @ file:///tmp/r2
error: Failed to build `bootstrap @ file:///tmp/r2`
  cause: Failed to resolve requirements from `build-system.requires`
  cause: No solution found when resolving: `hatchling>=1.25`
  cause: Because hatchling was not found in the cache and you require hatchling>=1.25, we \
can conclude that your requirements are unsatisfiable.

hint: Packages were unavailable because the network was disabled. When the network is \
disabled, registry packages may only be read from the cache.
"""
    assert parse_missing(stderr) == ["hatchling (to build bootstrap @ file:///tmp/r2)"]


def test_pylock_sync_from_the_wheelhouse_uses_the_pylock_hashes(
    packed: Packed, uv_bin: Path, tmp_path: Path
) -> None:
    from bootstrap.cache import Expect, import_bundle

    project = shutil.copytree(REPO / "tests" / "cache" / "projects" / "tiny", tmp_path / "tiny")
    wheelhouse = tmp_path / "wheels"
    import_bundle(
        packed.path,
        wheelhouse,
        Expect(locks=[project / "uv.lock", project / "pylock.toml", REPO / "uv.lock"]),
    )
    venv = tmp_path / "venv"
    env = env_for(tmp_path / "empty-cache")
    res = sync(uv_bin, project, PYLOCK, venv=venv, env=env, find_links=wheelhouse)
    assert res.installed >= 1 and not res.network_used
    assert "--require-hashes" in res.command
    assert is_synced(uv_bin, project, PYLOCK, venv=venv, env=env)
