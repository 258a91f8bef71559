"""`bootstrap cache`: pack, verify and import offline cache bundles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bootstrap.cache import Expect, Manifest, UvPin
    from bootstrap.plan.model import LockChoice


@click.group(
    epilog="""\b
Examples:
  bootstrap cache pack --profile python-service --out env.tar
  bootstrap cache pack --profile ai-training --target linux-x86_64-cu126 --out gpu.tar
  bootstrap cache pack --project . --extra cpu --target linux-x86_64-cpu --out env.tar
  bootstrap cache pack --profile python-service --python 3.11,3.12 --out env.tar
  bootstrap cache verify env.tar --target linux-x86_64-cpu
  bootstrap cache import env.tar
  bootstrap cache import https://files.example.com/env-linux-x86_64-cpu.tar
"""
)
def cache() -> None:
    """Pack and import offline cache bundles (one file per target)."""


def _pin(uv: Path, artifact: Path | None, sha256: str | None) -> UvPin:
    """The repository's pin; or, with ``--uv-artifact FILE --uv-sha256 HEX``, a pin of
    that one file at the version of the uv that packs (for a build without a pin)."""
    from bootstrap.cache import UvPin
    from bootstrap.cache.pin import repo_pin
    from bootstrap.errors import UserError

    if sha256 and artifact is None:
        raise click.UsageError("--uv-sha256 goes with --uv-artifact")
    if artifact is not None and sha256:
        from bootstrap import proc

        res = proc.run([str(uv), "--version"], timeout=30)
        words = res.stdout.split()
        if not res.ok or len(words) < 2:
            raise UserError(f"{uv} --version failed: {res.describe()}")
        return UvPin(words[1], {artifact.name: sha256.lower()})
    return repo_pin()


def _profile_lock(
    profile: str, target: str | None
) -> tuple[str, Path, LockChoice, tuple[tuple[str, str], ...]]:
    """The target, project and lock the planner picks for ``profile`` -- on this host, or
    for ``target`` when given (a bundle for another machine) -- and its pinned tools."""
    from bootstrap.host import detect
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.profiles import load_profile

    loaded = load_profile(profile)
    plan = make_plan(detect(), loaded, Overrides(target=target, strategy="native"))
    return plan.target, Path(loaded.project.path), plan.lock, loaded.tools


def _tools_lock(project: Path, tools: tuple[tuple[str, str], ...]) -> Path | None:
    """The repository's lock of the pinned tools, which vouches for their wheels; it must
    lock every pin (else the bundle would carry what the profile no longer asks for)."""
    from bootstrap.errors import UserError
    from bootstrap.policy.toollock import TOOLS_LOCK, check_covers

    if not tools:
        return None
    path = project / TOOLS_LOCK
    if not path.is_file():
        raise UserError(
            f"{path}: not found; the profile pins [tools] and a bundle carries them only "
            "with the lock that vouches for their files",
            fix="write it and commit it: bootstrap lock --profile NAME",
            code="cache.no_tools_lock",
        )
    check_covers(path, tools)
    return path


@cache.command("pack")
@click.option(
    "--profile",
    "profile",
    default="",
    help="Pack for this profile: its project, and the lock and variant its plan picks.",
)
@click.option("--target", help="Target key, e.g. linux-x86_64-cu126 (default: this host's).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The project whose lock the bundle serves (default: the profile's, else .).",
)
@click.option("--lock", "lock_path", help="uv.lock or a pylock file (default: uv.lock).")
@click.option("--extra", "extras", multiple=True, help="An extra to sync (repeatable).")
@click.option("--group", "groups", multiple=True, help="A dependency group to sync (repeatable).")
@click.option(
    "--python",
    "python",
    help="The Python version(s) the wheels must serve, comma-separated (e.g. 3.11,3.12; "
    "default: the one uv finds).",
)
@click.option("--no-tool", is_flag=True, help="Leave out the bootstrapper's own runtime wheels.")
@click.option(
    "--with-python",
    is_flag=True,
    help="Carry the interpreter bootstrap/python/pin.txt pins for the target (for machines "
    "with no Python); the wheels then serve its version.",
)
@click.option(
    "--python-archive",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="With --with-python: the pinned archive as a file here (default: from the pin's URL).",
)
@click.option(
    "--uv",
    "uv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="uv to pack with (default: the pinned uv).",
)
@click.option(
    "--uv-artifact",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The pinned uv file for the target (default: downloaded from the index).",
)
@click.option("--uv-sha256", help="Its SHA-256, instead of the repository's pin.")
@click.option("--index-url", default="https://pypi.org/simple", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def pack_cmd(
    *,
    profile: str,
    target: str | None,
    out: Path,
    project: Path | None,
    lock_path: str | None,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
    python: str | None,
    no_tool: bool,
    with_python: bool,
    python_archive: Path | None,
    uv_path: Path | None,
    uv_artifact: Path | None,
    uv_sha256: str | None,
    index_url: str,
    as_json: bool,
) -> None:
    """Build ONE bundle (format 2) that lets a machine with no network set up TARGET:
    the wheels the plan installs (the bootstrapper's runtime closure and the project's
    lock with its extras and groups, for each Python), with --profile the wheels of its
    pinned [tools] (from pylock.tools.toml), and the pinned uv. Prints what it carries,
    by part, with sizes."""
    from bootstrap.cache import pack
    from bootstrap.console import line, print_json
    from bootstrap.plan.model import LockChoice

    if uv_path is None:
        # Pack with the pinned uv: its syncs decide what the target needs.
        from bootstrap.paths import Paths
        from bootstrap.uv import ensure

        uv = ensure(Paths.from_env()).path
    else:
        uv = uv_path
    pin = _pin(uv, uv_artifact, uv_sha256)
    if profile and project is None:
        if lock_path or extras or groups:
            # The plan decides the lock and variant: packing anything else would carry
            # what `bootstrap up` does not install.
            raise click.UsageError("--lock, --extra and --group go with --project, not --profile")
        target, project, lock, tools = _profile_lock(profile, target)
        tools_lock = _tools_lock(project, tools)
    else:
        tools_lock = None
        if target is None:
            raise click.UsageError("--target is required without --profile")
        lock_path = lock_path or "uv.lock"
        kind = "pylock" if Path(lock_path).name.startswith("pylock") else "uv"
        lock = LockChoice(lock_path, kind, tuple(extras), tuple(groups))
        project = project or Path()
    pythons = tuple(p.strip() for p in (python or "").split(",") if p.strip())
    interpreter = None
    if with_python:
        from bootstrap.python.pack import for_bundle

        interpreter, pythons = for_bundle(target, pythons, python_archive)
    elif python_archive is not None:
        raise click.UsageError("--python-archive goes with --with-python")
    result = pack(
        out=out,
        uv=uv,
        target=target,
        project=project.resolve(),
        lock=lock,
        pin=pin,
        uv_artifact=uv_artifact,
        profile=profile,
        include_tool=not no_tool,
        tools_lock=tools_lock.resolve() if tools_lock else None,
        pythons=pythons,
        index_url=index_url,
        interpreter=interpreter,
    )
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "size": result.size,
                "duration": round(result.duration, 3),
                "cross_platform": result.cross_platform,
                "parts": {p.name: {"files": list(p.files), "size": p.size} for p in result.parts},
                "manifest": _manifest_dict(result.manifest),
            }
        )
        return
    m = result.manifest
    line(
        f"packed {result.path} ({result.size / 1e6:.1f} MB) for {m.target}, Python "
        f"{', '.join(m.pythons)}, in {result.duration:.1f}s"
    )
    for part in result.parts:
        line(f"  {part.name:<8} {len(part.files):>3} file(s) {part.size / 1e6:>7.1f} MB")
        for name in part.files:
            line(f"           {name}")


def _manifest_dict(manifest: Manifest) -> dict[str, object]:
    from bootstrap.cache.bundle import describe

    return describe(manifest)


def _expect(
    bundle: Path, locks: tuple[Path, ...], target: str | None, python: str | None
) -> Expect:
    """What vouches for ``bundle``: the lock files given, else the locks of the profile
    its manifest names (read from this repository), plus the bootstrapper's own uv.lock."""
    from bootstrap.cache import Expect
    from bootstrap.cache.importer import peek_manifest, tool_lock
    from bootstrap.cache.pin import repo_pin
    from bootstrap.errors import UserError

    chosen = list(locks)
    if not chosen:
        manifest = peek_manifest(bundle)
        if not manifest.profile:
            raise UserError(
                f"{bundle} names no profile: say which lock vouches for its project files",
                fix="pass --lock PATH/TO/uv.lock (or the pylock file)",
                code="bundle.no_lock",
            )
        from bootstrap.profiles import load_profile

        loaded = load_profile(manifest.profile)
        for spec in loaded.locks:
            path = Path(loaded.project.path) / spec.path.replace("{target}", manifest.target)
            if path.is_file():
                chosen.append(path)
        from bootstrap.policy.toollock import TOOLS_LOCK

        tools = Path(loaded.project.path) / TOOLS_LOCK
        if tools.is_file():
            chosen.append(tools)
    return Expect(locks=[*chosen, tool_lock()], pin=repo_pin(), target=target, python=python)


