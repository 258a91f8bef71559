"""Trust comes from the repository the user runs, never from the bundle: not its files,
and not which lock vouches for them.

* A bundle whose manifest names a profile (and, through it, a lock) that came on the same
  stick as the bundle: `cache verify` / `cache import` without --lock take the lock of
  the profile the user runs (--profile, --project, or the project in the current
  directory), or refuse; the tampered wheel never passes and never replaces the good
  one in the shared wheelhouse.
* A poisoned wheelhouse (a wheel changed after it was imported): the offline sync says
  which file and how to repair it, and a good bundle imported again repairs it (the
  import re-checks what it recorded rather than trusting that the files exist).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import REPO, cli
from support.bundles import TINY, Packed, copy_tiny
from support.network import netns_available
from test_bundle import expect, injected_wheel, members, resealed, tampered
from test_bundle_bad_input import TINY_PROFILE, assert_one_line

from bootstrap.cache import import_bundle

needs_netns = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")


def bootstrap(
    *args: str, home: Path, cwd: Path, net: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "BOOTSTRAP_HOME": str(home / "bootstrap"),
        "BOOTSTRAP_NO_METRICS": "1",
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    return cli.bootstrap(*args, env=env, cwd=cwd, offline=not net, timeout=300)


def six_name(bundle: Path) -> str:
    (name,) = [n for n in members(bundle) if n.startswith("wheels/six-")]
    return name.split("/", 1)[1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def stick(packed: Packed, tmp_path: Path) -> tuple[Path, Path]:
    """What an attacker puts on a USB stick: a bundle with a changed six wheel whose
    manifest names a profile next to it, and that profile's project with a uv.lock that
    records the changed wheel's hash. Returns (the bundle, the marker the code writes)."""
    root = tmp_path / "stick"
    root.mkdir()
    bad, marker = tampered(packed, root, "six", "six.py")
    name = six_name(packed.path)
    evil_hash = hashlib.sha256(members(bad)[f"wheels/{name}"]).hexdigest()
    good_hash = hashlib.sha256(members(packed.path)[f"wheels/{name}"]).hexdigest()
    project = copy_tiny(root / "proj")
    lock = project / "uv.lock"
    lock.write_text(lock.read_text().replace(good_hash, evil_hash))
    profile = root / "team.toml"
    profile.write_text(TINY_PROFILE.replace('path = "tiny"', 'path = "proj"'))
    raw = members(bad)
    return resealed(root / "env.tar", raw, profile=str(profile)), marker


@needs_netns
@pytest.mark.parametrize("verb", ["verify", "import"])
def test_a_lock_next_to_the_bundle_never_vouches_for_it(
    packed: Packed, tmp_path: Path, stick: tuple[Path, Path], verb: str
) -> None:
    bad, marker = stick
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    wheelhouse = home / "bootstrap" / "data" / "wheels"
    good = bootstrap("cache", "import", str(packed.path), "--lock", str(TINY / "uv.lock"),
                     home=home, cwd=elsewhere)  # fmt: skip
    assert good.returncode == 0, good.stderr
    six = wheelhouse / six_name(packed.path)
    good_six = sha(six)
    # The control: the lock on the stick does vouch for the changed wheel.
    vouched = bootstrap("cache", "verify", str(bad), "--lock", str(bad.parent / "proj" / "uv.lock"),
                        home=home, cwd=elsewhere)  # fmt: skip
    assert vouched.returncode == 0, vouched.stderr

    # No --lock, and no project here: refused, whatever the manifest names.
    res = bootstrap("cache", verb, str(bad), home=home, cwd=elsewhere)
    line = assert_one_line(res, 2)
    assert "no lock to check the bundle against" in line, line
    assert "--profile NAME" in res.stderr

    # The profile the user runs: its own lock refuses the changed wheel.
    profile = tmp_path / "tiny.toml"
    profile.write_text(TINY_PROFILE)
    copy_tiny(tmp_path / "tiny")
    res = bootstrap("cache", verb, str(bad), "--profile", str(profile), home=home, cwd=elsewhere)
    line = assert_one_line(res, 2)
    assert f"{six.name} does not match {tmp_path / 'tiny' / 'uv.lock'}" in line, line

    # The project in the current directory (its own bootstrap.toml): the same.
    project = copy_tiny(tmp_path / "own")
    (project / "bootstrap.toml").write_text(TINY_PROFILE.replace('path = "tiny"', 'path = "."'))
    res = bootstrap("cache", verb, str(bad), home=home, cwd=project)
    line = assert_one_line(res, 2)
    assert f"does not match {project / 'uv.lock'}" in line, line
    ok = bootstrap("cache", "verify", str(packed.path), home=home, cwd=project)
    assert ok.returncode == 0, ok.stderr

    assert sha(six) == good_six  # the shared wheelhouse still holds the good wheel
    assert not marker.exists()


