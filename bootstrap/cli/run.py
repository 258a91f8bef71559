"""`bootstrap run CMD...`: CMD in the project's environment, with the selection `up` chose."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bootstrap.cli.params import profile_and_project

if TYPE_CHECKING:
    from bootstrap.policy.lastplan import LastPlan


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    epilog="""\b
The project is the one that holds the current directory (the deepest one `bootstrap up`
set up here), or --project DIR, or the one of --profile. CMD runs where you are, in that
project's environment, with the lock selection the last successful `up` chose for this
machine (e.g. the cu124 variant on a GPU machine): `uv run --frozen --extra cu124 ...`,
which changes nothing when the environment matches and puts the variant's own builds
back when a plain `uv run` or `uv sync` replaced them with uv's default selection.

\b
Examples:
  bootstrap run pytest -q
  bootstrap run python train.py
  bootstrap run --project ../team-repo -- python -m app --help

\b
Exit code: CMD's own; 6 when the project was never set up here (the fix says how).
""",
)
@profile_and_project
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(profile: str | None, project: str | None, command: tuple[str, ...]) -> int:
    """Run a command in the project's environment, keeping the chosen variant."""
    import os

    from bootstrap import proc
    from bootstrap.errors import ActionRequired
    from bootstrap.launcher import run_argv
    from bootstrap.paths import Paths
    from bootstrap.policy import lastplan

    paths = Paths.from_env()
    if profile is None and project is None:
        where = Path.cwd()
        last = lastplan.for_directory(paths, where)
        again = "bootstrap up --project DIR (or --profile NAME)"
    else:
        last, where, again = _for_profile(profile, project)
    if last is None:
        raise ActionRequired(
            f"{where}: no `bootstrap up` has set up this project's environment here yet "
            "(no successful run recorded for it)",
            fix=f"set it up first: {again}, then `bootstrap run {command[0]} ...` again",
            code="run.not_set_up",
        )
    # The uv that synced this environment (a stat, not the pin's machinery), else the
    # pinned one as installed.
    uv = last.uv if last.uv is not None and last.uv.is_file() else None
    if uv is None:
        from bootstrap.policy.doctor import pinned_uv

        uv = pinned_uv(paths, dict(os.environ))
    argv, env = run_argv(last, uv, command, os.environ)
    return proc.replace(argv, env=env)


def _for_profile(profile: str | None, project: str | None) -> tuple[LastPlan | None, Path, str]:
    """The last selection of the profile `up` would pick for these options, the
    project's directory, and the `up` that sets it up."""
    import shlex

    from bootstrap.app import UpOptions
    from bootstrap.policy import doctor
    from bootstrap.profiles import load_profile
    from bootstrap.request import profile_request

    name, where = profile_request(UpOptions(profile=profile, project=project))
    m = doctor.machine(load_profile(name, project=where))
    words = ["bootstrap", "up"]
    words += ["--profile", profile] if profile else []
    words += ["--project", project] if project else []
    return doctor.last_plan(m), m.project, shlex.join(words)
