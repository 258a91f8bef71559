"""The hostile-bundle matrix through the commands a person types, `bootstrap cache verify`
and `bootstrap cache import`, offline (`unshare -n`): every bad bundle gets exit 2 and one
line naming the bundle and the stable code, and nothing lands (no wheel in the
wheelhouse, no staging left, no file outside it, the injected code never runs). The same
bundles go through install.sh in test_stage0_bundle.py and through `bootstrap up` in
tests/up/test_up_offline.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO
from support.bundles import TINY, Packed, gzip_bomb, on_small_tmpfs
from support.network import netns_available, offline
from test_bundle import HOSTILE, hostile, members, resealed, tampered

pytestmark = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")

PY = f"{sys.version_info[0]}.{sys.version_info[1]}"
# What the one line says for each kind of refusal (the stable codes are in the report
# and in stage 0's output; the command prints the sentence).
UNSAFE = ("unsafe member", "holds only regular files", "unexpected member")


def bad_bundle(packed: Packed, tmp_path: Path, case: str) -> tuple[Path, tuple[str, ...]]:
    """The bundle for ``case`` and what the refusal may say."""
    if case in HOSTILE:
        return hostile(packed, tmp_path, case), UNSAFE
    raw = members(packed.path)
    if case == "tampered":
        return tampered(packed, tmp_path, "six", "six.py")[0], ("the lock says",)
    if case == "python":
        return resealed(tmp_path / "py.tar", raw, pythons=["3.99"]), ("serve Python 3.99",)
    if case == "target":
        return resealed(tmp_path / "t.tar", raw, target="macos-arm64-cpu"), (
            "is for macos-arm64-cpu",
        )
    if case == "format-1":
        return resealed(tmp_path / "v1.tar", raw, format=1), ("bundle format 1",)
    raise AssertionError(case)


CASES = [*sorted(HOSTILE), "tampered", "python", "target", "format-1"]


def command(verb: str, bundle: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bootstrap", "cache", verb, str(bundle)]
    argv += ["--lock", str(TINY / "uv.lock"), "--target", "linux-x86_64-cpu", "--python", PY]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "BOOTSTRAP_HOME": str(home / "bootstrap"),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        offline([*argv, *extra]),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("verb", ["verify", "import"])
@pytest.mark.parametrize("case", CASES)
def test_commands_refuse_every_bad_bundle_and_nothing_lands(
    packed: Packed, tmp_path: Path, case: str, verb: str
) -> None:
    if packed.target != "linux-x86_64-cpu":
        pytest.skip("the matrix names the linux-x86_64-cpu target")
    bad, says = bad_bundle(packed, tmp_path, case)
    home = tmp_path / "home"
    wheelhouse = tmp_path / "wheelhouse"
    extra = ("--wheelhouse", str(wheelhouse)) if verb == "import" else ()
    res = command(verb, bad, home, *extra)
    assert res.returncode == 2, res.stdout + res.stderr
    first = res.stderr.strip().splitlines()[0]
    assert first.startswith("error: "), res.stderr
    assert any(phrase in first for phrase in says), res.stderr
    if case in HOSTILE or case == "tampered":
        assert str(bad) in first, first
    assert not any(p.is_file() for p in wheelhouse.rglob("*"))
    assert not (tmp_path / "INJECTED").exists()
    assert not (tmp_path / "outside").exists() and not Path("/tmp/abs-outside").exists()


def test_commands_accept_the_good_bundle(packed: Packed, tmp_path: Path) -> None:
    """The control: the same commands take the bundle the bad ones were made from."""
    if packed.target != "linux-x86_64-cpu":
        pytest.skip("the matrix names the linux-x86_64-cpu target")
    home = tmp_path / "home"
    wheelhouse = tmp_path / "wheelhouse"
    assert command("verify", packed.path, home).returncode == 0
    res = command("import", packed.path, home, "--wheelhouse", str(wheelhouse))
    assert res.returncode == 0, res.stderr
    assert len(list(wheelhouse.glob("*.whl"))) == len(members(packed.path)) - 3


@pytest.mark.parametrize("verb", ["verify", "import"])
def test_a_gzip_bomb_is_refused_before_the_disk_fills(
    packed: Packed, tmp_path: Path, verb: str
) -> None:
    """2 MB of gzip that unpacks to 256 MB, with HOME (and the wheelhouse) on a 64 MB
    tmpfs: refused as not a bundle before a byte is unpacked; the tmpfs stays empty."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root for a tmpfs in a mount namespace")
    bomb = gzip_bomb(tmp_path / "bomb.tar")
    assert bomb.stat().st_size < 2 << 20
    home = tmp_path / "home"
    home.mkdir()
    argv = [sys.executable, "-m", "bootstrap", "cache", verb, str(bomb)]
    argv += ["--lock", str(TINY / "uv.lock")]
    if verb == "import":
        argv += ["--wheelhouse", str(home / "wheels")]
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(REPO)}
    env["BOOTSTRAP_HOME"] = str(home / "bootstrap")
    res, used_kb = on_small_tmpfs(argv, env, cwd=REPO)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "not a cache bundle" in res.stderr, res.stderr
    assert used_kb < 1024, res.stdout
