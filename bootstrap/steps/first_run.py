"""The first run: the profile's command inside the synced environment, timed.

Success is exit 0. Output streams live (through the step view) and its tail is kept for
the summary and for a failure's message. The command runs with the environment's
``bin`` first on PATH and ``VIRTUAL_ENV`` set, as `uv run` would, without paying for a
second `uv run` resolution.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bootstrap import proc
from bootstrap.errors import BootstrapError


class FirstRunFailed(BootstrapError):
    pass


@dataclass(frozen=True)
class FirstRun:
    argv: tuple[str, ...]
    returncode: int | None
    seconds: float
    tail: tuple[str, ...]


def venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def venv_environ(venv: Path, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv_bin(venv)), env.get("PATH", "")])
    env.pop("PYTHONHOME", None)
    return env


def run_first(
    argv: Sequence[str],
    *,
    venv: Path,
    cwd: Path,
    timeout: float,
    base_env: Mapping[str, str],
    on_line: Callable[[str], None],
) -> FirstRun:
    env = venv_environ(venv, base_env)
    exe = shutil.which(argv[0], path=env["PATH"]) or argv[0]
    res = proc.stream([exe, *argv[1:]], timeout=timeout, on_line=on_line, env=env, cwd=cwd)
    shown = " ".join(argv)
    if res.not_found:
        raise FirstRunFailed(
            f"first run: `{argv[0]}` was found neither in the environment nor on PATH",
            fix="check [first_run] command in the profile",
            code="first_run.not_found",
        )
    if res.timed_out:
        raise FirstRunFailed(
            f"first run `{shown}` did not finish within {timeout:.0f}s",
            fix="raise [first_run] timeout_seconds in the profile, or look at the output above",
            code="first_run.timeout",
        )
    if not res.ok:
        raise FirstRunFailed(
            f"first run `{shown}` failed with exit code {res.returncode}",
            fix="the output above is the command's own; fix the cause and run again "
            "(finished steps are not repeated)",
            code="first_run.failed",
        )
    return FirstRun(res.argv, res.returncode, res.duration, res.tail)
