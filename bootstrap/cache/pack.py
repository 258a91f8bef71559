"""Build ONE cache bundle for a target, on a machine with network.

A bundle carries distribution files, never a copy of uv's cache: what the target's
offline sync installs, and nothing else.

1. uv decides what the target needs: the real syncs run online, into throw-away
   environments and a throw-away cache, for each Python the bundle serves:
   * the project's lock with the plan's selection of extras and groups (``uv sync --frozen
     --no-install-project``, or ``uv pip sync`` of a pylock file), and
   * the bootstrapper's own *runtime* closure (``uv sync --frozen --no-dev
     --no-install-project``: never its dev group, and nothing to build).
   * the profile's pinned ``[tools]`` from their repository lock, ``pylock.tools.toml``
     (``uv pip sync`` into one more throw-away environment).
2. Each installed distribution is mapped to the file its lock names (by name, version
   and the wheel tags in its ``.dist-info/WHEEL``), and that file is downloaded from the
   URL in the lock and checked against the lock's SHA-256.

For another platform than this one, the syncs pass ``--python-platform <triple>``, so uv
picks that platform's wheels.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import proc
from bootstrap.cache.bundle import UV_DIR, WHEELS_DIR, Manifest, UvPin, write_bundle
from bootstrap.cache.locks import LockedFile, locked_files
from bootstrap.cache.targets import Target, host_os_arch, parse_target, uv_artifact_for
from bootstrap.cache.where import tool_project
from bootstrap.errors import CommandError, DownloadFailed, IntegrityError, UserError
from bootstrap.files import sha256_file
from bootstrap.plan.model import LockChoice
from bootstrap.platforms import dist_file

PACK_TIMEOUT = 3600.0
PYPI_SIMPLE = "https://pypi.org/simple"


@dataclass(frozen=True)
class Part:
    name: str  # tool (the bootstrapper), project, tools (the profile's [tools]), uv
    files: tuple[str, ...]
    size: int  # bytes


@dataclass(frozen=True)
class PackResult:
    path: Path
    manifest: Manifest
    size: int
    duration: float
    cross_platform: bool
    parts: tuple[Part, ...] = field(default=())


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
    tools_lock: Path | None = None,
    pythons: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    index_url: str = PYPI_SIMPLE,
    timeout: float = PACK_TIMEOUT,
    python_downloads: bool = False,
    interpreter: tuple[str, Path] | None = None,
    self_wheel: Path | None = None,
) -> PackResult:
    """Build the bundle for ``target`` into ``out``.

    ``uv_artifact`` is the pinned uv file for the target (checked against ``pin``); without
    it the pinned file is downloaded from ``index_url``. ``pythons``: the Python versions
    ("3.11", "3.12") the wheels must serve (default: the one uv finds); wheels tagged for
    one CPython version serve only that version. ``tool`` is the bootstrapper's own
    project (default: this checkout). uv may download a Python only with
    ``python_downloads`` (the Pythons the bundle serves are otherwise the machine's).

    A project that uv.lock builds (a package, workspace members) needs its build backend
    offline: the wheels ``pylock.build.toml`` pins go in as the part ``build``.
    ``interpreter``: (``python/<file>``, the pinned archive, already checked against the
    Python pin) to carry as well. ``self_wheel``: the bootstrapper's released wheel, for a
    team's repository whose stage 0 installs it from the bundle (checked against the
    pin's ``self`` line)."""
    try:
        return _pack(
            out=out,
            uv=uv,
            target=target,
            project=project,
            lock=lock,
            pin=pin,
            uv_artifact=uv_artifact,
            profile=profile,
            tool=tool,
            include_tool=include_tool,
            tools_lock=tools_lock,
            pythons=pythons,
            env=env,
            index_url=index_url,
            timeout=timeout,
            python_downloads=python_downloads,
            interpreter=interpreter,
            self_wheel=self_wheel,
        )
    except httpx_errors() as exc:
        raise DownloadFailed(
            f"packing needs the network, and a download failed: {exc}",
            fix="pack on a machine that reaches the index (check HTTPS_PROXY), or pass the "
            "uv artifact with --uv-artifact FILE",
            code="net.unreachable",
        ) from exc


def httpx_errors() -> tuple[type[BaseException], ...]:
    import httpx

    return (httpx.TransportError,)


def _pack(
    *,
    out: Path,
    uv: Path,
    target: str,
    project: Path,
    lock: LockChoice,
    pin: UvPin,
    uv_artifact: Path | None,
    profile: str,
    tool: Path | None,
    include_tool: bool,
    tools_lock: Path | None,
    pythons: Sequence[str],
    env: Mapping[str, str] | None,
    index_url: str,
    timeout: float,
    python_downloads: bool,
    interpreter: tuple[str, Path] | None,
    self_wheel: Path | None = None,
) -> PackResult:
    start = time.monotonic()
    tgt = parse_target(target)
    cross = (tgt.os, tgt.arch) != host_os_arch()
    base_env = {
        k: v
        for k, v in (os.environ if env is None else env).items()
        if k
        not in ("UV_OFFLINE", "UV_FROZEN", "UV_LOCKED", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")
    }
    if not python_downloads:
        # The Pythons a bundle serves are this machine's: a missing one is said as such,
        # not as a failed download of a Python nobody asked for.
        base_env["UV_PYTHON_DOWNLOADS"] = "never"
    _check_uv_version(uv, pin, base_env)
    if self_wheel is not None:
        _check_self_wheel(self_wheel, pin)
    if include_tool and tool is None:
        tool = tool_project()
    if include_tool and tool is None:
        raise UserError(
            "cannot find the bootstrapper's own project (pyproject.toml + uv.lock) to pack",
            fix="run from a checkout of the repository, or pass the tool project directory",
            code="cache.no_tool_project",
        )
    lock_file = project / lock.path
    if not lock_file.is_file():
        raise UserError(f"{lock_file}: lock file not found", code="cache.no_lock")
    from bootstrap.cache.locks import build_lock_required as required
    from bootstrap.cache.locks import local_packages

    # The packages uv.lock builds need their build backend offline: pylock.build.toml
    # pins it (checked after uv has synced the project, so that uv speaks first).
    builds = lock.kind == "uv" and bool(local_packages(project, lock_file))
    build_lock = None

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bootstrap-pack-", dir=out.parent) as tmp:
        work = Path(tmp)
        run_env = dict(base_env, UV_CACHE_DIR=str(work / "cache"))
        artifact = uv_artifact or fetch_uv_artifact(tgt, pin, work / "uv", index_url=index_url)
        _check_artifact(artifact, pin)

        plat = ["--python-platform", tgt.uv_platform.triple] if cross else []
        wanted: dict[str, dict[str, LockedFile]] = {"tool": {}, "project": {}}
        if tools_lock is not None:
            wanted["tools"] = {}
        served: list[str] = []
        for n, py in enumerate(pythons or [None]):
            pyargs = ["--python", py] if py else []
            venv = work / f"venv-project-{n}"
            _sync_project(
                uv, project, lock, venv=venv, env=run_env, extra=plat + pyargs, timeout=timeout
            )
            served.append(_venv_python_version(venv))
            for f in _lock_files_for(venv, lock_file):
                wanted["project"][f.name] = f
            if builds and build_lock is None:
                build_lock = required(project, lock_file)
                wanted["build"] = {}
            if include_tool and tool is not None:
                tvenv = work / f"venv-tool-{n}"
                argv = [str(uv), "sync", "--frozen", "--no-dev", "--no-install-project"]
                argv += ["--project", str(tool), *plat, *pyargs]
                _run(argv, dict(run_env, UV_PROJECT_ENVIRONMENT=str(tvenv)), timeout)
                for f in _lock_files_for(tvenv, tool / "uv.lock"):
                    wanted["tool"][f.name] = f
            if build_lock is not None:
                # What building the project needs here: the build lock's selection for
                # this Python and platform, as uv installs it.
                bvenv = work / f"venv-build-{n}"
                _sync_project(
                    uv,
                    build_lock.parent,
                    LockChoice(build_lock.name, "pylock", (), ()),
                    venv=bvenv,
                    env=run_env,
                    extra=plat + pyargs,
                    timeout=timeout,
                )
                for f in _lock_files_for(bvenv, build_lock):
                    wanted["build"][f.name] = f
            if tools_lock is not None:
                xvenv = work / f"venv-tools-{n}"
                tools = LockChoice(tools_lock.name, "pylock", (), ())
                _sync_project(
                    uv,
                    tools_lock.parent,
                    tools,
                    venv=xvenv,
                    env=run_env,
                    extra=plat + pyargs,
                    timeout=timeout,
                )
                for f in _lock_files_for(xvenv, tools_lock):
                    wanted["tools"][f.name] = f

        wheels_dir = work / "wheels"
        files: dict[str, Path] = {f"{UV_DIR}/{artifact.name}": artifact}
        every = {k: v for found in wanted.values() for k, v in found.items()}
        for name in sorted(every):
            files[f"{WHEELS_DIR}/{name}"] = download_locked(every[name], wheels_dir)
        if interpreter is not None:
            files[interpreter[0]] = interpreter[1]
        names = {part: sorted(found) for part, found in wanted.items()}
        if self_wheel is not None:
            files[f"{WHEELS_DIR}/{self_wheel.name}"] = self_wheel
            names["self"] = [self_wheel.name]
        manifest = write_bundle(
            out,
            Manifest(
                target=tgt.key,
                uv_version=pin.version,
                uv_artifact=f"{UV_DIR}/{artifact.name}",
                created_at=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                profile=profile,
                pythons=tuple(dict.fromkeys(served)),
                project_lock=lock.path,
                extras=tuple(lock.extras),
                groups=tuple(lock.groups),
                parts=names,
            ),
            files,
        )
        parts = [
            Part(
                part,
                tuple(sorted(found)),
                sum(files[f"{WHEELS_DIR}/{n}"].stat().st_size for n in found),
            )
            for part, found in wanted.items()
        ]
        parts.append(Part("uv", (artifact.name,), artifact.stat().st_size))
        if self_wheel is not None:
            parts.append(Part("self", (self_wheel.name,), self_wheel.stat().st_size))
        if interpreter is not None:
            name, archive = interpreter
            parts.append(Part("python", (name.split("/", 1)[1],), archive.stat().st_size))
    return PackResult(
        path=out,
        manifest=manifest,
        size=out.stat().st_size,
        duration=time.monotonic() - start,
        cross_platform=cross,
        parts=tuple(parts),
    )


def _check_self_wheel(wheel: Path, pin: UvPin) -> None:
    """The bootstrapper's wheel must be the one the pin's ``self`` line names, byte for byte."""
    from bootstrap.cache.bundle import sha256_file

    pinned = pin.self_wheels.get(wheel.name)
    if pinned is None:
        raise UserError(
            f"{wheel.name} is not the bootstrapper the pin names "
            f"({', '.join(pin.self_wheels) or 'the pin has no self line'})",
            fix="pin it with `bootstrap release` (in the bootstrapper's checkout), or pass "
            "the wheel the pin names",
            code="cache.self_unpinned",
        )
    got = sha256_file(wheel)
    if got != pinned:
        raise UserError(
            f"{wheel}: sha256 {got}, the pin's self line says {pinned}",
            fix="pass the released wheel the pin names",
            code="cache.self_checksum",
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
        argv = [str(uv), "sync", "--frozen", "--no-install-project", "--project", str(project)]
        argv += [*extra, *lock.uv_flags()]
        _run(argv, dict(env, UV_PROJECT_ENVIRONMENT=str(venv)), timeout)
        return
    if lock.kind != "pylock":
        raise UserError(f"unknown lock kind {lock.kind!r}: expected uv or pylock")
    py = extra[extra.index("--python") + 1] if "--python" in extra else None
    _run([str(uv), "venv", str(venv), *(["--python", py] if py else [])], env, timeout)
    plat = [a for a in extra if a not in ("--python", py)]
    argv = [str(uv), "pip", "sync", "--preview-features", "pylock", "--python", str(venv)]
    _run([*argv, *plat, str(project / lock.path)], env, timeout)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _site_packages(venv: Path) -> list[Path]:
    found = [p for p in venv.glob("lib/python*/site-packages") if p.is_dir()]
    return found + [p for p in [venv / "Lib" / "site-packages"] if p.is_dir()]


def _venv_python_version(venv: Path) -> str:
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version_info", "version"):
            return ".".join(value.strip().split(".")[:2])
    raise CommandError(f"{venv}/pyvenv.cfg names no Python version", code="cache.pack_failed")


def _installed(venv: Path) -> list[tuple[str, str, frozenset[str]]]:
    """(normalized name, version, wheel tags) of every distribution in ``venv``."""
    from packaging.tags import parse_tag

    out = []
    for site in _site_packages(venv):
        for info in sorted(site.glob("*.dist-info")):
            meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
            name = re.search(r"(?m)^Name:\s*(\S+)", meta)
            version = re.search(r"(?m)^Version:\s*(\S+)", meta)
            wheel = info / "WHEEL"
            tags = re.findall(r"(?m)^Tag:\s*(\S+)", wheel.read_text()) if wheel.is_file() else []
            if name and version:
                # Some wheels write compressed tags (py3-none-a.b) in WHEEL: expand them
                # as a file name's are.
                expanded = frozenset(str(t) for tag in tags for t in parse_tag(tag))
                out.append((_norm(name.group(1)), version.group(1), expanded))
    return out


def wheel_tags(file_name: str) -> frozenset[str]:
    """The expanded tags of a wheel file name (``py2.py3-none-any`` -> two tags)."""
    dist = dist_file(file_name)
    return frozenset(str(t) for t in dist.tags) if dist else frozenset()


def _lock_files_for(venv: Path, lock_file: Path) -> list[LockedFile]:
    """The lock's file for each distribution uv installed into ``venv``: the wheel with
    the installed tags, or the sdist when the lock has no wheel for it."""
    by_pkg: dict[tuple[str, str], list[LockedFile]] = {}
    for f in locked_files(lock_file):
        by_pkg.setdefault((_norm(f.package), f.version), []).append(f)
    unhashed = _unhashed(lock_file)
    chosen: list[LockedFile] = []
    for name, version, tags in _installed(venv):
        candidates = by_pkg.get((name, version))
        if not candidates and (name, version) in unhashed:
            raise UserError(
                f"{lock_file}: {name}=={version} is locked by path without a hash "
                f"({unhashed[(name, version)]}): no lock vouches for its bytes, so no bundle "
                "can carry it and an offline sync would refuse it",
                fix="serve that directory as a find-links page whose links carry "
                '#sha256=<hex> (uv then locks the URL and the hash; docs/cache.md, "A wheel '
                'from a local directory"), run `uv lock`, then pack again',
                code="cache.unhashed_path",
            )
        if not candidates:
            continue  # the project itself, or a path dependency: nothing to download
        wheels = [f for f in candidates if f.name.endswith(".whl")]
        exact = [f for f in wheels if wheel_tags(f.name) == tags]
        overlap = [f for f in wheels if wheel_tags(f.name) & tags]
        sdists = [f for f in candidates if not f.name.endswith(".whl")]
        pick = exact or overlap or ([] if wheels else sdists)
        if not pick:
            raise IntegrityError(
                f"{lock_file}: no file for {name}=={version} with the tags uv installed "
                f"({', '.join(sorted(tags)) or 'none'})",
                code="cache.no_locked_file",
            )
        chosen.append(pick[0])
    return chosen


def _unhashed(lock_file: Path) -> dict[tuple[str, str], str]:
    """(name, version) -> path of each package whose lock entry names a file by path with
    no hash (a wheel uv found through ``--find-links DIR``)."""
    from bootstrap.cache.locks import _toml

    out: dict[tuple[str, str], str] = {}
    data = _toml(lock_file)
    for pkg in data.get("package", data.get("packages", [])):
        if not isinstance(pkg, dict):
            continue
        files = [f for f in pkg.get("wheels") or [] if isinstance(f, dict)]
        if isinstance(pkg.get("sdist"), dict):
            files.append(pkg["sdist"])
        for f in files:
            if "path" in f and not f.get("hash") and not f.get("hashes"):
                out[(_norm(str(pkg.get("name"))), str(pkg.get("version")))] = str(f["path"])
    return out


def download_locked(f: LockedFile, dest: Path) -> Path:
    """Download ``f`` from the URL its lock names and check it against the lock's hash."""
    from bootstrap.net import check_url, client

    url = _lock_url(f)
    check_url(url)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f.name
    if path.is_file() and sha256_file(path) == f.sha256:
        return path
    with client(timeout=120.0) as http, http.stream("GET", url) as r:
        if r.status_code != 200:
            raise CommandError(f"{url}: HTTP {r.status_code}", code="cache.download")
        with path.open("wb") as fh:
            for chunk in r.iter_bytes(1 << 20):
                fh.write(chunk)
    got = sha256_file(path)
    if got != f.sha256:
        path.unlink()
        raise IntegrityError(
            f"{url}: sha256 {got} does not match {f.lock} ({f.sha256})", code="cache.download"
        )
    return path


def _lock_url(f: LockedFile) -> str:
    from bootstrap.cache.locks import _toml

    data = _toml(f.lock)
    for pkg in data.get("package", data.get("packages", [])):
        files = list(pkg.get("wheels") or [])
        if isinstance(pkg.get("sdist"), dict):
            files.append(pkg["sdist"])
        for entry in files:
            url = entry.get("url")
            if isinstance(url, str) and url.rsplit("/", 1)[-1].split("#")[0] in (
                f.name,
                f.name.replace("+", "%2B"),
            ):
                return url
    raise UserError(f"{f.lock}: {f.name} has no URL to download it from", code="cache.no_url")


def _run(argv: list[str], env: dict[str, str], timeout: float) -> None:
    from bootstrap import tls

    res = proc.run(argv, env=env, timeout=timeout)
    if res.ok:
        return
    said = proc.error_causes(res.stderr) if res.returncode is not None else res.describe()
    command = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv[:3]))
    no_python = ("No interpreter found", "Failed to inspect Python interpreter")
    if "--python" in argv and any(sign in res.stderr for sign in no_python):
        wanted = argv[argv.index("--python") + 1] if "--python" in argv else "the project's"
        raise UserError(
            f"packing needs Python {wanted} on this machine (the bundle's wheels serve the "
            f"Pythons it has); uv says: {said}",
            fix="install that Python (or `uv python install X.Y`), or pass --python-downloads "
            "to let uv download one while packing",
            code="cache.no_python",
        )
    problem = tls.classify(res.stderr)
    if problem is not None:
        raise DownloadFailed(
            f"packing needs the index, and `{command}` could not reach it: {said}",
            fix="pack on a machine that reaches the index (check HTTPS_PROXY; behind a "
            "TLS-inspecting proxy set UV_SYSTEM_CERTS=1)",
            code="net.tls" if problem == "tls" else "net.unreachable",
        )
    raise CommandError(f"packing failed: `{command} ...`: {said}", code="cache.pack_failed")


def _check_uv_version(uv: Path, pin: UvPin, env: Mapping[str, str]) -> None:
    # Pack with the pinned uv: the syncs that decide what the target needs are uv's.
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
