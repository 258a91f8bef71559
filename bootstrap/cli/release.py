"""`bootstrap release`: build the bootstrapper's wheel and pin it (the `self` line)."""

from __future__ import annotations

from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent.parent


@click.command(
    epilog="""\b
Examples:
  bootstrap release                 in the bootstrapper's checkout
  bootstrap release --offline       build from uv's cache only
\b
Writes bootstrap/runtime.txt and bootstrap/runtime.pylock.toml (the runtime lock the
wheel carries, from uv.lock), builds dist/<name>-<version>-py3-none-any.whl with the
pinned uv (its build backend held to pylock.build.toml's hashes), and writes its
`self <version> <file> <sha256>` line into bootstrap/uv/pin.txt and the installers'
embedded pins. Publish the wheel on the index teams use, then run `bootstrap init` in
their repositories. Exit codes: 0 released, 2 bad input or a failed build.
"""
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=REPO,
    show_default="this checkout",
    help="The bootstrapper's checkout to release.",
)
@click.option("--offline", is_flag=True, help="Build with uv's cache only (no index).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def release(repo: Path, offline: bool, as_json: bool) -> None:
    """Build the bootstrapper's wheel with the pinned uv and pin it like uv."""
    from bootstrap.adopt.release import release as do_release
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths
    from bootstrap.uv import ensure

    repo = repo.resolve()
    uv = ensure(Paths.from_env()).path
    res = do_release(uv, repo, offline=offline)
    changed = [str(p.relative_to(repo)) for p in res.changed]
    if as_json:
        print_json(
            {
                "wheel": str(res.wheel),
                "version": res.artifact.version,
                "file": res.artifact.filename,
                "sha256": res.artifact.sha256,
                "changed": changed,
            }
        )
        return
    line(f"built {res.wheel}")
    line(f"pinned self {res.artifact.version} {res.artifact.filename} {res.artifact.sha256}")
    for rel in changed:
        line(f"updated {rel}")
    line(
        f"next: publish {res.artifact.filename} on the index teams use, then "
        "`bootstrap init` in their repositories"
    )
