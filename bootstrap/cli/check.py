"""`bootstrap check`: the one CI gate."""

from __future__ import annotations

from pathlib import Path

import click

from bootstrap.cli.params import profile_and_project

REPO = Path(__file__).resolve().parent.parent.parent


@click.command(
    epilog="""\b
Checks:
  a  uv.lock is current                       (uv lock --check)
  b  per-target locks are current             (bootstrap lock --check)
  c  every locked distribution is pinned by hash (sdist-only ones called out)
  d  one uv version everywhere                (pin, pyproject, installers, CI)
  e  no global installs                       (pip --user, pip outside a venv, unpinned
                                               pipx/uvx; the profile's [tools] allowed)
  f  offline proof                            (up with no network, into a temporary venv)

\b
Examples:
  bootstrap check --profile ai-training
  bootstrap check --project ../team-repo      the profile the project keeps (also the
                                              default when run in that project)
  bootstrap check --skip f                    everything but the offline proof
  bootstrap check --only f --cache-bundle env-linux-x86_64-cpu.tar
  bootstrap check --json

\b
Exit codes: 0 every check passed, 1 a check failed, 2 bad input.
"""
)
@profile_and_project
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--only", help="Run only these checks, e.g. 'abc'.")
@click.option("--skip", help="Skip these checks, e.g. 'f'.")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="The repository to check (default: the project, when a profile it keeps or "
    "--project names it; else the one this bootstrapper lives in).",
)
@click.option("--cache-bundle", metavar="FILE", help="Prove offline from this bundle (check f).")
@click.option(
    "--uv", "uv_path", type=click.Path(path_type=Path), help="uv to run (default: pinned)."
)
def check(  # noqa: PLR0917 - click passes each option as an argument
    profile: str | None,
    project: str | None,
    as_json: bool,
    only: str | None,
    skip: str | None,
    root: Path | None,
    cache_bundle: str | None,
    uv_path: Path | None,
) -> int:
    """Run the team's checks (a-f); each failure names the file, the finding and the fix."""
    from bootstrap.console import line, print_json
    from bootstrap.errors import UserError
    from bootstrap.policy import gate
    from bootstrap.policy.uvbin import policy_uv
    from bootstrap.profiles import load_profile

    wanted = set(gate.ALL)
    for flag, value in (("--only", only), ("--skip", skip)):
        if value is None:
            continue
        letters = set(value.replace(",", "").lower())
        bad = sorted(letters - set(gate.ALL))
        if bad:
            raise UserError(
                f"{flag} {value}: expected letters of the checks a-f, found {', '.join(bad)}",
                fix="e.g. --only ab, --skip f",
                code="check.bad_flag",
            )
        wanted = wanted & letters if flag == "--only" else wanted - letters
    if root is not None and not (root / "pyproject.toml").is_file():
        # An empty or missing directory has nothing to fail: passing it would say "all
        # good" about a project that is not there.
        what = "does not exist" if not root.exists() else "has no pyproject.toml"
        raise UserError(
            f"--root {root}: {what}: not a project to check",
            fix="give the repository's root, the folder that holds pyproject.toml",
            code="check.no_project",
        )
    from bootstrap.app import UpOptions
    from bootstrap.request import profile_request

    # As `bootstrap up` picks it: in a project that keeps its profile, that project is
    # what is checked (and its repository), not the bootstrapper's own `default`.
    name, where = profile_request(UpOptions(profile=profile, project=project))
    prof = load_profile(name, project=where)
    if root is None and where is not None:
        root = Path(prof.project.path)
    inp = gate.GateInput(prof, (root or REPO).resolve(), policy_uv(uv_path), cache_bundle)
    results = gate.run(inp, tuple(sorted(wanted)))
    failed = [r for r in results if not r.ok]
    if as_json:
        print_json(
            {"profile": prof.name, "ok": not failed, "checks": [r.to_dict() for r in results]}
        )
        return 1 if failed else 0
    for r in results:
        status = "skip" if r.skipped else ("ok  " if r.ok else "FAIL")
        extra = (
            f" ({r.skipped})"
            if r.skipped
            else (f" ({'; '.join(r.notes)})" if r.ok and r.notes and r.name in "adf" else "")
        )
        line(f"{status} {r.name}  {r.title}{extra}")
        for f in r.findings:
            where = f"{f.where}: " if f.where else ""
            line(f"     {where}{f.message}")
            for d in f.details:
                line(f"       {d}")
            line(f"       fix: {f.fix}")
    line(f"{len(results) - len(failed)} of {len(results)} check(s) passed")
    return 1 if failed else 0
