"""install.sh with format 2 bundles, offline (`unshare -n`), from a fresh HOME: the good
bundle sets up the bootstrapper's own environment from lock-checked wheels; every hostile
bundle is refused with exit 2 and a stable code, and nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, cli
from support.bundles import Packed, gzip_bomb, on_small_tmpfs
from support.network import netns_available, offline
from test_bundle import HOSTILE, hostile, members, resealed, tampered

pytestmark = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")


def machine(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    pybin = tmp_path / "pybin"
    pybin.mkdir(exist_ok=True)
    if not (pybin / "python3").exists():
        (pybin / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    env = {"PATH": f"{pybin}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return home, env


def stage0(bundle: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = ["sh", str(REPO / "install.sh"), "--cache-bundle", str(bundle), *args]
    return subprocess.run(
        offline(argv), env=env, cwd=REPO, capture_output=True, text=True, check=False, timeout=300
    )


def data(home: Path) -> Path:
    return home / ".local" / "share" / "bootstrap"


def nothing_installed(home: Path) -> None:
    d = data(home)
    assert not (d / "uv").exists() or not any((d / "uv").rglob("uv"))
    assert not list((d / "wheels").glob("*.whl")) if (d / "wheels").exists() else True
    assert not (d / "tool").exists() or not any((d / "tool").rglob(".ok"))


def test_stage0_sets_up_the_bootstrapper_offline_then_skips_the_same_bundle(
    packed: Packed, tmp_path: Path
) -> None:
    home, env = machine(tmp_path)
    first = stage0(packed.path, env, "--no-run")
    assert first.returncode == 0, first.stderr
    (tool,) = (data(home) / "tool").iterdir()
    version = cli.bootstrap("--version", env=env, offline=True, python=str(tool / "bin" / "python"))
    assert version.returncode == 0 and "bootstrap, version" in version.stdout, version.stderr
    # The tool's own wheels only (the project's stay for `bootstrap up` to check).
    have = {p.name.split("-")[0] for p in (data(home) / "wheels").glob("*.whl")}
    assert {"click", "rich", "httpx"} <= have and "six" not in have
    assert not any((data(home) / "wheels" / ".tmp").iterdir())
    again = stage0(packed.path, env, "--no-run")
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stderr


def test_stage0_refuses_a_changed_tool_wheel_and_never_runs_it(
    packed: Packed, tmp_path: Path
) -> None:
    bad, marker = tampered(packed, tmp_path, "click", "click/__init__.py")
    home, env = machine(tmp_path)
    res = stage0(bad, env, "--profile", "python-service")
    assert res.returncode == 2, res.stderr
    assert "click-" in res.stderr and "does not match" in res.stderr
    assert "[bundle.lock_hash]" in res.stderr
    assert not marker.exists()
    nothing_installed(home)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_stage0_refuses_hostile_members(packed: Packed, tmp_path: Path, case: str) -> None:
    bad = hostile(packed, tmp_path, case)
    home, env = machine(tmp_path)
    res = stage0(bad, env, "--no-run")
    assert res.returncode == 2, res.stderr
    assert "[bundle.unsafe_member]" in res.stderr or "[bundle.unsafe_path]" in res.stderr
    assert str(bad) in res.stderr
    nothing_installed(home)
    assert not (tmp_path / "outside").exists() and not Path("/tmp/abs-outside").exists()


def test_stage0_refuses_format_1_and_another_target(packed: Packed, tmp_path: Path) -> None:
    home, env = machine(tmp_path)
    v1 = resealed(tmp_path / "v1.tar", members(packed.path), format=1)
    res = stage0(v1, env, "--no-run")
    assert res.returncode == 2 and "[bundle.format]" in res.stderr, res.stderr
    mac = resealed(tmp_path / "mac.tar", members(packed.path), target="macos-arm64-cpu")
    res = stage0(mac, env, "--no-run")
    assert res.returncode == 2 and "is for macos-arm64-cpu" in res.stderr, res.stderr
    nothing_installed(home)


def test_stage0_refuses_a_python_the_wheels_do_not_serve(packed: Packed, tmp_path: Path) -> None:
    _, env = machine(tmp_path)
    other = resealed(tmp_path / "py.tar", members(packed.path), pythons=["3.99"])
    res = stage0(other, env, "--no-run")
    assert res.returncode == 2, res.stderr
    assert "serve Python 3.99" in res.stderr and "[bundle.python]" in res.stderr
    assert "bootstrap cache pack" in res.stderr and "--python" in res.stderr


def test_stage0_refuses_a_compressed_bundle_without_filling_the_disk(
    packed: Packed, tmp_path: Path
) -> None:
    """A small gzip that unpacks to 256 MB, on a 64 MB tmpfs HOME (GNU tar would
    decompress it on its own): refused before anything is written."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root for a tmpfs in a mount namespace")
    bomb = gzip_bomb(tmp_path / "bomb.tar")
    assert bomb.stat().st_size < 2 << 20
    _, env = machine(tmp_path)
    argv = ["sh", str(REPO / "install.sh"), "--cache-bundle", str(bomb), "--no-run"]
    res, used_kb = on_small_tmpfs(argv, env, cwd=REPO)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "[bundle.not_tar]" in res.stderr
    assert used_kb < 1024, res.stdout


