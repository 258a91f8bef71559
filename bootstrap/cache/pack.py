"""Build ONE cache bundle for a target, on a machine with network.

The cache in the bundle is made from nothing: a fresh, empty uv cache directory is
filled by running the real syncs online into throw-away environments, so it holds what
those syncs need and nothing else:

* the project's lock for the target (its extras/groups, or its pylock file), and
* the bootstrapper's own lock (stage 0 runs ``uv run --frozen --project <repo>``, which
  builds this project: its build backend, hatchling, lands in the cache too).

For another platform than this one, the syncs pass ``--python-platform <triple>``: uv
then resolves and downloads the wheels of that platform (wheel-only: an sdist that would
need building on the target is refused by the offline ``--no-build`` sync there). A
uv-managed Python can only be packed for this machine's own platform.

Never ``uv cache prune --ci`` a cache meant for offline use: it drops the wheels.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc
from bootstrap.cache.bundle import Manifest, UvPin, pack_dir, sha256_file, write_bundle
from bootstrap.cache.targets import Target, host_os_arch, parse_target, uv_artifact_for
from bootstrap.errors import CommandError, IntegrityError, UserError
from bootstrap.plan.model import LockChoice

PACK_TIMEOUT = 3600.0
PYPI_SIMPLE = "https://pypi.org/simple"


@dataclass(frozen=True)
class PackResult:
    path: Path
    manifest: Manifest
    size: int
    duration: float
    cross_platform: bool


def tool_project() -> Path | None:
    """This bootstrapper's own project directory, when it runs from a checkout."""
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "uv.lock").is_file():
        return root
    return None


