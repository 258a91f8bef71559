"""`bootstrap cache`: pack, verify and import offline cache bundles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bootstrap.cache import Manifest, UvPin
    from bootstrap.plan.model import LockChoice


@click.group(
    epilog="""\b
Examples:
  bootstrap cache pack --profile python-service --out env.tar
  bootstrap cache pack --profile ai-training --target linux-x86_64-cu126 --out gpu.tar
  bootstrap cache pack --project . --extra cpu --target linux-x86_64-cpu --out env.tar
  bootstrap cache verify env.tar --target linux-x86_64-cpu
  bootstrap cache import env.tar
  bootstrap cache import https://files.example.com/env-linux-x86_64-cpu.tar
"""
)
def cache() -> None:
    """Pack and import offline cache bundles (one file per target)."""


def _uv(explicit: Path | None) -> Path:
    from bootstrap.errors import UserError

    found = str(explicit) if explicit else (os.environ.get("UV") or shutil.which("uv"))
    if not found:
        raise UserError("no uv found", fix="run install.sh, or pass --uv PATH", code="cache.no_uv")
    return Path(found)


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


def _profile_lock(profile: str, target: str | None) -> tuple[str, Path, LockChoice]:
    """The target, project and lock the planner picks for ``profile`` -- on this host, or
    for ``target`` when given (a bundle for another machine)."""
    from bootstrap.host import detect
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.profiles import load_profile

    loaded = load_profile(profile)
    plan = make_plan(detect(), loaded, Overrides(target=target, strategy="native"))
    return plan.target, Path(loaded.project.path), plan.lock


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
@click.option("--python", "python", help="The target's Python version (e.g. 3.12) for the syncs.")
@click.option("--with-python", is_flag=True, help="Also carry that Python as a uv-managed install.")
@click.option("--no-tool", is_flag=True, help="Leave out the bootstrapper's own environment.")
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
    with_python: bool,
    no_tool: bool,
    uv_path: Path | None,
    uv_artifact: Path | None,
    uv_sha256: str | None,
    index_url: str,
    as_json: bool,
) -> None:
    """Build ONE bundle that lets a machine with no network set up TARGET."""
    from bootstrap.cache import pack
    from bootstrap.console import line, print_json
    from bootstrap.plan.model import LockChoice

    if uv_path is None:
        # Pack with the pinned uv: the cache's buckets are versioned by uv.
        from bootstrap.paths import Paths
        from bootstrap.uv import ensure

        uv = ensure(Paths.from_env()).path
    else:
        uv = uv_path
    pin = _pin(uv, uv_artifact, uv_sha256)
    if profile and project is None:
        target, project, lock = _profile_lock(profile, target)
        if lock_path or extras or groups:
            raise click.UsageError("--lock, --extra and --group go with --project, not --profile")
    else:
        if target is None:
            raise click.UsageError("--target is required without --profile")
        lock_path = lock_path or "uv.lock"
        kind = "pylock" if Path(lock_path).name.startswith("pylock") else "uv"
        lock = LockChoice(lock_path, kind, tuple(extras), tuple(groups))
        project = project or Path()
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
        python=python,
        managed_python=with_python,
        index_url=index_url,
    )
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "size": result.size,
                "duration": round(result.duration, 3),
                "cross_platform": result.cross_platform,
                "manifest": _manifest_dict(result.manifest),
            }
        )
        return
    line(
        f"packed {result.path} ({result.size / 1e6:.1f} MB) for {result.manifest.target} "
        f"in {result.duration:.1f}s"
    )


def _manifest_dict(manifest: Manifest) -> dict[str, object]:
    from bootstrap.cache.bundle import describe

    return describe(manifest)


@cache.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--target", help="Refuse a bundle for another target.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def verify_cmd(bundle: Path, target: str | None, as_json: bool) -> None:
    """Check every checksum in BUNDLE, its target and its uv against the pin."""
    from bootstrap.cache import verify
    from bootstrap.cache.pin import repo_pin
    from bootstrap.console import line, print_json

    verified = verify(bundle, expected_target=target, pin=repo_pin())
    m = verified.manifest
    if as_json:
        print_json({"path": str(bundle), "ok": True, "manifest": _manifest_dict(m)})
        return
    extra = " + python" if verified.has_python else ""
    line(
        f"ok: {bundle} is a bundle for {m.target} (uv {m.uv_version}{extra}, profile "
        f"{m.profile or '-'}, packed {m.created_at})"
    )


@cache.command("import")
@click.argument("bundle")
@click.option("--target", help="Refuse a bundle for another target.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="uv's cache (default: uv's own).",
)
@click.option(
    "--python-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where a bundled Python goes (default: uv's managed-Python dir).",
)
@click.option("--uv", "uv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def import_cmd(
    *,
    bundle: str,
    target: str | None,
    cache_dir: Path | None,
    python_dir: Path | None,
    uv_path: Path | None,
    as_json: bool,
) -> None:
    """Verify BUNDLE (a file, or an https URL) and merge it into uv's cache."""
    from bootstrap.cache import import_bundle, resolve_bundle
    from bootstrap.cache.pin import repo_pin
    from bootstrap.console import line, print_json
    from bootstrap.paths import Paths
    from bootstrap.sync import uv_cache_dir, uv_python_dir

    path = resolve_bundle(bundle, Paths.from_env().cache / "bundles")
    if cache_dir is None or python_dir is None:
        uv = _uv(uv_path)
        cache_dir = cache_dir or uv_cache_dir(uv)
        python_dir = python_dir or uv_python_dir(uv)
    result = import_bundle(
        path, cache_dir, python_install_dir=python_dir, expected_target=target, pin=repo_pin()
    )
    if as_json:
        print_json(
            {
                "bundle": str(path),
                "target": result.bundle.manifest.target,
                "uv_cache_dir": str(result.uv_cache_dir),
                "python_install_dir": str(result.python_install_dir or ""),
                "files": result.files,
                "duration": round(result.duration, 3),
            }
        )
        return
    line(
        f"imported {result.files} files for {result.bundle.manifest.target} into "
        f"{result.uv_cache_dir} in {result.duration:.1f}s"
    )