_LOCK = click.option(
    "--lock",
    "locks",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A lock file that vouches for the project's files (repeatable; default: the locks "
    "of the profile the bundle names).",
)


@cache.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--target", help="Refuse a bundle for another target.")
@click.option("--python", "python", help="Refuse a bundle whose wheels do not serve this Python.")
@_LOCK
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def verify_cmd(
    bundle: Path, target: str | None, python: str | None, locks: tuple[Path, ...], as_json: bool
) -> None:
    """Check every file in BUNDLE against the repository (the locks, the uv pin), and
    its target and Python."""
    from bootstrap.cache import verify
    from bootstrap.console import line, print_json

    verified = verify(bundle, _expect(bundle, locks, target, python))
    m = verified.manifest
    _say_ignored(verified.ignored)
    if as_json:
        print_json(
            {
                "path": str(bundle),
                "ok": True,
                "manifest": _manifest_dict(m),
                "interpreter": verified.interpreter.member if verified.interpreter else None,
            }
        )
        return
    line(
        f"ok: {bundle} is a bundle for {m.target} (Python {', '.join(m.pythons) or '?'}, uv "
        f"{m.uv_version}, {len(verified.wheels)} files checked against the locks, profile "
        f"{m.profile or '-'}, packed {m.created_at})"
    )
    if verified.interpreter is not None:
        it = verified.interpreter
        line(f"  carries CPython {it.version} ({it.member}), checked against the Python pin")