def pack(
    *,
    out: Path,
    uv: Path,
    target: str,
    project: Path,
    lock: LockChoice,
    pin: UvPin,
    uv_artifact: Path | None = None,
    profile: str = "",
    tool: Path | None = None,
    include_tool: bool = True,
    python: str | None = None,
    managed_python: bool = False,
    env: Mapping[str, str] | None = None,
    index_url: str = PYPI_SIMPLE,
    timeout: float = PACK_TIMEOUT,
) -> PackResult:
    """Build the bundle for ``target`` into ``out``.

    ``uv_artifact`` is the pinned uv file for the target (checked against ``pin``); without
    it the pinned file is downloaded from ``index_url`` (a PyPI-style index serving the
    uv wheels). ``python``: the Python the syncs use ("3.12"): wheels tagged for one
    CPython version only serve that version, so match the target's. ``managed_python``:
    also carry that Python as a uv-managed install (python.tar.gz).
    ``tool`` is the bootstrapper's own project (default: this checkout)."""
    start = time.monotonic()
    tgt = parse_target(target)
    cross = (tgt.os, tgt.arch) != host_os_arch()
    if managed_python and not python:
        raise UserError(
            "carrying a uv-managed Python needs its version",
            fix="pass python='3.12' (--python 3.12)",
            code="cache.python_version",
        )
    if managed_python and cross:
        raise UserError(
            f"a uv-managed Python for {tgt.key} can only be packed on a {tgt.os}-{tgt.arch} "
            "machine",
            fix=f"run `bootstrap cache pack` on a {tgt.os}-{tgt.arch} machine or CI runner",
            code="cache.cross_python",
        )
    base_env = {
        k: v
        for k, v in (os.environ if env is None else env).items()
        if k
        not in ("UV_OFFLINE", "UV_FROZEN", "UV_LOCKED", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")
    }
    _check_uv_version(uv, pin, base_env)
    if include_tool and tool is None:
        tool = tool_project()
    if include_tool and tool is None:
        raise UserError(
            "cannot find the bootstrapper's own project (pyproject.toml + uv.lock) to pack",
            fix="run from a checkout of the repository, or pass the tool project directory",
            code="cache.no_tool_project",
        )
    if not (project / lock.path).is_file():
        raise UserError(f"{project / lock.path}: lock file not found", code="cache.no_lock")

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bootstrap-pack-", dir=out.parent) as tmp:
        work = Path(tmp)
        cache = work / "cache"
        cache.mkdir()
        run_env = dict(base_env, UV_CACHE_DIR=str(cache))
        python_dir: Path | None = None
        if managed_python and python:
            python_dir = work / "python"
            run_env["UV_PYTHON_INSTALL_DIR"] = str(python_dir)
            _run([str(uv), "python", "install", python], run_env, timeout)
        artifact = uv_artifact or fetch_uv_artifact(tgt, pin, work / "uv", index_url=index_url)
        _check_artifact(artifact, pin)

        plat = ["--python-platform", tgt.uv_platform.triple] if cross else []
        py = ["--python", python] if python else []
        _sync_project(
            uv,
            project,
            lock,
            venv=work / "venv-project",
            env=run_env,
            extra=plat + py,
            timeout=timeout,
        )
        if include_tool and tool is not None:
            tool_env = dict(run_env, UV_PROJECT_ENVIRONMENT=str(work / "venv-tool"))
            argv = [str(uv), "sync", "--frozen", "--project", str(tool), *plat, *py]
            _run(argv, tool_env, timeout)

        cache_archive = work / "cache.tar.gz"
        pack_dir(cache, cache_archive)
        python_archive: Path | None = None
        if python_dir is not None:
            python_archive = work / "python.tar.gz"
            pack_dir(python_dir, python_archive)
        manifest = write_bundle(
            out,
            target=tgt.key,
            uv_version=pin.version,
            uv_artifact=artifact,
            created_at=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            profile=profile,
            cache_archive=cache_archive,
            python_archive=python_archive,
        )
    return PackResult(
        path=out,
        manifest=manifest,
        size=out.stat().st_size,
        duration=time.monotonic() - start,
        cross_platform=cross,
    )


def _sync_project(
    uv: Path,
    project: Path,
    lock: LockChoice,
    *,
    venv: Path,
    env: dict[str, str],
    extra: list[str],
    timeout: float,
) -> None:
    if lock.kind == "uv":
        argv = [str(uv), "sync", "--frozen", "--project", str(project), *extra]
        for e in lock.extras:
            argv += ["--extra", e]
        for g in lock.groups:
            argv += ["--group", g]
        _run(argv, dict(env, UV_PROJECT_ENVIRONMENT=str(venv)), timeout)
        return
    if lock.kind != "pylock":
        raise UserError(f"unknown lock kind {lock.kind!r}: expected uv or pylock")
    py = extra[extra.index("--python") + 1] if "--python" in extra else None
    _run([str(uv), "venv", str(venv), *(["--python", py] if py else [])], env, timeout)
    plat = [a for a in extra if a not in ("--python", py)]
    argv = [str(uv), "pip", "sync", "--preview-features", "pylock", "--python", str(venv)]
    _run([*argv, *plat, str(project / lock.path)], env, timeout)


def _run(argv: list[str], env: dict[str, str], timeout: float) -> None:
    res = proc.run(argv, env=env, timeout=timeout)
    if not res.ok:
        raise CommandError(f"packing failed: {res.describe()}", code="cache.pack_failed")


def _check_uv_version(uv: Path, pin: UvPin, env: Mapping[str, str]) -> None:
    # The cache's buckets are versioned by uv: pack with the pinned uv, or the target's uv
    # may not read what we packed.
    res = proc.run([str(uv), "--version"], env=env, timeout=30)
    words = res.stdout.split()
    found = words[1] if res.ok and len(words) > 1 else None
    if found != pin.version:
        raise UserError(
            f"packing needs the pinned uv {pin.version}, {uv} is {found or 'not runnable'}",
            fix="run `bootstrap uv install` and pack with that uv",
            code="cache.uv_version",
        )


def _check_artifact(path: Path, pin: UvPin) -> None:
    pinned = pin.sha256.get(path.name)
    if pinned is None:
        raise UserError(
            f"{path.name} is not an artifact of the pinned uv {pin.version}",
            fix="pass the pinned uv file for the target",
            code="cache.uv_unpinned",
        )
    got = sha256_file(path)
    if got != pinned.lower():
        raise IntegrityError(
            f"{path}: sha256 {got} does not match the pinned {pinned}",
            code="cache.uv_checksum",
        )


def fetch_uv_artifact(target: Target, pin: UvPin, dest: Path, *, index_url: str) -> Path:
    """Download the pinned uv wheel for ``target`` from a PyPI-style index (JSON simple
    API, PEP 691) and check it against the pin (never against the index's own hash)."""
    from bootstrap.net import check_url, client

    name = uv_artifact_for(target, pin.version, list(pin.sha256))
    if name is None or not name.endswith(".whl"):
        raise UserError(
            f"the pin for uv {pin.version} has no wheel for {target.os}-{target.arch}",
            fix="pass the uv artifact file for the target explicitly",
            code="cache.no_uv_artifact",
        )
    page = index_url.rstrip("/") + "/uv/"
    check_url(page)
    with client() as http:
        resp = http.get(page, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        if resp.status_code != 200:
            raise UserError(f"{page}: HTTP {resp.status_code}", code="cache.uv_index")
        files = {f["filename"]: f["url"] for f in resp.json().get("files", [])}
        if name not in files:
            raise UserError(f"{page} does not list {name}", code="cache.uv_index")
        url = str(resp.url.join(files[name]))
        check_url(url)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / name
        with http.stream("GET", url, follow_redirects=False) as r:
            if r.status_code != 200:
                raise UserError(f"{url}: HTTP {r.status_code}", code="cache.uv_download")
            with path.open("wb") as fh:
                for chunk in r.iter_bytes(1 << 20):
                    fh.write(chunk)
    _check_artifact(path, pin)
    return path