def test_an_import_rechecks_what_it_recorded(packed: Packed, tmp_path: Path) -> None:
    """The "already imported" shortcut trusts a file only while it is unchanged since the
    import checked it (size, mtime, ctime, inode), else hashes it again: a file touched
    with the same bytes still skips, a changed one makes the import put it back."""
    wheelhouse = tmp_path / "wheels"
    first = import_bundle(packed.path, wheelhouse, expect(packed))
    assert not first.skipped
    six = wheelhouse / six_name(packed.path)
    good = six.read_bytes()
    os.utime(six, (1, 1))  # same bytes, another mtime: hashed again, still good
    assert import_bundle(packed.path, wheelhouse, expect(packed)).skipped
    six.write_bytes(injected_wheel(good, "six.py", tmp_path / "INJECTED"))
    again = import_bundle(packed.path, wheelhouse, expect(packed))
    assert not again.skipped and again.files == 1
    assert six.read_bytes() == good
    assert import_bundle(packed.path, wheelhouse, expect(packed)).skipped


@needs_netns
def test_a_poisoned_wheelhouse_is_named_then_repaired_by_a_good_bundle(
    packed: Packed, tmp_path: Path
) -> None:
    """A tampered wheel placed in the shared wheelhouse after a good import: the offline
    sync refuses it with one line naming the file and the fix (not uv's raw error), the
    code never runs; the good bundle imported again replaces it, and the offline sync
    then succeeds."""
    if packed.target != "linux-x86_64-cpu":
        pytest.skip("the profile's plan names this host's target")
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    copy_tiny(tmp_path / "tiny")
    profile = tmp_path / "tiny.toml"
    profile.write_text(TINY_PROFILE)
    first = bootstrap("up", "--profile", str(profile), "--cache-bundle", str(packed.path),
                      home=home, cwd=cwd)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1.17.0" in first.stdout

    six = home / "bootstrap" / "data" / "wheels" / six_name(packed.path)
    good = six.read_bytes()
    marker = tmp_path / "INJECTED"
    six.write_bytes(injected_wheel(good, "six.py", marker))
    shutil.rmtree(tmp_path / "tiny" / ".venv")
    # uv's own cache would serve the good bytes it kept from the first sync (it looks
    # archives up by the lock's hash): a machine whose uv cache is cold, or another user
    # of a shared wheelhouse, reads the changed file.
    shutil.rmtree(home / ".cache" / "uv")
    poisoned = bootstrap("up", "--profile", str(profile), "--refresh", home=home, cwd=cwd)
    line = assert_one_line(poisoned, 2)
    assert "the wheelhouse holds a file for six==1.17.0" in line, line
    assert str(six) in line and "changed after it was imported" in line, line
    assert "bootstrap cache import FILE" in poisoned.stderr
    assert "Hash mismatch" not in poisoned.stdout + poisoned.stderr  # not uv's raw error
    assert not marker.exists()

    repaired = bootstrap("cache", "import", str(packed.path), "--profile", str(profile),
                         home=home, cwd=cwd)  # fmt: skip
    assert repaired.returncode == 0, repaired.stderr
    assert "(1 new)" in repaired.stdout, repaired.stdout  # not "already imported"
    assert six.read_bytes() == good
    again = bootstrap("up", "--profile", str(profile), "--refresh", home=home, cwd=cwd)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1.17.0" in again.stdout
    assert not marker.exists()
