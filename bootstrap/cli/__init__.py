"""The command line: a click group whose subcommands are imported only when used.

Each command group lives in its own module (``bootstrap/cli/<name>.py``) and is listed
in :data:`COMMANDS` with its one-line help, so ``bootstrap --help`` imports nothing but
click.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Any

import click

from bootstrap import __version__

# name -> (module:attribute, short help). One registry, in the order of the flow.
COMMANDS: dict[str, tuple[str, str]] = {
    "detect": ("bootstrap.cli.detect:detect", "Show what this machine is (or a captured one)."),
    "plan": ("bootstrap.cli.plan:plan", "Show what `up` would do here, and why."),
    "up": ("bootstrap.cli.up:up", "Set up the profile's environment and time its first run."),
    "run": (
        "bootstrap.cli.run:run",
        "Run a command in the project's environment with the variant `up` chose.",
    ),
    "onboard": (
        "bootstrap.cli.onboard:onboard",
        "Set up every project of a team manifest, side by side.",
    ),
    "swap": ("bootstrap.cli.swap:swap", "Export, restore and check a laptop swap."),
    "devcontainer": (
        "bootstrap.cli.devcontainer:devcontainer",
        "Write the project's devcontainer.json from a profile.",
    ),
    "uv": ("bootstrap.cli.uv:uv", "Install, verify or move the pinned uv."),
    "cache": ("bootstrap.cli.cache:cache", "Pack and import offline cache bundles."),
    "python": (
        "bootstrap.cli.python:python",
        "Pin the CPython a cache bundle carries to machines with none.",
    ),
    "profiles": ("bootstrap.cli.profiles:profiles", "List, show and validate profiles."),
    "report": ("bootstrap.cli.report:report", "Show, send, flush and export timing reports."),
    "lock": ("bootstrap.cli.lock:lock", "Write per-target PEP 751 locks; --check gates drift."),
    "check": ("bootstrap.cli.check:check", "The team's CI gate: locks, hashes, pins, installs."),
    "tools": ("bootstrap.cli.tools:tools", "The profile's pinned tools and their uvx commands."),
    "doctor": ("bootstrap.cli.doctor:doctor", "What is wrong with this machine, and the fixes."),
    "init": ("bootstrap.cli.init:init", "Write the files a team commits to adopt bootstrap."),
    "release": ("bootstrap.cli.release:release", "Build the bootstrapper's wheel and pin it."),
}

EPILOG = """\
\b
Examples:
  bootstrap detect                  what this machine is
  bootstrap detect --json           the same, as JSON
  bootstrap plan --profile ai-training
                                    which lock and strategy, and why
  bootstrap up                      set up the default profile and time its first run
  bootstrap up --cache-bundle env.tar  the same with no network at all
  bootstrap report show             recent runs, p50/p90 per profile
"""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        target = entry[0]
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return _not_yet(cmd_name, entry[1])
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the registry: listing commands must not import them.
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _not_yet(name: str, help_: str) -> click.Command:
    @click.command(name=name, help=help_ + " (not available in this build)")
    def _cmd() -> None:
        raise click.UsageError(f"`bootstrap {name}` is not available in this build")

    return _cmd


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bootstrap")
def cli() -> None:
    """Take a workstation from nothing to a timed first run of the team's environment."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: expected errors print one line and a fix; a bug prints one line with
    the log file that holds its traceback (exit ``EXIT_BUG``); never a bare traceback."""
    try:
        # Inside the try: a Ctrl-C while the handlers are installed (the import of
        # `signal` included) is an interrupt like any other, not a traceback.
        _stop_on_signals()
        code = _main(argv)
    except KeyboardInterrupt as exc:
        code = _interrupted(exc)
    sys.exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled exactly like Ctrl-C: whatever cleans up after a
    KeyboardInterrupt (the first run's process group, the run lock, a half-written
    file) cleans up after these too; the exit code is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_on_signals() -> None:
    import signal

    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)  # Windows has no SIGHUP
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(sig, handler)


def _interrupted(exc: BaseException | None = None) -> int:
    # Ctrl-C, SIGTERM or SIGHUP at any moment, even while the output is being written:
    # one line, exit 128 + the signal (130, 143, 129).
    while exc is not None and not isinstance(exc, Terminated):
        exc = exc.__cause__ or exc.__context__  # click wraps it in Abort
    signum = exc.signum if isinstance(exc, Terminated) else 2
    import signal

    name = signal.Signals(signum).name if signum != 2 else "Ctrl-C"
    with contextlib.suppress(Exception):
        sys.stderr.write(
            f"interrupted ({name}): nothing started by this run is left running; "
            "run the same command again to finish\n"
        )
    return 128 + signum


def _main(argv: list[str] | None) -> int:
    from bootstrap.errors import EXIT_FAILED, BootstrapError

    try:
        rv: Any = cli.main(args=argv, prog_name="bootstrap", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click's name for a KeyboardInterrupt inside a command
        return _interrupted(exc)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BootstrapError as exc:
        from bootstrap.console import error

        error(exc.message, exc.fix)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except OSError as exc:
        from bootstrap.crash import environment_message

        found = environment_message(exc)
        if found is None:
            return _bug(exc, argv)
        from bootstrap.console import error
        from bootstrap.redact import redact_text

        error(redact_text(found[0]), found[1])
        return EXIT_FAILED
    except Exception as exc:
        return _bug(exc, argv)
    # A command may return an int: that is its exit code.
    return rv if isinstance(rv, int) else 0


def _bug(exc: BaseException, argv: list[str] | None) -> int:
    from bootstrap.crash import report_bug
    from bootstrap.errors import EXIT_BUG

    report_bug(exc, list(sys.argv if argv is None else ["bootstrap", *argv]))
    return EXIT_BUG
