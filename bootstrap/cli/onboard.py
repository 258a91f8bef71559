"""`bootstrap onboard [MANIFEST]`: every project of a team manifest, set up at once."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(
    epilog="""\b
Examples:
  bootstrap onboard                          ./onboard.toml
  bootstrap onboard team/onboard.toml --workspace ~/src
  bootstrap onboard --jobs 1                 one project at a time
\b
Each project is cloned (or fetched and fast-forwarded; local work is never touched)
into the workspace, then set up with `bootstrap up --project DIR` and the manifest's
hints. Up to --jobs projects go side by side. A project that fails stops nothing else;
running the same command again redoes only what is not green. docs/onboarding.md has
the manifest's keys.
\b
Exit codes: 0 every project green, 1 at least one failed (the summary names each, with
its fix), 2 bad input (the manifest).
"""
)
@click.argument("manifest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the projects are cloned (default: BOOTSTRAP_WORKSPACE, else the "
    "data directory's projects/).",
)
@click.option("--jobs", type=click.IntRange(1, 16), help="Projects set up side by side.")
@click.option("--online", is_flag=True, help="Let each project's sync use the index on a miss.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def onboard(
    manifest: Path | None, workspace: Path | None, jobs: int | None, online: bool, as_json: bool
) -> int:
    """Set up every project a team manifest lists, and time the whole to all green."""
    from bootstrap.console import line, print_json
    from bootstrap.onboard import manifest as manifest_mod
    from bootstrap.onboard.runner import Job
    from bootstrap.onboard.session import run
    from bootstrap.paths import Paths

    loaded = manifest_mod.load(manifest or Path(manifest_mod.DEFAULT_NAME))
    where = (workspace or Paths.from_env().workspace()).expanduser().resolve()
    jobs_list = [
        Job(name=p.name, source=p.source, dest=where / p.name, up_args=_up_args(p, online))
        for p in loaded.projects
    ]
    result = run(
        f"onboard:{loaded.name}",
        jobs_list,
        workspace=where,
        workers=jobs or loaded.jobs,
        run_kind="onboard",
        quiet=as_json,
    )
    if as_json:
        print_json(result.to_dict())
    else:
        for text in result.lines():
            line(text)
    return result.exit_code


def _up_args(project: object, online: bool) -> tuple[str, ...]:
    args: list[str] = []
    for key, flag in (
        ("profile", "--profile"),
        ("strategy", "--strategy"),
        ("target", "--target"),
        ("cache_bundle", "--cache-bundle"),
    ):
        value = getattr(project, key, None)
        if value:
            args += [flag, value]
    if online:
        args.append("--online")
    return tuple(args)
