"""`bootstrap doctor`: what is wrong with this machine, each finding with a fix."""

from __future__ import annotations

import click

from bootstrap.cli.params import profile_and_project


@click.command(
    epilog="""\b
Looks at: the uv first on PATH (is it the pinned one, where it comes from); pyenv, asdf,
mise or conda shims in front of the project's Python; packages from the user site, the
base interpreter or PYTHONPATH that the environment can import; the environment against
the selection the last `up` chose for it (its variant, e.g. cu124: uv's own check); a
project on /mnt under WSL or on a network file system; free disk against the profile's
need; undelivered reports in the spool; the last run's record.
--verify also re-hashes every installed file against its wheel's RECORD.

\b
It only reads: nothing on disk changes. Exit codes: 0 nothing wrong, 1 findings, 2 bad input.
"""
)
@profile_and_project
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--verify", is_flag=True, help="Also re-hash the installed files (RECORD).")
def doctor(profile: str | None, project: str | None, as_json: bool, verify: bool) -> int:
    """What is wrong with this machine for the profile, and how to fix each thing."""
    import time

    from bootstrap.app import UpOptions
    from bootstrap.console import line, print_json
    from bootstrap.policy import doctor as doc
    from bootstrap.profiles import check_pyproject, load_profile
    from bootstrap.request import profile_request

    start = time.monotonic()
    # As `bootstrap up` picks it: in a project that keeps its profile, that project's
    # environment is the one to look at, not the bootstrapper's own `default`.
    name, where = profile_request(UpOptions(profile=profile, project=project))
    loaded = load_profile(name, project=where)
    check_pyproject(loaded.project.path)  # else uv's failure reads as a drifted environment
    m = doc.machine(loaded)
    findings = doc.run(m)
    if verify:
        findings += doc.verify(m)
    seconds = time.monotonic() - start
    if as_json:
        print_json(
            {
                "profile": m.profile.name,
                "ok": not findings,
                "seconds": round(seconds, 3),
                "verified": verify,
                "findings": [f.to_dict() for f in findings],
            }
        )
        return 1 if findings else 0
    for f in findings:
        line(f"[{f.check}] {f.message}")
        for d in f.details:
            line(f"    {d}")
        line(f"    fix: {f.fix}")
    checked = len(doc.PROBES) + (1 if verify else 0)
    verdict = f"{len(findings)} finding(s)" if findings else "nothing wrong"
    line(f"{verdict} ({checked} checks, {seconds:.2f}s)")
    return 1 if findings else 0
