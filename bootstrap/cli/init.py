"""`bootstrap init [DIR]`: the files a team commits to adopt the bootstrapper."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(
    epilog="""\b
Examples:
  bootstrap init                    in the team's repository: write the files to commit
  bootstrap init ../team-repo       the same for another directory
  bootstrap init --check .          CI: exit 1 when the committed files are not what
                                    init writes (e.g. after the pin moved)
  bootstrap init --ci github        only the GitHub Actions job (default: github,gitlab)
\b
Writes install.sh and install.ps1 (stage 0, with the uv pin and the bootstrapper's own
pin embedded), the CI job that runs `bootstrap check`, and, when the project keeps no
profile yet, a bootstrap.toml guessed from pyproject.toml (guesses marked `review:`; the
file is yours from then on). A generated file the team edited is never overwritten: its
unified diff is printed and init exits 1 (--force replaces it). .bootstrap-init records
what init wrote.
\b
Exit codes: 0 written or up to date, 1 a file differs (--check) or an edited file was
kept, 2 bad input (no pyproject.toml, no pinned bootstrapper, a profile that does not load).
"""
)
@click.argument(
    "directory",
    required=False,
    default=".",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
)
@click.option("--check", "check_only", is_flag=True, help="Compare only; write nothing.")
@click.option("--force", is_flag=True, help="Replace generated files the team edited.")
@click.option(
    "--ci",
    default="github,gitlab",
    show_default=True,
    metavar="LIST",
    help="CI jobs to write, comma-separated: github, gitlab; or none.",
)
def init(directory: Path, check_only: bool, force: bool, ci: str) -> int:
    """Write what a team's repository commits to adopt the bootstrapper."""
    from bootstrap.adopt import files as team
    from bootstrap.console import error, line
    from bootstrap.uv import pin as pinmod

    which = [c.strip() for c in ci.split(",") if c.strip() and c.strip() != "none"]
    unknown = [c for c in which if c not in team.CI_CHOICES]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: expected github, gitlab or none", param_hint="--ci"
        )
    repo = directory.resolve()
    pin_file = pinmod.pin_path()
    pin_text = pin_file.read_text(encoding="utf-8")
    files = team.team_files(repo, pin_text, which)
    outcomes = team.plan_files(repo, files, force=force)
    if check_only:
        drift = [o for o in outcomes if o.status not in ("unchanged", "seed-kept")]
        for o in drift:
            if o.status == "written":
                line(f"missing: {o.path}")
            else:
                line(f"differs: {o.path}")
                for text in o.diff:
                    click.echo(text)
        if drift:
            line(f"fix: bootstrap init {directory}   (then commit the files)")
            return 1
        line(f"ok: {len(outcomes)} file(s) are what `bootstrap init` writes")
        return 0
    team.write_files(repo, files, outcomes)
    kept = [o for o in outcomes if o.status == "kept"]
    for o in outcomes:
        if o.status == "kept":
            line(f"kept     {o.path}  (edited after init wrote it; what init writes now:)")
            for text in o.diff:
                click.echo(text)
        elif o.status == "seed-kept":
            line(f"kept     {o.path}  (the team's profile: init never rewrites it)")
        else:
            line(f"{o.status:<8} {o.path}")
    _load_profile(repo)
    if kept:
        error(
            f"{len(kept)} file(s) edited after `bootstrap init` wrote them were kept",
            "merge the change shown above by hand, or replace them: bootstrap init --force",
        )
        return 1
    line("next: review the lines marked `review:` in bootstrap.toml, then commit these files")
    return 0


def _load_profile(repo: Path) -> None:
    """The profile the project keeps must load, as `bootstrap up` will load it."""
    from bootstrap.console import line
    from bootstrap.profiles import load_profile

    loaded = load_profile(None, project=repo)
    line(f"ok: profile {loaded.name} loads ({loaded.source})")
