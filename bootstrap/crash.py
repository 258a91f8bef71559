"""What the CLI does with an error nobody expected (a bug), and with a machine that
refuses a write.

A bug prints one line naming a log file that holds the traceback, and exits with
``EXIT_BUG`` (pre-commit's ``error_handler`` does the same with its ``pre-commit.log``).
The log goes to the state directory's ``logs/``, or to the temp directory when that
cannot be written; its text is redacted (no URL credentials) and its mode is 0600.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bootstrap import __version__

# OSErrors that are the machine's answer, not a bug: one line, and exit 1.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EDQUOT: "disk quota exceeded",
}


def environment_message(exc: OSError) -> tuple[str, str] | None:
    """(one line, its fix) for an OSError the user must fix on the machine, or None."""
    why = ENVIRONMENT_ERRNOS.get(exc.errno or 0)
    if why is None:
        return None
    where = exc.filename or "a file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space there (or point BOOTSTRAP_HOME elsewhere), then run again"
    else:
        fix = "make it writable (or point BOOTSTRAP_HOME at a writable directory), then run again"
    return f"cannot write {where}: {why}", fix


def _candidates() -> list[Path]:
    dirs = []
    try:
        from bootstrap.paths import Paths

        dirs.append(Paths.from_env().state / "logs")
    except Exception:  # noqa: S110 - the paths themselves may be what is broken
        pass
    dirs.append(Path(tempfile.gettempdir()))
    return dirs


def write_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback of ``exc`` to a new log file; its path, or None if no
    directory would take it."""
    from bootstrap.redact import redact_text

    text = "".join(
        [
            f"bootstrap {__version__} on Python {sys.version.split()[0]} ({sys.platform})\n",
            f"argv: {' '.join(argv)}\n",
            f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n\n",
            *traceback.format_exception(type(exc), exc, exc.__traceback__),
        ]
    )
    text = redact_text(text)
    name = f"bootstrap-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for directory in _candidates():
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None


def report_bug(exc: BaseException, argv: list[str]) -> None:
    """The one line for a bug, on stderr."""
    path = write_log(exc, argv)
    where = f"the traceback is in {path}" if path else "no log file could be written"
    sys.stderr.write(f"error: internal error ({type(exc).__name__}), a bug in bootstrap; {where}\n")
