"""`bootstrap uv`: install, verify, locate or move the pinned uv."""

from __future__ import annotations

from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent.parent


@click.group(
    epilog="""\b
Examples:
  bootstrap uv ensure                 install or verify the pinned uv
  bootstrap uv ensure --source local  only from BOOTSTRAP_UV_LOCAL (air-gapped)
  bootstrap uv which                  print the pinned uv's path
  bootstrap uv pin 0.14.0             move the pin (shows the change first)
  bootstrap uv pin --sync             regenerate the installers' embedded pin
"""
)
def uv() -> None:
    """Install, verify, locate or move the pinned uv."""


@uv.command()
@click.option(
    "--source",
    "sources",
    metavar="LIST",
    help="Sources in order, comma-separated: local,mirror,index,release.",
)
@click.option("--verify", is_flag=True, help="Re-hash the installed binaries.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def ensure(sources: str | None, verify: bool, as_json: bool) -> None:
    """Install the pinned uv, or verify the one already installed."""
    from bootstrap import console
    from bootstrap.paths import Paths
    from bootstrap.uv import ensure as do_ensure

    res = do_ensure(Paths.from_env(), sources=sources, verify=verify)
    if as_json:
        console.print_json(
            {
                "path": str(res.path),
                "version": res.version,
                "action": res.action,
                "source": res.source,
                "triple": res.triple,
            }
        )
    elif res.action == "installed":
        console.line(f"installed uv {res.version} ({res.triple}) from {res.source}: {res.path}")
    else:
        console.line(f"uv {res.version} is present and verified: {res.path}")


@uv.command()
def which() -> None:
    """Print the path of the pinned uv (exit 1 when it is not installed)."""
    from bootstrap import console
    from bootstrap.paths import Paths
    from bootstrap.uv import check_present, load
    from bootstrap.uv.platform import detect_triple, exe

    pin = load()
    triple = detect_triple()
    directory = Paths.from_env().uv_dir(pin.version)
    ok, why = check_present(directory, pin, triple)
    if not ok:
        raise click.ClickException(f"uv {pin.version}: {why} (run: bootstrap uv ensure)")
    console.line(str(directory / exe("uv", triple)))


@uv.command()
@click.argument("version", required=False)
@click.option("--yes", "-y", is_flag=True, help="Write the change without asking.")
@click.option("--sync", is_flag=True, help="Only regenerate the installers' embedded pin.")
@click.option("--check", is_flag=True, help="Exit 1 if the installers' embedded pin drifted.")
@click.option(
    "--json-api",
    default="https://pypi.org/pypi",
    show_default=True,
    envvar="BOOTSTRAP_UV_JSON_API",
    help="Package index JSON API to read the wheels' published SHA-256 from.",
)
@click.option(
    "--index-url",
    envvar="BOOTSTRAP_UV_INDEX_URL",
    default="https://pypi.org/simple",
    show_default=True,
    help="Simple index (PEP 691 JSON) used when the JSON API has no answer.",
)
@click.option(
    "--release-url",
    envvar="BOOTSTRAP_UV_RELEASE_URL",
    default="https://github.com/astral-sh/uv/releases/download",
    show_default=True,
    help="Release base whose <version>/uv-<triple>.tar.gz.sha256 files are published.",
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=REPO,
    show_default="this checkout",
)
def pin(
    *,
    version: str | None,
    yes: bool,
    sync: bool,
    check: bool,
    json_api: str,
    index_url: str,
    release_url: str,
    repo: Path,
) -> int:
    """Move the uv pin to VERSION, from the checksums its publishers publish."""
    import difflib

    from bootstrap import console
    from bootstrap.uv import pin as pinmod
    from bootstrap.uv import publish

    pin_file = repo / "bootstrap" / "uv" / "pin.txt"
    if check:
        text = pin_file.read_text(encoding="utf-8")
        drift = [
            name
            for name in ("install.sh", "install.ps1")
            if (repo / name).exists()
            and pinmod.embedded((repo / name).read_text(encoding="utf-8"), name)
            != pinmod.pin_lines(text)
        ]
        for name in drift:
            console.error(f"{name}: embedded uv pin differs from bootstrap/uv/pin.txt")
        raise click.exceptions.Exit(1 if drift else 0)
    if sync:
        for path in publish.sync_installers(repo):
            console.line(f"updated {path.name}")
        return 0
    if not version:
        raise click.UsageError("give a VERSION (or --sync / --check)")
    current = pinmod.parse(pin_file.read_text(encoding="utf-8"), str(pin_file))
    got = publish.published(version, json_api=json_api, index=index_url, release=release_url)
    for note in got.notes:
        console.warn(note)
    old, new = pinmod.render(current), pinmod.render(got.pin)
    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "pin (current)", "pin (new)", lineterm=""
        )
    )
    if not diff:
        console.line(f"the pin is already uv {version} with these checksums")
        publish.write_everywhere(repo, got.pin, keep_self=current)
        return 0
    for text_line in diff:
        console.line(text_line)
    if not yes and not click.confirm("write this pin?", default=False):
        raise click.exceptions.Exit(1)
    for path in publish.write_everywhere(repo, got.pin, keep_self=current):
        console.line(f"updated {path.relative_to(repo)}")
    return 0


# `bootstrap uv install` reads naturally too (and other commands' fix hints use it).
_install = click.Command(
    "install",
    callback=ensure.callback,
    params=ensure.params,
    help=ensure.help,
    hidden=True,
)
uv.add_command(_install)
