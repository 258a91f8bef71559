"""The one place that writes to the terminal.

Commands return data; they hand it here to be rendered as rich tables, as plain lines
(no TTY, ``CI`` set, ``NO_COLOR`` or ``TERM=dumb``) or as JSON. rich is imported only
when something is actually rendered with it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def is_plain() -> bool:
    """True where live, coloured output would be noise: pipes, CI logs, dumb terminals."""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return True
    return not sys.stdout.isatty()


_console: Console | None = None
_err_console: Console | None = None


def console() -> Console:
    global _console  # noqa: PLW0603 - one console per process, made on first use
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, soft_wrap=False)
    return _console


def err_console() -> Console:
    global _err_console  # noqa: PLW0603
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False)
    return _err_console


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def line(text: str = "") -> None:
    """A plain line on stdout (no markup interpretation)."""
    sys.stdout.write(text + "\n")


def error(message: str, fix: str | None = None) -> None:
    sys.stderr.write(f"error: {message}\n")
    if fix:
        sys.stderr.write(f"  fix: {fix}\n")


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
