"""`bootstrap detect`: what this machine is."""

from __future__ import annotations

from pathlib import Path

import click


def _finite(value: float | None) -> float | None:
    # FloatRange lets NaN through (every comparison with NaN is false).
    if value is not None and value != value:  # noqa: PLR0124 - the NaN test
        raise click.BadParameter("expected a number of seconds, found nan")
    return value


@click.command(
    epilog="""\b
Examples:
  bootstrap detect                         a readable summary
  bootstrap detect --json                  the facts as JSON
  bootstrap detect --capture support/      also write what was read, for a bug report
  bootstrap detect --replay support/       the facts of a captured machine, here
  bootstrap detect --set wsl=2 --set memory_bytes=8e9   correct a fact
  BOOTSTRAP_CUDA_DRIVER=550.54 bootstrap detect   pretend an NVIDIA driver
"""
)
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
@click.option(
    "--capture",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write everything the probes read into DIR (a support bundle).",
)
@click.option(
    "--replay",
    type=click.Path(file_okay=False, path_type=Path),
    help="Detect from a directory written by --capture instead of this machine.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, max=3600, min_open=True),
    callback=lambda _ctx, _param, value: _finite(value),
    help="Seconds each probe may take (default 5).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=JSON",
    help="Override a fact, e.g. --set memory_bytes=8e9 --set wsl=2 (repeatable).",
)
def detect(
    as_json: bool,
    capture: Path | None,
    replay: Path | None,
    timeout: float | None,
    sets: tuple[str, ...],
) -> None:
    """Show what this machine is: OS, CPU, libc, WSL or container, GPUs, tools."""
    from bootstrap import host
    from bootstrap.console import print_json

    if capture and replay:
        raise click.UsageError("--capture and --replay do not go together")
    overrides = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r}: expected KEY=JSON", param_hint="--set")
        overrides[key.strip()] = value
    if replay is not None:
        if not replay.is_dir():
            raise click.BadParameter(f"{replay}: no such directory", param_hint="--replay")
        facts = host.replay(replay, timeout=timeout, facts=overrides)
    elif capture is not None:
        facts = host.capture(capture, timeout=timeout, facts=overrides)
    else:
        facts = host.detect(timeout=timeout, facts=overrides)
    if as_json:
        print_json(facts.to_dict())
        return
    from bootstrap.host.render import render

    render(facts)
    if capture is not None:
        click.echo(f"\ncaptured what the probes read into {capture}")
