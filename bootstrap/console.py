"""The one place that writes to the terminal.

Commands return data; they hand it here to be rendered as rich tables, as plain lines
(no TTY, ``CI`` set, ``NO_COLOR`` or ``TERM=dumb``) or as JSON. rich is imported only
when something is actually rendered with it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def is_plain() -> bool:
    """True where live, coloured output would be noise: pipes, CI logs, dumb terminals,
    and wherever the user asked for no colour (https://no-color.org: set and not empty)."""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb" or os.environ.get("NO_COLOR"):
        return True
    return not sys.stdout.isatty()


def width(limit: int = 100) -> int:
    """Columns to draw charts in: the terminal's (or $COLUMNS), at most ``limit``."""
    if is_plain():
        import shutil

        return min(limit, shutil.get_terminal_size((80, 24)).columns)
    return min(limit, console().width)


def print_segments(lines: Sequence[Sequence[tuple[str, str]]], *, plain: bool) -> None:
    """Lines of (text, style) segments (charts): plain text, or styled through rich."""
    if plain:
        sys.stdout.write("".join("".join(t for t, _ in line) + "\n" for line in lines))
        return
    for text in _styled(lines):
        console().print(text)


def render_segments(lines: Sequence[Sequence[tuple[str, str]]], *, columns: int) -> str:
    """What :func:`print_segments` shows on a colour terminal ``columns`` wide, as a
    string with its ANSI codes (snapshots)."""
    import io

    from rich.console import Console

    out = io.StringIO()
    target = Console(
        file=out,
        width=columns,
        force_terminal=True,
        color_system="standard",
        no_color=False,
        highlight=False,
    )
    for text in _styled(lines):
        target.print(text)
    return out.getvalue()


def _styled(lines: Sequence[Sequence[tuple[str, str]]]) -> list[Any]:
    from rich.text import Text

    return [Text.assemble(*((t, s or "") for t, s in line), no_wrap=True) for line in lines]


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
    # An error may quote what a peer said (a box's stderr, a sink's answer): never a
    # terminal control sequence from it.
    from bootstrap.sanitize import clean_text

    sys.stderr.write(f"error: {clean_text(message)}\n")
    if fix:
        sys.stderr.write(f"  fix: {clean_text(fix)}\n")


def warn(message: str) -> None:
    from bootstrap.sanitize import clean_text

    sys.stderr.write(f"warning: {clean_text(message)}\n")


class StepView:
    """How `up` shows its steps: one line per step as it starts and ends, with elapsed
    time. Plain lines everywhere; on a TTY (not CI) a rich spinner shows the running step
    and its elapsed time. First-run output streams through :meth:`output`."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.plain = is_plain()
        self._status: Any = None

    def start(self, name: str, description: str) -> None:
        if self.quiet:
            return
        if self.plain:
            line(f"[{name}] {description}")
            return
        self._status = console().status(f"[bold]{name}[/]  {description}", spinner="dots")
        self._status.start()

    def finish(self, name: str, status: str, seconds: float, note: str = "") -> None:
        self._stop_status()
        if self.quiet:
            return
        suffix = f" ({note})" if note else ""
        if self.plain:
            line(f"[{name}] {status} in {seconds:.2f}s{suffix}")
            return
        mark = {"done": "[green]✓[/]", "skipped": "[dim]·[/]", "failed": "[red]✗[/]"}.get(
            status, "-"
        )
        console().print(f"{mark} [bold]{name:<13}[/] {seconds:7.2f}s  [dim]{status}{suffix}[/]")

    def output(self, text: str) -> None:
        """A line of the first run's own output, shown live."""
        self._stop_status()
        if self.quiet:
            return
        sys.stdout.write(f"  | {text}\n")
        sys.stdout.flush()

    def note(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(text + "\n")

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


class Board:
    """One line per item that changes in place (``onboard``'s projects): on a TTY a live
    block redrawn a few times a second, elsewhere (CI, a pipe, ``--plain``) one plain
    line each time an item's state changes. Thread-safe: workers call :meth:`set`."""

    def __init__(self, names: Sequence[str], *, quiet: bool = False) -> None:
        import threading

        self.quiet = quiet
        self.plain = is_plain() or not sys.stderr.isatty()
        self._lines = dict.fromkeys(names, "waiting")
        self._width = max((len(n) for n in names), default=0)
        self._lock = threading.Lock()
        self._live: Any = None

    def __enter__(self) -> Board:
        if not self.quiet and not self.plain:
            from rich.live import Live

            self._live = Live(
                self._render(), console=err_console(), refresh_per_second=4, transient=False
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._render(), refresh=True)
            self._live.stop()
            self._live = None

    def set(self, name: str, text: str) -> None:
        from bootstrap.sanitize import clean_text

        text = clean_text(text)
        with self._lock:
            self._lines[name] = text
            if self.quiet:
                return
            if self._live is not None:
                self._live.update(self._render())
            else:
                sys.stderr.write(f"{name:<{self._width}}  {text}\n")
                sys.stderr.flush()

    def _render(self) -> Any:
        from rich.text import Text

        return Text("\n".join(f"{n:<{self._width}}  {t}" for n, t in self._lines.items()))
