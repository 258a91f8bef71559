"""`bootstrap swap export|restore|check`: a laptop swap that loses nothing."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def swap() -> None:
    """Move every environment this machine set up to a new one."""


@swap.command(
    epilog="""\b
Examples:
  bootstrap swap export                              ./bootstrap-swap.json
  bootstrap swap export --bundles --for macos-arm64-cpu
\b
First, the guard: any project with work no remote has (uncommitted or untracked files,
stashes, unpushed commits, branches with no upstream, a detached HEAD with commits of its
own, no remote at all) stops the export with the list and the commands that save it.
Exit codes: 0 written, 2 bad input, 6 work would be lost (the list says what).
"""
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("bootstrap-swap.json"),
    show_default=True,
    help="The swap file.",
)
@click.option("--bundles", is_flag=True, help="Pack a cache bundle per project beside the file.")
@click.option(
    "--for",
    "targets",
    multiple=True,
    metavar="TARGET",
    help="The new machine's target (e.g. macos-arm64-cpu); implies --bundles.",
)
@click.option(
    "--allow-unpushed", is_flag=True, help="Export anyway; the file records what is left behind."
)
def export(out: Path, bundles: bool, targets: tuple[str, ...], allow_unpushed: bool) -> None:
    """Write the swap file: every environment set up here, after the unpushed-work guard."""
    from bootstrap.console import line, warn
    from bootstrap.paths import Paths
    from bootstrap.swap.export import export as run_export

    done = run_export(
        Paths.from_env(),
        out,
        allow_unpushed=allow_unpushed,
        bundle_targets=list(targets) if (bundles or targets) else None,
        say=line,
    )
    for skipped in done.skipped:
        warn(f"left out: {skipped}")
    for entry in done.file.projects:
        left = f" ({len(entry.unpushed)} unpushed piece(s) recorded)" if entry.unpushed else ""
        line(
            f"{entry.name}: {entry.git} {entry.branch or entry.commit[:12]}, "
            f"{entry.target or '-'}{left}"
        )
    line(f"wrote {done.path}: {len(done.file.projects)} project(s)")


@swap.command(
    epilog="""\b
Exit codes: 0 every project green, 1 at least one failed, 2 bad input (the file).
"""
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Put every project here (default: where the file says).",
)
@click.option("--jobs", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--online", is_flag=True, help="Let each sync use the index on a cache miss.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def restore(file: Path, workspace: Path | None, jobs: int, online: bool, as_json: bool) -> int:
    """Clone and set up every project of a swap file, planned for this machine."""
    from bootstrap.console import line, print_json, warn
    from bootstrap.swap.file import load
    from bootstrap.swap.restore import restore as run_restore

    done = run_restore(
        load(file),
        file,
        workspace=workspace.resolve() if workspace else None,
        workers=jobs,
        online=online,
        quiet=as_json,
    )
    if as_json:
        print_json({**done.result.to_dict(), "notes": done.notes})
    else:
        for text in done.result.lines():
            line(text)
        for note in done.notes:
            warn(note)
    return done.result.exit_code


@swap.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def check(file: Path, workspace: Path | None, as_json: bool) -> int:
    """What differs between a swap file and this machine; exit 1 on a difference."""
    from bootstrap.console import line, print_json
    from bootstrap.swap.check import differences
    from bootstrap.swap.file import load

    swap_file = load(file)
    found = differences(swap_file, workspace=workspace.resolve() if workspace else None)
    if as_json:
        print_json({"differences": [d.to_dict() for d in found]})
    else:
        for d in found:
            line(f"{d.name}: {d.kind}: {d.detail}")
            line(f"  fix: {d.fix}")
        if not found:
            line(f"no difference: {len(swap_file.projects)} project(s) as the file says")
    return 1 if found else 0
