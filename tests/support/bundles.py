"""Cache bundles: the tiny project they are packed from and hostile archives (the
`packed` and `warm_cache` fixtures are in tests/cache/conftest.py).

ONE real bundle per lock state, packed online once.

The bundle is packed from tests/cache/projects/tiny (a real uv project with a committed
uv.lock: six, plus idna behind the extra ``net`` and iniconfig in the group ``test``)
AND this repository's own lock, with the real pinned uv wheel for this platform from PyPI. It is
kept in pytest's cache directory, keyed by both locks and the uv pin, so later runs
(and runs with no network at all) reuse it; without it and without PyPI the tests that
need it skip.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bootstrap.cache import UvPin
from bootstrap.cache.targets import host_os_arch
from bootstrap.plan.model import LockChoice
from support import TESTS

TINY = TESTS / "cache" / "projects" / "tiny"
TINY_LOCK = LockChoice("uv.lock", "uv", ("net",), ("test",))


def host_target() -> str:
    os_name, arch = host_os_arch()
    return f"{os_name}-{arch}-cpu"


@dataclass(frozen=True)
class Packed:
    path: Path
    pin: UvPin
    target: str


def uv_version(uv: Path) -> str:
    out = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def copy_tiny(dest: Path) -> Path:
    shutil.copytree(TINY, dest, ignore=shutil.ignore_patterns(".venv"))
    return dest


def gzip_bomb(path: Path, unpacked: int = 256 << 20) -> Path:
    """A bundle-named gzip tar of well under 2 MB that unpacks to ``unpacked`` bytes of
    zeros (a sparse file packs to almost nothing)."""
    import tarfile

    zeros = path.with_name(path.name + ".zeros")
    with zeros.open("wb") as fh:
        fh.truncate(unpacked)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(zeros, arcname="wheels/zeros-1.0-py3-none-any.whl")
    zeros.unlink()
    return path


def on_small_tmpfs(
    argv: list[str], env: dict[str, str], *, cwd: Path
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``argv`` with no network and ``$HOME`` on a fresh 64 MB tmpfs (a private mount
    namespace: needs root): its result and the KB it left used on that tmpfs."""
    script = (
        'mount -t tmpfs -o size=64m tmpfs "$HOME" && "$@"; rc=$?; '
        'df -k "$HOME" | tail -n 1; exit $rc'
    )
    res = subprocess.run(
        ["unshare", "-m", "-n", "sh", "-c", script, "tmpfs", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    used_kb = int(res.stdout.strip().splitlines()[-1].split()[2])
    return res, used_kb
