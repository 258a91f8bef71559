"""`bootstrap tools`: the profile's pinned tools and the exact uvx command for each."""

from __future__ import annotations

from pathlib import Path

import click

from bootstrap.cli.params import profile_and_project


@click.command(
    epilog="""\b
Examples:
  bootstrap tools --profile default            name, version and the uvx command
                                               (from the wheelhouse when a bundle brought it)
  bootstrap tools --warm                       run each once so the cache holds it
  bootstrap tools --warm --offline             prove each runs from the cache alone
"""
)
@profile_and_project
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--warm", is_flag=True, help="Run each tool once (`--version`) to cache it.")
@click.option("--offline", is_flag=True, help="With --warm: from the cache only.")
@click.option(
    "--uv", "uv_path", type=click.Path(path_type=Path), help="uv to run (default: pinned)."
)
def tools(  # noqa: PLR0917 - click passes each option as an argument
    profile: str | None,
    project: str | None,
    as_json: bool,
    warm: bool,
    offline: bool,
    uv_path: Path | None,
) -> int:
    """The profile's [tools]: each pinned version and the uvx command that runs it."""
    from bootstrap.app import UpOptions
    from bootstrap.cache.use import wheelhouse as imported_wheelhouse
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths
    from bootstrap.policy import tools as mod
    from bootstrap.profiles import load_profile
    from bootstrap.request import profile_request

    name, where = profile_request(UpOptions(profile=profile, project=project))
    prof = load_profile(name, project=where)
    listed = mod.tools(prof)
    # A bundle's tools are run from the wheelhouse it was imported into.
    wheelhouse = imported_wheelhouse(Paths.from_env())
    if not warm:
        if as_json:
            print_json({"profile": prof.name, "tools": [t.to_dict(wheelhouse) for t in listed]})
            return 0
        if not listed:
            line(f'profile {prof.name!r} pins no tools (add a [tools] table: ruff = "0.6.9")')
        width = max((len(t.name) for t in listed), default=0)
        for t in listed:
            line(f"{t.name:<{width}}  {t.version:<10}  {t.command_with(wheelhouse)}")
        return 0
    from bootstrap.policy.uvbin import policy_uv

    results = mod.warm(policy_uv(uv_path), prof, offline=offline, wheelhouse=wheelhouse)
    if as_json:
        print_json(
            {
                "profile": prof.name,
                "tools": [
                    {**r.tool.to_dict(wheelhouse), "ok": r.ok, "detail": r.detail} for r in results
                ],
            }
        )
    else:
        for r in results:
            line(f"{'ok  ' if r.ok else 'FAIL'} {r.tool.command_with(wheelhouse)}  {r.detail}")
    return 0 if all(r.ok for r in results) else 1
