"""The one place that runs external commands.

Every subprocess goes through :func:`run`: it applies a timeout, never raises for a
missing binary or a non-zero exit unless asked (``check=True``), and turns failures into
a :class:`~bootstrap.errors.CommandError` that prints well.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Union

from bootstrap.errors import CommandError

StrPath = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int | None  # None: not found or timed out
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    not_found: bool = False
    overflow: bool = False  # it wrote more than the caller's ``limit``: ended, output cut

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.overflow

    def describe(self) -> str:
        cmd = " ".join(self.argv)
        if self.not_found:
            return f"{cmd}: command not found"
        if self.timed_out:
            return f"{cmd}: timed out after {self.duration:.1f}s"
        if self.overflow:
            return f"{cmd}: wrote more output than allowed; ended"
        tail = (self.stderr or self.stdout).strip().splitlines()[-3:]
        return f"{cmd}: exit {self.returncode}" + (": " + " | ".join(tail) if tail else "")


def run(
    argv: Sequence[StrPath],
    *,
    timeout: float = 60.0,
    check: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
    input: str | None = None,
    decode: Callable[[bytes], str] | None = None,
    limit: int | None = None,
) -> Result:
    """Run ``argv`` to completion, capturing text output, killed after ``timeout`` seconds.

    ``decode`` turns the raw output into text, for tools whose encoding is not the
    locale's (wsl.exe writes UTF-16LE); without it the locale's encoding is used.
    ``limit``: the most bytes kept of stdout and of stderr; a command that writes more
    is ended there and its result says ``overflow`` (what a peer sends back costs this
    host no more memory than that)."""
    args = tuple(os.fspath(a) for a in argv)
    start = time.monotonic()
    if limit is not None:
        return _run_capped(
            args, timeout=timeout, env=env, cwd=cwd, input=input, decode=decode,
            limit=limit, start=start, check=check,
        )  # fmt: skip
    if decode is not None:
        return _run_decoded(
            args, timeout=timeout, env=env, cwd=cwd, decode=decode, start=start, check=check
        )
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


def _run_decoded(
    args: tuple[str, ...],
    *,
    timeout: float,
    env: Mapping[str, str] | None,
    cwd: StrPath | None,
    decode: Callable[[bytes], str],
    start: float,
    check: bool,
) -> Result:
    try:
        cp = subprocess.run(
            args,
            capture_output=True,
            timeout=timeout,
            env=None if env is None else dict(env),
            cwd=None if cwd is None else os.fspath(cwd),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (FileNotFoundError, PermissionError) as exc:
        err = "" if isinstance(exc, FileNotFoundError) else str(exc)
        res = Result(args, None, "", err, time.monotonic() - start, not_found=True)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, bytes) else b""
        err_b = exc.stderr if isinstance(exc.stderr, bytes) else b""
        res = Result(
            args, None, decode(out), decode(err_b), time.monotonic() - start, timed_out=True
        )
    else:
        res = Result(
            args, cp.returncode, decode(cp.stdout), decode(cp.stderr), time.monotonic() - start
        )
    if check and not res.ok:
        raise CommandError(res.describe(), code="proc.failed")
    return res


def _run_capped(
    args: tuple[str, ...],
    *,
    timeout: float,
    env: Mapping[str, str] | None,
    cwd: StrPath | None,
    input: str | None,
    decode: Callable[[bytes], str] | None,
    limit: int,
    start: float,
    check: bool,
) -> Result:
    """:func:`run` reading at most ``limit`` bytes of each stream."""
    import signal
    import threading

    try:
        child = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            env=None if env is None else dict(env),
            cwd=None if cwd is None else os.fspath(cwd),
            start_new_session=os.name == "posix",
        )
    except (FileNotFoundError, PermissionError) as exc:
        err = "" if isinstance(exc, FileNotFoundError) else str(exc)
        return Result(args, None, "", err, time.monotonic() - start, not_found=True)
    over = threading.Event()
    chunks: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}

    def end() -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(child.pid, signal.SIGKILL)
            else:
                child.kill()

    def pump(fd: int, stream: Any) -> None:
        buf = chunks[fd]
        for block in iter(lambda: stream.read1(65536), b""):
            room = limit - len(buf)
            buf += block[: max(room, 0)]
            if len(block) > room:
                over.set()
                end()
                break

    readers = [
        threading.Thread(target=pump, args=(1, child.stdout), daemon=True),
        threading.Thread(target=pump, args=(2, child.stderr), daemon=True),
    ]
    if input is not None and child.stdin is not None:
        # Fed from a thread too: a command that never reads its stdin must not block us
        # past the timeout.
        def feed(stdin: Any, data: bytes) -> None:
            with contextlib.suppress(OSError):
                stdin.write(data)
            with contextlib.suppress(OSError):
                stdin.close()

        readers.append(
            threading.Thread(target=feed, args=(child.stdin, input.encode()), daemon=True)
        )
    for t in readers:
        t.start()
    timed_out = False
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        end()
        child.wait()
    except BaseException:
        end()
        raise
    for t in readers:
        t.join(timeout=5)
    text = decode or (lambda b: b.decode(errors="replace"))
    res = Result(
        args,
        None if timed_out else child.returncode,
        text(bytes(chunks[1])),
        text(bytes(chunks[2])),
        time.monotonic() - start,
        timed_out=timed_out,
        overflow=over.is_set(),
    )
    if check and not res.ok:
        raise CommandError(res.describe(), code="proc.failed")
    return res


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


@dataclass(frozen=True)
class Streamed:
    argv: tuple[str, ...]
    returncode: int | None  # None: not found or timed out
    tail: tuple[str, ...]  # the last lines of combined output
    duration: float
    timed_out: bool = False
    not_found: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def stream(
    argv: Sequence[StrPath],
    *,
    timeout: float,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
    keep: int = 40,
    line_limit: int = 1 << 16,
) -> Streamed:
    """Run ``argv`` with stdout and stderr merged, handing each line to ``on_line`` as it
    arrives and keeping the last ``keep`` lines. Killed (with its process group, so a
    shell's children die too) after ``timeout`` seconds."""
    import collections
    import signal
    import threading

    args = tuple(os.fspath(a) for a in argv)
    tail: collections.deque[str] = collections.deque(maxlen=keep)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=None if env is None else dict(env),
            cwd=None if cwd is None else os.fspath(cwd),
            start_new_session=os.name == "posix",
        )
    except (FileNotFoundError, PermissionError):
        return Streamed(args, None, (), time.monotonic() - start, not_found=True)

    def pump() -> None:
        if proc.stdout is None:  # pragma: no cover - stdout=PIPE always sets it
            return
        # A line is read in pieces of at most ``line_limit`` bytes: a peer printing one
        # endless line costs no more memory than that.
        for raw in iter(lambda: proc.stdout.readline(line_limit), b""):  # type: ignore[union-attr]
            text = raw.decode(errors="replace").rstrip("\r\n")
            tail.append(text)
            on_line(text)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    deadline = start + timeout
    try:
        # Wait on the output first: Popen.wait(timeout) sleeps up to 50 ms between polls,
        # which would be added to every first run's time.
        while reader.is_alive() and proc.poll() is None and time.monotonic() < deadline:
            reader.join(0.005)
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait()
    except BaseException:
        # Ctrl-C or an error in the caller: never leave the child running behind us.
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        raise
    reader.join(timeout=5)
    return Streamed(
        args,
        None if timed_out else proc.returncode,
        tuple(tail),
        time.monotonic() - start,
        timed_out=timed_out,
    )


