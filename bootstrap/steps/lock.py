"""An OS file lock, so that two concurrent runs cannot corrupt each other's state.

The kernel drops the lock when the holder dies (kill -9 included), so a crashed run never
leaves a stale lock behind: no pid files to clean up.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import IO, Callable

from bootstrap.errors import Busy
from bootstrap.oslock import try_lock, unlock


class RunLock:
    def __init__(self, path: Path, *, wait_seconds: float, on_wait: Callable[[], None]) -> None:
        self.path = path
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+b")
        deadline = time.monotonic() + self.wait_seconds
        told = False
        while not try_lock(fh):
            if time.monotonic() >= deadline:
                fh.close()
                raise Busy(
                    "another `bootstrap up` is running for this environment",
                    fix="wait for it to finish, or pass --wait SECONDS to queue behind it",
                    code="up.busy",
                )
            if not told:
                self.on_wait()
                told = True
            time.sleep(0.2)
        self._fh = fh
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            unlock(self._fh)
            self._fh.close()
            self._fh = None
