"""`bootstrap devcontainer generate`: the devcontainer.json a profile asks for."""

from __future__ import annotations

import click


@click.group()
def devcontainer() -> None:
    """Write the project's devcontainer.json from a profile."""


@devcontainer.command(
    epilog="""\b
Examples:
  bootstrap devcontainer generate --profile python-service
  bootstrap devcontainer generate --profile python-service --force
\b
A devcontainer.json you wrote (or changed) is never replaced without --force: the
difference is printed instead. `bootstrap up --strategy devcontainer` runs this step too.
Without a container engine the file is still written (for Docker) and the reason is
shown as a warning. Exit codes: 0 written, unchanged or kept; 2 bad input.
"""
)
@click.option("--profile", "-p", default="default", show_default=True, help="Profile name or path.")
@click.option("--force", is_flag=True, help="Replace a devcontainer.json bootstrap did not write.")
def generate(profile: str, force: bool) -> None:
    """Write .devcontainer/devcontainer.json for the profile (image, cache volume,
    environment outside the bind mount, stage 0 as postCreateCommand, GPU request)."""
    from pathlib import Path

    from bootstrap.console import line, warn
    from bootstrap.host import detect
    from bootstrap.plan import specs
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.profiles import load_profile
    from bootstrap.steps.devcontainer import write_config
    from bootstrap.strategies import REGISTRY
    from bootstrap.strategies import devcontainer_config as dc

    loaded = load_profile(profile)
    plan = make_plan(detect(), loaded, Overrides(strategy="devcontainer"), strategies=REGISTRY)
    for warning in plan.warnings:
        warn(warning)
    spec = plan.step(specs.DevcontainerConfig)
    assert spec is not None  # noqa: S101 - every devcontainer plan has one
    result = write_config(Path(spec.workspace), spec.path, dc.render(spec.document()), force=force)
    if result.status == "kept":
        line(f"{spec.path} was not written by bootstrap: kept as it is (--force replaces it)")
        for text in result.diff:
            click.echo(text)
        return
    line(f"{result.path}: {result.status}")