def _say_ignored(members: tuple[str, ...]) -> None:
    from bootstrap.console import warn

    for name in members:
        warn(f"{name}: a downloads list in the bundle is never used; the pin decides (ignored)")


@cache.command("import")
@click.argument("bundle")
@click.option("--target", help="Refuse a bundle for another target.")
@click.option("--python", "python", help="Refuse a bundle whose wheels do not serve this Python.")
@_LOCK
@click.option(
    "--wheelhouse",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the files go (default: the one `bootstrap up` syncs from).",
)
@click.option("--json", "as_json", is_flag=True)
def import_cmd(
    *,
    bundle: str,
    target: str | None,
    python: str | None,
    locks: tuple[Path, ...],
    wheelhouse: Path | None,
    as_json: bool,
) -> None:
    """Check BUNDLE (a file, or an https URL) and put its files into the wheelhouse."""
    from bootstrap.cache import import_bundle, resolve_bundle
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths

    paths = Paths.from_env()
    path = resolve_bundle(bundle, paths.cache / "bundles")
    result = import_bundle(
        path,
        wheelhouse or paths.wheelhouse,
        _expect(path, locks, target, python),
        python_dir=paths.python_archives,
    )
    _say_ignored(result.bundle.ignored)
    if as_json:
        print_json(
            {
                "bundle": str(path),
                "target": result.bundle.manifest.target,
                "wheelhouse": str(result.wheelhouse),
                "files": result.files,
                "skipped": result.skipped,
                "duration": round(result.duration, 3),
                "python_archive": str(result.python_archive) if result.python_archive else None,
            }
        )
        return
    if result.skipped:
        line(f"already imported: {path} ({result.bundle.manifest.target})")
        return
    line(
        f"imported {len(result.bundle.wheels)} files ({result.files} new) for "
        f"{result.bundle.manifest.target} into {result.wheelhouse} in {result.duration:.1f}s"
    )
    if result.python_archive is not None:
        line(f"  the pinned interpreter archive: {result.python_archive}")
