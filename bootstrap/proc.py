"""The one place that runs external commands.

Every subprocess goes through :func:`run`: it applies a timeout, never raises for a
missing binary or a non-zero exit unless asked (``check=True``), and turns failures into
a :class:`~bootstrap.errors.CommandError` that prints well.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

from bootstrap.errors import CommandError

StrPath = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: Optional[int]  # None: not found or timed out
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    not_found: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        cmd = " ".join(self.argv)
        if self.not_found:
            return f"{cmd}: command not found"
        if self.timed_out:
            return f"{cmd}: timed out after {self.duration:.1f}s"
        tail = (self.stderr or self.stdout).strip().splitlines()[-3:]
        return f"{cmd}: exit {self.returncode}" + (": " + " | ".join(tail) if tail else "")


def run(
    argv: Sequence[StrPath],
    *,
    timeout: float = 60.0,
    check: bool = False,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[StrPath] = None,
    input: Optional[str] = None,  # noqa: A002 - mirrors subprocess
) -> Result:
    """Run ``argv`` to completion, capturing text output, killed after ``timeout`` seconds."""
    args = tuple(os.fspath(a) for a in argv)
    start = time.monotonic()
    try:
        cp = subprocess.run(
            args,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=None if env is None else dict(env),
            cwd=None if cwd is None else os.fspath(cwd),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        res = Result(args, None, "", "", time.monotonic() - start, not_found=True)
    except PermissionError as exc:
        res = Result(args, None, "", str(exc), time.monotonic() - start, not_found=True)
    except subprocess.TimeoutExpired as exc:
        res = Result(
            args,
            None,
            _text(exc.stdout),
            _text(exc.stderr),
            time.monotonic() - start,
            timed_out=True,
        )
    else:
        res = Result(args, cp.returncode, cp.stdout, cp.stderr, time.monotonic() - start)
    if check and not res.ok:
        raise CommandError(res.describe(), code="proc.failed")
    return res


def _text(value: Union[bytes, str, None]) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value
