"""`bootstrap python`: pin the interpreter a cache bundle carries to machines with none."""

from __future__ import annotations

from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent.parent


@click.group(
    epilog="""\b
Examples:
  bootstrap python pin 3.12.16                       the official archive for this host
  bootstrap python pin 3.12.16 --target windows-x86_64-cpu
  bootstrap python pin 3.11.2 --archive cpython-3.11.2-x86_64-unknown-linux-gnu-install_only.tar.gz
  bootstrap python pin 3.12.16 --archive https://mirror.example.com/pbs/cpython-...tar.gz
  bootstrap python show                              what is pinned
"""
)
def python() -> None:
    """Pin the CPython a cache bundle carries to machines that have no Python."""


def _triple(target: str | None) -> str:
    if target is None:
        from bootstrap.uv.platform import detect_triple

        return detect_triple()
    from bootstrap.cache.targets import parse_target

    return parse_target(target).uv_platform.triple


@python.command("pin")
@click.argument("version")
@click.option("--target", help="Target key, e.g. linux-x86_64-cpu (default: this host's).")
@click.option(
    "--archive",
    help="The install_only archive to pin (a file or an https URL); default: the official "
    "python-build-standalone archive, with the SHA-256 from the pinned uv's own list.",
)
@click.option("--url", help="With --archive FILE: the source URL to record (default: the file).")
@click.option(
    "--uv",
    "uv_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The uv whose list of official archives to read (default: the pinned uv).",
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=REPO,
    show_default="this checkout",
)
@click.option("--yes", "-y", is_flag=True, help="Write the change without asking.")
def pin_cmd(
    *,
    version: str,
    target: str | None,
    archive: str | None,
    url: str | None,
    uv_path: Path | None,
    repo: Path,
    yes: bool,
) -> None:
    """Record, for one target, the archive's file name, source URL and SHA-256 in
    bootstrap/python/pin.txt (commit it)."""
    import difflib

    from bootstrap import console
    from bootstrap.files import sha256_file
    from bootstrap.paths import Paths
    from bootstrap.python import pin as pinmod
    from bootstrap.python.archive import check_archive
    from bootstrap.python.source import fetch

    triple = _triple(target)
    new_pin = pinmod.Interpreter(triple, version, "x.tar.gz", "0" * 64, "https://x")
    pinmod.parse(new_pin.line(), "VERSION")  # a bad version is refused before any work
    path = pinmod.pin_path(root=repo)
    current = pinmod.load(root=repo, missing_ok=True)
    if archive is None:
        if url:
            raise click.UsageError("--url goes with --archive FILE")
        from bootstrap.python import official

        uv = uv_path
        if uv is None:
            from bootstrap.uv import ensure

            uv = ensure(Paths.from_env()).path
        found = official.find(official.embedded_list(uv), version, triple)
        it = pinmod.Interpreter(triple, version, found.filename, found.sha256, found.url)
        console.line(
            f"official archive {found.filename}: sha256 from uv's own list "
            f"(python-build-standalone {found.build}); not downloaded"
        )
    else:
        name = archive.rsplit("/", 1)[-1]
        from urllib.parse import unquote

        name = unquote(name)
        local = fetch(archive, Paths.from_env().interpreter_downloads, name)
        check_archive(local, ".".join(version.split(".")[:2]), windows="windows" in triple)
        source = url or (archive if "://" in archive else local.resolve().as_uri())
        it = pinmod.Interpreter(triple, version, name, sha256_file(local), source)
    new = current.with_interpreter(it)
    pinmod.parse(pinmod.render(new), str(path))  # what is written parses back
    old_text = pinmod.render(current) if current.interpreters else ""
    diff = list(
        difflib.unified_diff(
            old_text.splitlines(), pinmod.render(new).splitlines(), "pin", "pin (new)", lineterm=""
        )
    )
    if not diff:
        console.line(f"the pin already has CPython {version} for {triple} with this checksum")
        return
    for text in diff:
        if text.startswith(("+cpython", "-cpython")):
            console.line(text)
    if not yes and not click.confirm(f"write {path}?", default=False):
        raise click.exceptions.Exit(1)
    from bootstrap.paths import atomic_write

    atomic_write(path, pinmod.render(new).encode())
    console.line(f"pinned CPython {version} for {triple} in {path}")


@python.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the pin as JSON.")
def show(as_json: bool) -> None:
    """Print the pinned interpreters, one per target triple."""
    from bootstrap import console
    from bootstrap.python import pin as pinmod

    pin = pinmod.load()
    if as_json:
        console.print_json([it.__dict__ for it in pin.interpreters])
        return
    if not pin.interpreters:
        console.line(f"no interpreter pinned ({pin.origin})")
    for it in pin.interpreters:
        console.line(f"{it.triple:<28} CPython {it.version}  {it.filename}  {it.sha256[:12]}...")
