"""`bootstrap cache`: pack, verify and import offline cache bundles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap.errors import BootstrapError

if TYPE_CHECKING:
    from bootstrap.cache import Expect, Manifest, UvPin
    from bootstrap.plan.model import LockChoice


@click.group(
    epilog="""\b
Examples:
  bootstrap cache pack --profile python-service --out env.tar
  bootstrap cache pack --profile ai-training --target linux-x86_64-cu126 --out gpu.tar
  bootstrap cache pack --project ../team-repo --out env.tar      (the profile it keeps)
  bootstrap cache pack --project . --extra cpu --target linux-x86_64-cpu --out env.tar
  bootstrap cache pack --profile python-service --python 3.11,3.12 --out env.tar
  bootstrap cache verify env.tar --profile python-service --target linux-x86_64-cpu
  bootstrap cache import env.tar --profile python-service
  bootstrap cache import https://files.example.com/env.tar --project .
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
    profile: str | None, target: str | None, project: Path | None = None
) -> tuple[str, Path, LockChoice, tuple[tuple[str, str], ...], str]:
    """The target, project and lock the planner picks for ``profile`` -- on this host, or
    for ``target`` when given (a bundle for another machine) -- its pinned tools and its
    name. ``profile`` None: the profile ``project`` keeps, found as `up --project` finds
    it; a name with ``project``: that profile for that project."""
    from bootstrap.host import detect
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.profiles import check_project, load_profile
    from bootstrap.strategies import REGISTRY

    loaded = load_profile(profile, project=project)
    if project is not None:
        problems = check_project(loaded)
        if problems:
            raise problems[0]
    ov = Overrides(target=target, strategy="native")
    plan = make_plan(detect(), loaded, ov, strategies=REGISTRY)
    return plan.target, Path(loaded.project.path), plan.lock, loaded.tools, _reference(loaded)


def _reference(loaded: Any) -> str:
    """How the bundle names its profile so that it resolves on another machine: by name
    for a profile of the team's profiles directory or one a project keeps (found from
    that project, as `up --project` finds it); a profile file of its own by its
    absolute path (never the packer's relative one)."""
    from bootstrap.profile_lookup import project_profile

    source = Path(loaded.source).resolve()
    kept = project_profile(Path(loaded.project.path))
    if kept is not None and kept == source:
        return str(loaded.name)
    from bootstrap.profiles import load_profile

    try:
        by_name = Path(load_profile(loaded.name).source).resolve()
    except BootstrapError:
        return str(source)
    return str(loaded.name) if by_name == source else str(source)


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
    help="Pack for this profile (name or path): its project (or --project DIR), and the "
    "lock and variant its plan picks (default: the profile --project DIR keeps, else the "
    "one the current directory keeps).",
)
@click.option(
    "--target",
    help="Target key, e.g. linux-x86_64-cu126 (default: what the profile's plan picks on "
    "this host; without a profile, this host's CPU target).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The project whose lock the bundle serves (default: the current directory); with "
    "no --profile (and no --lock, --extra, --group), the profile it keeps, as `bootstrap up "
    "--project DIR` uses it.",
)
@click.option("--lock", "lock_path", help="uv.lock or a pylock file (default: uv.lock).")
@click.option("--extra", "extras", multiple=True, help="An extra to sync (repeatable).")
@click.option("--group", "groups", multiple=True, help="A dependency group to sync (repeatable).")
@click.option(
    "--no-default-groups",
    is_flag=True,
    help="Leave out the project's [tool.uv] default-groups (as `uv sync --no-default-groups`).",
)
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
@click.option(
    "--python-downloads",
    is_flag=True,
    help="Let uv download a Python the bundle must serve when this machine has none.",
)
@click.option(
    "--self-wheel",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The bootstrapper's released wheel (the pin's self line), for a team's repository "
    "whose install.sh installs it from the bundle.",
)
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
    no_default_groups: bool,
    python: str | None,
    no_tool: bool,
    with_python: bool,
    python_archive: Path | None,
    uv_path: Path | None,
    uv_artifact: Path | None,
    uv_sha256: str | None,
    index_url: str,
    python_downloads: bool,
    self_wheel: Path | None,
    as_json: bool,
) -> None:
    """Build ONE bundle (format 2) that lets a machine with no network set up TARGET:
    the wheels the plan installs (the bootstrapper's runtime closure and the project's
    lock with its extras and groups, for each Python), with --profile the wheels of its
    pinned [tools] (from pylock.tools.toml), and the pinned uv. Prints what it carries,
    by part, with sizes."""
    from bootstrap.cache.pack import pack
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
    explicit = bool(lock_path or extras or groups or no_default_groups)
    if profile and explicit:
        # The plan decides the lock and variant: packing anything else would carry
        # what `bootstrap up` does not install.
        raise click.UsageError(
            "--lock, --extra, --group and --no-default-groups go with --project, not --profile"
        )
    if project is None and not profile and not explicit and _keeps_profile(Path()):
        # Run in a project that keeps its profile: that profile, as `bootstrap up` in
        # the same directory uses it (not the lock's default groups).
        project = Path.cwd()
    if profile or (project is not None and not explicit and _keeps_profile(project)):
        # As `bootstrap up` picks it: --profile NAME (for --project DIR when given), or
        # the profile the project keeps.
        target, project, lock, tools, profile = _profile_lock(profile or None, target, project)
        tools_lock = _tools_lock(project, tools)
    else:
        tools_lock = None
        if target is None:
            from bootstrap.cache.targets import host_os_arch

            os_name, arch = host_os_arch()
            target = f"{os_name}-{arch}-cpu"
        lock_path = lock_path or "uv.lock"
        kind = "pylock" if Path(lock_path).name.startswith("pylock") else "uv"
        lock = LockChoice(
            lock_path, kind, tuple(extras), tuple(groups), no_default_groups=no_default_groups
        )
        project = project or Path()
    pythons = tuple(p.strip() for p in (python or "").split(",") if p.strip())
    interpreter = None
    if with_python:
        from bootstrap.cache.python_pack import for_bundle

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
        python_downloads=python_downloads,
        interpreter=interpreter,
        self_wheel=self_wheel,
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