def test_a_sparse_member_is_refused_by_both(packed: Packed, tmp_path: Path) -> None:
    """GNU tar writes a 512 MB sparse file as a few KB; extracted, it is 512 MB."""
    from test_bundle import expect

    from bootstrap.cache import verify
    from bootstrap.errors import IntegrityError

    src = tmp_path / "src"
    (src / "wheels").mkdir(parents=True)
    (src / "manifest.json").write_text("{}")
    with (src / "wheels" / "big-1.0-py3-none-any.whl").open("wb") as fh:
        fh.truncate(512 << 20)
    bad = tmp_path / "sparse.tar"
    names = ["manifest.json", "wheels/big-1.0-py3-none-any.whl"]
    subprocess.run(
        ["tar", "--format=pax", "-S", "-cf", str(bad), "-C", str(src), *names],
        check=True,
    )
    assert bad.stat().st_size < 1 << 20
    with pytest.raises(IntegrityError, match="is a sparse file") as err:
        verify(bad, expect(packed))
    assert err.value.code == "bundle.unsafe_member"
    home, env = machine(tmp_path)
    res = stage0(bad, env, "--no-run")
    assert res.returncode == 2, res.stderr
    assert "more than the file's" in res.stderr and "[bundle.unsafe_member]" in res.stderr
    nothing_installed(home)


def test_stage0_killed_during_import_then_rerun_converges(packed: Packed, tmp_path: Path) -> None:
    """kill -9 of stage 0 (its whole process group) while it unpacks the bundle leaves a
    staging directory; the next run removes it (its process is gone) and finishes."""
    import signal
    import time

    home, env = machine(tmp_path)
    staging = data(home) / "wheels" / ".tmp"
    argv = offline(["sh", str(REPO / "install.sh"), "--cache-bundle", str(packed.path), "--no-run"])
    killed = False
    for _ in range(20):
        child = subprocess.Popen(
            argv, env=env, cwd=REPO, start_new_session=True, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            if staging.is_dir() and any(staging.glob("*-stage0/b/wheels/*")):
                os.killpg(child.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
        child.wait()
        if child.returncode == -signal.SIGKILL:
            killed = True
            break
        shutil.rmtree(data(home), ignore_errors=True)
    assert killed, "stage 0 always finished before it could be killed"
    assert any(staging.iterdir())  # the killed run's staging is still there...
    again = stage0(packed.path, env, "--no-run")
    assert again.returncode == 0, again.stderr
    assert not any(staging.iterdir())  # ...and the next run reclaimed it
    (tool,) = (data(home) / "tool").iterdir()
    assert (tool / ".ok").is_file()
