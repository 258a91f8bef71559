"""`bootstrap up`: the main job."""

from __future__ import annotations

from typing import Any

import click

from bootstrap.cli.params import Seconds, plan_overrides


@click.command(
    epilog="""\b
Examples:
  bootstrap up                               the default profile, offline from the cache
  bootstrap up --profile python-service      another profile
  bootstrap up --project ../team-repo        the profile the project keeps
  bootstrap up --project git+https://git.example.com/team/svc.git@main
  bootstrap up --cache-bundle team-env.tar   a machine with no network at all
  bootstrap up --online                      allow the index on a cache miss
  bootstrap up --dry-run                     print the steps, change nothing
  bootstrap up --remote me@gpu-box           set it up on a Linux box over ssh
  bootstrap up --strategy wsl2               set it up in a WSL2 distro (on Windows)

\b
Exit codes: 0 success (or already up to date), 1 the first run or a step failed,
2 bad input (profile, flag, bundle), 3 the plan needs a strategy `up` cannot run yet,
4 offline and the cache lacks what the lock needs, 5 another run holds the lock,
6 an action only you can take comes first (the message names it; then re-run),
7 the remote box cannot be reached, 8 it refused us (authentication, host key),
9 it cannot hold the environment (OS, arch, libc, Python, disk), 10 a download failed
on the network or on TLS, 130/143/129 interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""
)
@click.option(
    "--profile",
    "-p",
    help="Profile name or path (default: the project's own profile, else `default`).",
)
@click.option(
    "--project",
    metavar="DIR|git+URL[@REF]",
    help="The project to set up; with no --profile, the profile it keeps (bootstrap.toml, "
    "or [tool.bootstrap] in its pyproject.toml). A git+https:// or git+ssh:// URL is "
    "cloned (or fast-forwarded) into the workspace first (BOOTSTRAP_WORKSPACE).",
)
@click.option("--cache-bundle", metavar="FILE|URL", help="Import this cache bundle first.")
@click.option("--online", is_flag=True, help="Allow the package index on a cache miss.")
@click.option("--refresh", is_flag=True, help="Detect, plan and check every step again.")
@click.option("--dry-run", is_flag=True, help="Print the steps and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the timing report as JSON.")
@click.option(
    "--wait",
    "wait_seconds",
    type=Seconds(),
    default=300.0,
    show_default=True,
    help="Seconds to wait for another run holding the lock.",
)
@plan_overrides
@click.option("--report-out", hidden=True, help="Also write the timing report to this file.")
@click.option(
    "--replay",
    metavar="DIR",
    hidden=True,
    help="Plan from the machine captured in DIR (`detect --capture`) instead of this one; "
    "the steps still run here (support, and tests of another OS's side of a handoff).",
)
def up(**kwargs: Any) -> int:
    """Set up the profile's environment here and time its first run.

    Detects the machine, plans (which lock, which strategy, and why), installs the
    pinned uv, syncs offline from the cache, runs the profile's first command and
    records how long it took from the installer's start.
    """
    from bootstrap.app import UpOptions
    from bootstrap.app import up as run_up
    from bootstrap.console import StepView, print_json
    from bootstrap.errors import BootstrapError

    as_json = kwargs.pop("as_json")
    view = StepView(quiet=as_json)
    project = kwargs.get("project")
    if project and project.startswith("git+"):
        from bootstrap.repos.project import present

        kwargs["project"] = str(present(project, say=view.note))
    options = UpOptions(**kwargs)
    try:
        result = run_up(options, view)
    except BootstrapError as exc:
        # A run that failed after recording its report prints it too: one JSON shape.
        if as_json and exc.json_result is not None:
            print_json(exc.json_result)
        raise
    if as_json:
        print_json(result.json())
    elif result.noop:
        # "up to date" was said; the closing commands again, as the quick no-op prints
        # them (its report has no plan for a summary).
        for text in result.next:
            click.echo(text)
    elif result.report:
        from bootstrap.app import summary_lines

        for text in summary_lines(result):
            click.echo(text)
    return result.exit_code