def _keeps_profile(project: Path) -> bool:
    from bootstrap.profile_lookup import project_profile

    return project_profile(project.expanduser().resolve()) is not None


def _manifest_dict(manifest: Manifest) -> dict[str, object]:
    from bootstrap.cache.bundle import describe

    return describe(manifest)


def _expect(
    locks: tuple[Path, ...],
    profile: str | None,
    project: Path | None,
    target: str | None,
    python: str | None,
) -> Expect:
    """What vouches for a bundle: the lock files given, else the locks of the profile
    the user runs (``--profile``, ``--project``, or the project in the current
    directory), read from this repository; plus the bootstrapper's own uv.lock. Never
    what the bundle's manifest names: whoever wrote the bundle could have put a profile
    and a lock next to it."""
    from bootstrap.cache import Expect
    from bootstrap.cache.importer import tool_lock
    from bootstrap.cache.pin import repo_pin

    chosen = list(locks) or _profile_locks(profile, project, target)
    return Expect(locks=[*chosen, tool_lock()], pin=repo_pin(), target=target, python=python)


def _profile_locks(profile: str | None, project: Path | None, target: str | None) -> list[Path]:
    """Every lock file of the user's profile that exists (its uv.lock, its pylock for
    ``target`` or for every target it has), and its pinned tools' pylock.tools.toml:
    each is the repository's, so any of them may vouch for a file."""
    from bootstrap.errors import UserError
    from bootstrap.policy.toollock import TOOLS_LOCK
    from bootstrap.profile_lookup import project_profile
    from bootstrap.profiles import load_profile

    if not profile and project is None:
        if project_profile(Path.cwd()) is None:
            raise UserError(
                "no lock to check the bundle against: give the profile or project it is "
                "for (this directory keeps no profile; what the bundle itself names is "
                "never trusted)",
                fix="pass --profile NAME (the one you run `bootstrap up` with), "
                "--project DIR, or --lock PATH/TO/uv.lock",
                code="bundle.no_lock",
            )
        project = Path.cwd()
    loaded = load_profile(profile or None, project=project)
    root = Path(loaded.project.path)
    chosen: list[Path] = []
    for spec in loaded.locks:
        targets = [target] if target else [*spec.available, *spec.files]
        names = [spec.path] if spec.kind == "uv" else [spec.file_for(t) for t in targets]
        chosen += [root / n for n in dict.fromkeys(names) if (root / n).is_file()]
    from bootstrap.policy.buildlock import BUILD_LOCK

    for extra in (TOOLS_LOCK, BUILD_LOCK):
        if (root / extra).is_file():
            chosen.append(root / extra)
    if not chosen:
        raise UserError(
            f"profile {loaded.name!r} has no lock file in {root} to check the bundle against",
            fix="run `uv lock` (or `bootstrap lock`) there, or pass --lock PATH",
            code="bundle.no_lock",
        )
    return chosen


_LOCK = click.option(
    "--lock",
    "locks",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A lock file that vouches for the project's files (repeatable; default: the locks "
    "of the profile you run, see --profile).",
)
_PROFILE = click.option(
    "--profile",
    "profile",
    default="",
    help="The profile whose locks vouch for the project's files (default: the profile of "
    "the project in the current directory; never the one the bundle names).",
)
_PROJECT = click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The project whose profile and locks vouch for the bundle (default: .).",
)


@cache.command("verify")
@click.argument("bundle")
@click.option("--target", help="Refuse a bundle for another target.")
@click.option("--python", "python", help="Refuse a bundle whose wheels do not serve this Python.")
@_LOCK
@_PROFILE
@_PROJECT
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def verify_cmd(
    *,
    bundle: str,
    target: str | None,
    python: str | None,
    locks: tuple[Path, ...],
    profile: str,
    project: Path | None,
    as_json: bool,
) -> None:
    """Check every file in BUNDLE (a file, or an https URL) against the repository (the
    locks of the profile you run, the uv pin), and its target and Python."""
    from bootstrap.cache import resolve_bundle, verify
    from bootstrap.cache.importer import check_source
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths

    check_source(bundle)
    expect = _expect(locks, profile, project, target, python)
    path = resolve_bundle(bundle, Paths.from_env().cache / "bundles")
    verified = verify(path, expect)
    m = verified.manifest
    _say_ignored(verified.ignored)
    if as_json:
        print_json(
            {
                "path": str(path),
                "ok": True,
                "manifest": _manifest_dict(m),
                "interpreter": verified.interpreter.member if verified.interpreter else None,
            }
        )
        return
    line(
        f"ok: {path} is a bundle for {m.target} (Python {', '.join(m.pythons) or '?'}, uv "
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
@_PROFILE
@_PROJECT
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
    profile: str,
    project: Path | None,
    wheelhouse: Path | None,
    as_json: bool,
) -> None:
    """Check BUNDLE (a file, or an https URL) and put its files into the wheelhouse."""
    from bootstrap.cache import import_bundle, resolve_bundle
    from bootstrap.cache.importer import check_source
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths

    check_source(bundle)
    paths = Paths.from_env()
    expect = _expect(locks, profile, project, target, python)
    path = resolve_bundle(bundle, paths.cache / "bundles")
    result = import_bundle(
        path, wheelhouse or paths.wheelhouse, expect, python_dir=paths.python_archives
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
