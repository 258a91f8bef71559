"""The one way tests run the command line.

* ``bootstrap(*args, ...)``: ``python -m bootstrap`` as a subprocess, as a user runs it
  (exit code, stdout, stderr, the real signal handlers and import cost). ``merge=True``
  folds stderr into stdout (what a terminal shows); ``offline=True`` runs it in a network
  namespace with no interfaces (``unshare -n``); ``python=`` another interpreter (a tool
  venv, a bundle's Python).
* ``start(*args, ...)``: the same, without waiting (to interrupt it, or read it as it goes).
* ``invoke(*args)``: the click command in this process (help texts, option parsing, the
  quick commands); ``main(capsys, *args)``: the real entry point in this process, with its
  error handling and exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from support.network import offline as no_network

if TYPE_CHECKING:
    from click.testing import Result


def argv(*args: str, python: str | Path | None = None) -> list[str]:
    """``python -m bootstrap ARGS`` with this interpreter unless another is given."""
    return [str(python or sys.executable), "-m", "bootstrap", *args]


def environ(env: Mapping[str, str] | None = None, **extra: str) -> dict[str, str] | None:
    """``env`` (this process's environment when None) with ``extra`` on top; None when
    neither is given (the child inherits)."""
    if env is None and not extra:
        return None
    return {**(os.environ if env is None else env), **extra}


def bootstrap(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 120,
    offline: bool = False,
    merge: bool = False,
    python: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI to the end. ``env`` is the child's whole environment (None: inherit;
    ``environ(**extra)`` for this one plus a few variables)."""
    full = argv(*args, python=python)
    return subprocess.run(
        no_network(full) if offline else full,
        cwd=cwd,
        env=None if env is None else dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    python: str | Path | None = None,
) -> subprocess.Popen[str]:
    """Start the CLI and return at once, stdout and stderr as pipes."""
    return subprocess.Popen(
        argv(*args, python=python),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def invoke(*args: str, input: str | None = None, **kwargs: Any) -> Result:
    """The click command group in this process (click's CliRunner)."""
    from click.testing import CliRunner

    from bootstrap.cli import cli

    return CliRunner().invoke(cli, list(args), input=input, **kwargs)


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real entry point (``bootstrap.cli.main``) in this process: (exit code, stdout,
    stderr)."""
    from bootstrap.cli import main as entry

    with pytest.raises(SystemExit) as exc:
        entry(list(args))
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), out, err
