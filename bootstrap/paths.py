"""Where things live on a workstation: one object, from platformdirs, that tests redirect.

``BOOTSTRAP_HOME`` puts every directory under one root (``data/``, ``state/``,
``cache/``): that is how tests and throw-away runs keep off the real home directory.
Otherwise the per-user platform directories apply (XDG on Linux, ``~/Library`` on
macOS, ``%LOCALAPPDATA%`` on Windows). install.sh and install.ps1 compute the same data
directory; ``tests/uv`` checks that they agree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "bootstrap"


@dataclass(frozen=True)
class Paths:
    data: Path  # pinned uv binaries (one directory per version), uv-managed Pythons
    state: Path  # run state, history, the metrics spool, the run lock
    cache: Path  # downloads in flight; never needed for correctness

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        root = env.get("BOOTSTRAP_HOME")
        if root:
            base = Path(root).expanduser()
            return cls(data=base / "data", state=base / "state", cache=base / "cache")
        import platformdirs

        return cls(
            data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
            state=Path(platformdirs.user_state_dir(APP, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
        )

    # Named places, so that no other module joins path fragments of its own.
    def uv_dir(self, version: str) -> Path:
        return self.data / "uv" / version

    @property
    def wheelhouse(self) -> Path:
        """Distribution files from imported cache bundles, flat, each checked against a
        lock (install.sh and install.ps1 use the same directory)."""
        return self.data / "wheels"

    @property
    def tmp(self) -> Path:
        """Scratch directories of a run (requirements files, probe environments), named
        ``<pid>-...`` so a later run removes those a killed one left; never the project."""
        return self.cache / "tmp"

    @property
    def python_archives(self) -> Path:
        """Pinned interpreter archives from cache bundles, and the downloads list uv
        installs them from (install.sh and install.ps1 use the same directory)."""
        return self.data / "python"

    @property
    def interpreter_downloads(self) -> Path:
        """Interpreter archives downloaded to pin or pack them (never needed to run)."""
        return self.cache / "python"

    def workspace(self, environ: Mapping[str, str] | None = None) -> Path:
        """Where projects given as git URLs are cloned: ``BOOTSTRAP_WORKSPACE`` if set,
        else ``projects/`` in the data directory."""
        env = os.environ if environ is None else environ
        given = env.get("BOOTSTRAP_WORKSPACE")
        return Path(given).expanduser() if given else self.data / "projects"

    @property
    def history(self) -> Path:
        return self.state / "history.jsonl"

    @property
    def spool(self) -> Path:
        return self.state / "spool"

    @property
    def runs(self) -> Path:
        return self.state / "runs"

    def run_lock(self, key: str) -> Path:
        """The lock of one environment's runs (``key``: its run state's): two runs of one
        environment queue, runs of different projects go side by side (`onboard`)."""
        return self.state / "locks" / f"{key}.lock"


def make_private(directory: Path, levels: int = 1) -> None:
    """Create ``directory`` and make it and ``levels - 1`` of its parents 0700 (the state
    dir, the spool, a capture: reports and settings are nobody else's business)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for d in [directory, *directory.parents][:levels]:
        with contextlib.suppress(OSError):  # not ours (a shared parent): leave it
            if d.stat().st_mode & 0o077:
                d.chmod(0o700)


def atomic_write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    ``private``: the file is 0600 and a directory this creates is 0700 (state, spool:
    what they hold is nobody else's business). A failed write (a full disk) removes its
    temporary file and raises the OSError with ``path`` as its filename.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.filename is None:
            exc.filename = str(path)
        raise
