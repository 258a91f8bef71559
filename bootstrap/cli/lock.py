"""`bootstrap lock`: per-target PEP 751 locks from uv.lock, and the drift gate."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from bootstrap.cli.params import profile_and_project


@click.command(
    epilog="""\b
Examples:
  bootstrap lock --profile ai-training            write pylock.<target>.toml per target
                                                  (and pylock.tools.toml for [tools])
  bootstrap lock --profile ai-training --check    CI: exit 1 if any file would change
  bootstrap lock --project ../team-repo           the profile the project keeps

\b
Exit codes: 0 written (or, with --check, up to date), 1 drift (--check), 2 bad input.
"""
)
@profile_and_project
@click.option("--check", "check_only", is_flag=True, help="Compare only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--uv", "uv_path", type=click.Path(path_type=Path), help="uv to run (default: pinned)."
)
def lock(
    profile: str | None, project: str | None, check_only: bool, as_json: bool, uv_path: Path | None
) -> int:
    """Write one PEP 751 lock per target of the profile (every <os>-<arch> its uv lock
    serves x every variant), derived from uv.lock with `uv export`,
    pylock.tools.toml for its pinned [tools], and pylock.build.toml for the build backend
    of the packages uv.lock builds (the project itself, workspace members); --check
    compares."""
    from bootstrap.app import UpOptions
    from bootstrap.console import line, print_json
    from bootstrap.policy import locks
    from bootstrap.policy.uvbin import policy_uv
    from bootstrap.profiles import check_pyproject, load_profile
    from bootstrap.request import profile_request

    # As `bootstrap up` picks it: run in a project that keeps its profile, that profile
    # for that project (never `default`, whose locks are the bootstrapper's own).
    profile, project = profile_request(UpOptions(profile=profile, project=project))
    prof = load_profile(profile, project=project)
    check_pyproject(prof.project.path)
    uv = policy_uv(uv_path)
    root = Path(prof.project.path)
    if check_only:
        drift = locks.check(uv, prof)
        if as_json:
            print_json(
                {"profile": prof.name, "ok": not drift, "drift": [d.to_dict() for d in drift]}
            )
            return 1 if drift else 0
        if not drift:
            has_uv = any(spec.kind == "uv" for spec in prof.locks)
            if has_uv or not prof.tools:
                n = len(locks.targets(prof))
                line(f"ok: {n} per-target lock(s) of {prof.name} match uv.lock")
            if prof.tools:
                line(f"ok: pylock.tools.toml locks the {len(prof.tools)} pinned tool(s)")
            if (root / "pylock.build.toml").is_file():
                line("ok: pylock.build.toml locks the build backend of the packages uv.lock builds")
            return 0
        for d in drift:
            line(f"drift: {d.file} ({d.target}, {d.status})")
            for text in d.lines():
                line(f"  {text}")
        fix = shlex.join(["bootstrap", "lock", "--profile", prof.name])
        line(f"fix: {fix}   (in {shlex.quote(str(root))}; commit the files)")
        return 1
    written, removed = locks.write(uv, prof)
    if as_json:
        print_json(
            {
                "profile": prof.name,
                "written": [w.__dict__ for w in written],
                "removed": removed,
            }
        )
        return 0
    for w in written:
        line(f"{'wrote ' if w.changed else 'same  '} {w.file}")
    for rel in removed:
        line(f"removed {rel} (no longer a target)")
    return 0
