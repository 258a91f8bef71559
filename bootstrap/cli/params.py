"""Option values the commands share, checked where they are read: a number of seconds
(finite, not negative: click's FloatRange lets ``nan`` through), a label that must not be
empty, an ssh destination (a host, a port that is a port), a strategy (a name the
registry holds), and the option groups several commands share."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click

if TYPE_CHECKING:  # generic from click 8.2 on; the floor (8.1) is not subscriptable
    _FloatParam = click.ParamType[float]
    _TextParam = click.ParamType[str]
    _TextChoice = click.Choice[str]
else:
    _FloatParam = _TextParam = click.ParamType
    _TextChoice = click.Choice


class Seconds(_FloatParam):
    """A finite number of seconds from 0 to ``maximum``."""

    name = "seconds"

    def __init__(self, maximum: float = 1e6) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"expected a number of seconds, found {value!r}", param, ctx)
        if not math.isfinite(number) or not 0 <= number <= self.maximum:
            self.fail(
                f"expected a number of seconds from 0 to {self.maximum:g}, found {value!r}",
                param,
                ctx,
            )
        return number


class Label(_TextParam):
    """A non-empty label of printable characters (a Pushgateway job: no "/")."""

    name = "label"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if not text.strip():
            self.fail("expected a name, found an empty value", param, ctx)
        if "/" in text or not text.isprintable() or len(text) > 200:
            self.fail(
                f"expected a name without '/' or control characters, found {text!r}", param, ctx
            )
        return text


class StrategyChoice(_TextChoice):
    """``--strategy``: the names in ``bootstrap.strategies.REGISTRY``, read from it only
    when the option is given or its help is shown, so that ``bootstrap --help`` never
    imports the strategies."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:
        from bootstrap.strategies import REGISTRY

        return REGISTRY.names

    @choices.setter
    def choices(self, _value: object) -> None:
        """click's own __init__ sets the list; the registry is the list."""


def destination(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--remote``: ``[user@]host[:port]`` or an ssh_config alias; an empty value (an
    unset shell variable) is refused, never read as "no remote"."""
    if value is None:
        return None
    from bootstrap.errors import UserError
    from bootstrap.transports.ssh import Destination

    try:
        Destination.parse(value)
    except UserError as exc:
        raise click.BadParameter(exc.message, param=param) from None
    return value


_F = TypeVar("_F", bound=Callable[..., Any])


def profile_and_project(command: _F) -> _F:
    """``--profile`` and ``--project`` as every command that works on one project's
    profile takes them, found the way `bootstrap up` finds it."""
    command = click.option(
        "--project",
        metavar="DIR",
        help="The project; with no --profile, the profile it keeps (as `bootstrap up --project`).",
    )(command)
    return click.option(
        "--profile",
        "-p",
        help="Profile name or path (default: the profile the project keeps -- --project DIR, "
        "else the current directory -- else `default`).",
    )(command)


def plan_overrides(command: _F) -> _F:
    """The options of `bootstrap up` that change its plan beyond the profile, shared
    with `bootstrap plan` so that both read them alike (bootstrap.request):
    ``--strategy``, ``--remote``, ``--accept-new-host-key``, ``--target``, ``--lock``."""
    options = [
        click.option(
            "--strategy", type=StrategyChoice(), help="Force where the environment lives."
        ),
        click.option(
            "--remote",
            metavar="[USER@]HOST[:PORT]",
            callback=destination,
            help="Hand over to this Linux box over ssh (implies --strategy remote).",
        ),
        click.option(
            "--accept-new-host-key",
            "accept_new_host_keys",
            is_flag=True,
            help="Let ssh accept an unknown host key (StrictHostKeyChecking=accept-new).",
        ),
        click.option("--target", metavar="KEY", help="Force the target, e.g. linux-x86_64-cu126."),
        click.option(
            "--lock", metavar="PATH", help="Force the lock file (relative to the project)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