def error_causes(stderr: str, limit: int = 12) -> str:
    """uv's error and every cause under it, on one line (not only the last lines)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("error:")), None)
    kept = lines[start:] if start is not None else lines[-3:]
    kept = [ln for ln in kept if not ln.startswith(("warning:", "Resolved ", "Building "))]
    return " | ".join(kept[:limit]) or "(no message)"


def replace(argv: Sequence[StrPath], *, env: Mapping[str, str], cwd: StrPath | None = None) -> int:
    """Hand this process over to ``argv`` (``bootstrap run``). On POSIX the process
    becomes that program (exec): the terminal, the signals (Ctrl-C) and the exit code are
    the command's own, with nothing of ours in between. Windows has no exec: a child that
    shares our console runs to its end and its exit code is returned. A program that
    cannot be started is a CommandError."""
    import sys

    args = [os.fspath(a) for a in argv]
    if cwd is not None:
        os.chdir(cwd)
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execve(args[0], args, dict(env))  # noqa: S606 - the command replaces us
        except OSError as exc:
            raise CommandError(
                f"{args[0]}: cannot run it: {exc.strerror}", code="proc.exec"
            ) from exc
    try:
        return subprocess.run(args, env=dict(env), check=False).returncode
    except OSError as exc:
        raise CommandError(f"{args[0]}: cannot run it: {exc.strerror}", code="proc.exec") from exc


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (what a ``<pid>-...`` scratch name left by a
    killed run is checked against). Another user's process counts as alive; so does any
    pid where this cannot be told (Windows). A zombie -- killed, not yet reaped, as under
    a container's init that reaps late -- is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) said it exists
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
