"""Install a project's locked environment from uv's cache, offline unless told otherwise.

Two kinds of lock (see bootstrap.plan.model.LockChoice):

* ``uv``: ``uv sync --frozen --offline --no-build`` with the chosen extras and groups
  (every selection flag of :meth:`LockChoice.uv_flags`),
  into the project's ``.venv`` (or ``venv`` / ``UV_PROJECT_ENVIRONMENT``). ``--frozen``
  means uv.lock is read, never rewritten.
* ``pylock`` (PEP 751): ``uv venv`` then ``uv pip sync --offline <pylock>`` (uv reads
  pylock files since 0.6.15; 0.13 still calls it a preview and warns, so we opt in with
  ``--preview-features pylock``).

uv's arguments come from one builder, :func:`bootstrap.plan.specs.sync_argv`: a plan's
sync step carries them and :func:`sync` runs them as they are, adding only where
(``--project``, ``--python``); the check, the listing of a miss and the callers without
a plan build theirs with the same function.

Why a failed offline sync leaves nothing half-done: uv prepares (downloads, unpacks)
every distribution before it installs any, so a cache miss fails before the environment
is touched; ``tests/cache/test_sync.py`` checks this. A sync killed while installing can
leave a partial environment; the next run's :func:`is_synced` sees it (``uv sync
--check`` compares the environment with the lock) and syncs again, which repairs it.

The *synced marker* (:data:`MARKER`, a small file inside the environment) is removed
before a sync starts and written after it succeeds, so a sync killed at any moment (kill
-9 included) leaves no marker: the no-op shortcut of the next ``up`` counts the marker
among its inputs and runs the full check instead of saying "up to date".

Before either, :func:`ensure_lock_current` asks uv whether ``uv.lock`` still satisfies
``pyproject.toml`` (``uv lock --check --offline``: a lock that validates costs no
resolution): a dependency added without ``uv lock`` is refused with uv's message, never
synced from the stale lock.

On a miss, uv names only the first distribution it could not find. :func:`sync` then
asks uv again, excluding what it already knows is missing, until uv is satisfied, so the
error lists every missing ``name==version``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import proc
from bootstrap.errors import (
    BootstrapError,
    CommandError,
    DownloadFailed,
    IntegrityError,
    OfflineMiss,
    UserError,
)
from bootstrap.plan.model import LockChoice
from bootstrap.plan.specs import WHEELHOUSE, sync_argv
from bootstrap.platforms import dist_file, normalize_version

SYNC_TIMEOUT = 3600.0
CHECK_TIMEOUT = 60.0
_PROBE_LIMIT = 40  # uv runs spent listing what is missing, at most
_PROBE_SECONDS = 60.0

# uv 0.13's messages for "offline and not in the cache".
_MISS_PATTERNS = (
    re.compile(r"Failed to download(?: and build)? `([^`]+)`"),
    re.compile(r"Failed to fetch `([^`]+)`"),
)
# "Failed to build `proj @ file:///...`" because its build backend is not cached: the
# project is not missing, its build requirement is.
_BUILDING = re.compile(r"Failed to build `([^`]+)`")
_OFFLINE_CAUSES = (
    "Network connectivity is disabled",
    "was not found in the cache",
    "not found in the cache",
)
_NOT_CACHED = re.compile(r"Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the cache")
# `uv lock --check --offline` on a stale lock: uv says so online, and offline it fails
# trying to resolve the new requirements.
_STALE_LOCK = ("needs to be updated", "No solution found", "network was disabled")
# Inside the environment: present only after a sync that finished (see the docstring).
MARKER = ".bootstrap-synced"
_INSTALLED = re.compile(r"^ \+ (\S+)", re.MULTILINE)
_REMOVED = re.compile(r"^ - (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class SyncResult:
    venv: Path
    duration: float
    network_used: bool
    cache_hit: bool  # everything came from the cache (no download was needed)
    installed: int  # distributions installed or replaced by this sync
    removed: int
    already_synced: bool = False
    warnings: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    source: str = ""  # where the distributions came from: index, uv's cache, wheelhouse

    def to_dict(self) -> dict[str, object]:
        return {
            "venv": str(self.venv),
            "duration": round(self.duration, 3),
            "network_used": self.network_used,
            "cache_hit": self.cache_hit,
            "installed": self.installed,
            "removed": self.removed,
            "already_synced": self.already_synced,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _Job:
    uv: Path
    project: Path
    lock: LockChoice
    venv: Path
    env: dict[str, str]
    python: str | None
    extra_args: tuple[str, ...] = field(default=())

    @property
    def lock_path(self) -> Path:
        return self.project / self.lock.path


def venv_path(
    project: Path, venv: Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """Where the environment goes: ``venv``, else UV_PROJECT_ENVIRONMENT, else .venv."""
    if venv is not None:
        return venv
    e = os.environ if env is None else env
    configured = e.get("UV_PROJECT_ENVIRONMENT")
    if configured:
        p = Path(configured)
        return p if p.is_absolute() else project / p
    return project / ".venv"


def _job(
    uv: Path,
    project: Path,
    lock: LockChoice,
    *,
    venv: Path | None,
    env: Mapping[str, str] | None,
    python: str | None,
) -> _Job:
    if lock.kind not in ("uv", "pylock"):
        raise UserError(f"unknown lock kind {lock.kind!r} for {lock.path}: expected uv or pylock")
    full_env = dict(os.environ if env is None else env)
    target = venv_path(project, venv, full_env)
    if lock.kind == "uv":
        full_env["UV_PROJECT_ENVIRONMENT"] = str(target)
    job = _Job(Path(uv), project, lock, target, full_env, python)
    if not job.lock_path.is_file():
        raise UserError(
            f"{job.lock_path}: lock file not found",
            fix="check the profile's lock path, or run `uv lock` in the project and commit it",
            code="sync.no_lock",
        )
    return job


def _command(job: _Job, argv: Sequence[str], *, source: Path | None = None) -> list[str]:
    """``uv`` + ``argv`` (a plan's :attr:`Sync.argv`, built by :func:`sync_argv`), plus
    where it runs: ``--project`` and the requested ``--python`` for ``uv sync``; for
    ``uv pip`` the environment's interpreter, and ``source`` (a file standing for the
    lock: the exported pins, a reduced lock) in place of the last argument."""
    uv = str(job.uv)
    if argv[0] == "sync":
        python = ["--python", job.python] if job.python else []
        return [uv, *argv, "--project", str(job.project), *python]
    *head, last = argv
    return [uv, *head, "--python", str(_venv_python(job.venv)), str(source or last)]


def _check_argv(job: _Job) -> list[str]:
    """The offline check that the environment matches the lock: the plan's sync with
    ``--check`` (uv lock) or ``--dry-run`` (pylock)."""
    argv = sync_argv(job.lock, "offline")
    if argv[0] == "sync":
        return _command(job, [*argv, "--check"])
    return _command(job, [*argv[:-1], "--dry-run", argv[-1]])


def _venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def is_synced(
    uv: Path,
    project: Path,
    lock: LockChoice,
    *,
    venv: Path | None = None,
    env: Mapping[str, str] | None = None,
    python: str | None = None,
) -> bool:
    """The cheap "already done?" check: does the environment match the lock exactly?

    No network, no install: ``uv sync --frozen --offline --check`` (uv lock) or
    ``uv pip sync --dry-run --offline`` (pylock). About 20 ms on a warm machine.
    Changes nothing. Raises UserError when uv.lock no longer satisfies pyproject.toml."""
    job = _job(uv, project, lock, venv=venv, env=env, python=python)
    ensure_lock_current(job)
    if not _venv_python(job.venv).exists():
        return False
    res = proc.run(_check_argv(job), env=job.env, cwd=project, timeout=CHECK_TIMEOUT)
    return res.ok and (lock.kind == "uv" or "Would make no changes" in res.stderr)


def sync_changes(
    uv: Path,
    project: Path,
    lock: LockChoice,
    *,
    venv: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """What a sync to ``lock`` would change in the environment, as uv lists it (``-
    name==version`` removed, ``+ name==version`` installed); offline and read-only like
    :func:`is_synced` (the same command), for a message that names the drift."""
    job = _job(uv, project, lock, venv=venv, env=env, python=None)
    res = proc.run(_check_argv(job), env=job.env, cwd=project, timeout=CHECK_TIMEOUT)
    return tuple(m.group(0).strip() for m in _CHANGE.finditer(res.stderr))


_CHANGE = re.compile(r"^ [-+] \S+", re.MULTILINE)


def mark_synced(venv: Path, lock: LockChoice) -> None:
    """Give an environment that uv found matching the lock its synced marker, when it
    has none (synced by an older version of this tool). `up` calls it after its steps;
    :func:`is_synced` itself changes nothing (`bootstrap doctor` relies on that)."""
    if venv.is_dir() and not (venv / MARKER).is_file():
        _write_marker_at(venv, lock)


def ensure_lock_current(job: _Job) -> None:
    """Refuse a uv.lock that no longer satisfies pyproject.toml (a dependency added or
    changed without ``uv lock``), with uv's own message and the fix. ``--offline``: a
    lock that validates needs no resolution; one that does not makes uv try to resolve,
    which fails offline as well, so any failure means the lock is stale."""
    if job.lock.kind != "uv":
        return  # a pylock file is the whole truth; nothing to compare it with
    # Once per run and pair of files (the check before a sync, then the sync itself).
    seen = (str(job.lock_path), _stamp(job.lock_path), _stamp(job.project / "pyproject.toml"))
    if seen in _CURRENT:
        return
    argv = [str(job.uv), "lock", "--check", "--offline", "--project", str(job.project)]
    if job.python:
        argv += ["--python", job.python]
    res = proc.run(argv, env=job.env, cwd=job.project, timeout=CHECK_TIMEOUT)
    if res.ok:
        _CURRENT.add(seen)
        return
    if not any(sign in res.stderr for sign in _STALE_LOCK):
        return  # another problem (no Python, ...) that the sync reports itself
    said = [
        line.strip()
        for line in res.stderr.splitlines()
        if line.strip() and not line.startswith("Using ") and not line.startswith("Resolved ")
    ]
    raise UserError(
        f"{job.lock_path} no longer satisfies {job.project / 'pyproject.toml'} (changed "
        f"without re-locking); uv lock --check says: {' | '.join(said[:4]) or res.describe()}",
        fix=f"run `uv lock` in {shlex.quote(str(job.project))} (it needs the index) and "
        "commit uv.lock, "
        "then run again",
        code="sync.lock_outdated",
    )


_CURRENT: set[tuple[str, str, str]] = set()


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "absent"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _write_marker(job: _Job) -> None:
    _write_marker_at(job.venv, job.lock)


def _write_marker_at(venv: Path, lock: LockChoice) -> None:
    from bootstrap.paths import atomic_write

    body = f"{lock.path}\n{'.'.join(lock.extras)}\n{'.'.join(lock.groups)}\n"
    atomic_write(venv / MARKER, (body + f"{time.time():.6f}\n").encode())


def _clear_marker(job: _Job) -> None:
    import contextlib

    with contextlib.suppress(FileNotFoundError):
        (job.venv / MARKER).unlink()


def sync(
    uv: Path,
    project: Path,
    lock: LockChoice,
    *,
    online: bool = False,
    venv: Path | None = None,
    env: Mapping[str, str] | None = None,
    python: str | None = None,
    uv_cache_dir: Path | None = None,
    timeout: float = SYNC_TIMEOUT,
    find_links: Path | None = None,
    argv: Sequence[str] | None = None,
) -> SyncResult:
    """Make the environment match ``lock``: offline from the cache, or, with
    ``online=True``, from the configured index (``network_used`` records it).

    ``find_links``: a wheelhouse (the distribution files of imported cache bundles, each
    checked against a lock). Offline, the environment is then installed from it alone:
    the lock's pins and hashes as a hashed requirements file (``uv export``, or the
    pylock's own), ``uv pip sync --offline --no-index --find-links DIR --require-hashes``.

    ``argv``: uv's arguments as a plan's sync step carries them (its ``argv`` or
    ``fallback_argv``); they then decide, instead of ``online``, whether the sync is
    offline and whether it installs from the wheelhouse (``find_links``, which it then
    needs). Without it they are built from ``lock``, ``online`` and ``find_links`` by the
    same function the planner uses.

    Raises OfflineMiss naming every missing ``name==version`` when offline and the cache
    lacks something; CommandError for other uv failures. uv.lock is never rewritten."""
    if argv is None:
        network = "online" if online else "offline"
        argv = sync_argv(lock, network, wheelhouse=find_links is not None)
    args = tuple(argv)
    online = "--offline" not in args
    house = find_links if WHEELHOUSE in args else None
    if WHEELHOUSE in args and house is None:
        raise UserError(
            "the plan syncs from the wheelhouse an imported cache bundle fills, and this "
            "machine has none",
            fix="import a cache bundle (`bootstrap up --cache-bundle FILE`), or run again "
            "(the plan then syncs from uv's cache)",
            code="sync.no_wheelhouse",
        )
    env_map = dict(os.environ if env is None else env)
    if uv_cache_dir is not None:
        env_map["UV_CACHE_DIR"] = str(uv_cache_dir)
    job = _job(uv, project, lock, venv=venv, env=env_map, python=python)
    ensure_lock_current(job)
    warnings = cache_warnings(job)
    # From here until the sync has finished, the environment is not to be trusted.
    _clear_marker(job)
    start = time.monotonic()
    offline = not online

    def attempt() -> proc.Result:
        if house is not None:
            return _wheelhouse_sync(job, house, args, timeout=timeout)
        if args[0] == "sync":
            return proc.run(_command(job, args), env=job.env, cwd=project, timeout=timeout)
        return _pylock_sync(job, args, timeout=timeout)

    res = attempt()
    if not res.ok and online:
        res = _online_failure(job, res, attempt, warnings)
    ran = list(res.argv)
    if not res.ok:
        if house is not None and _HASH_MISMATCH.search(res.stderr):
            raise _poisoned(job, house, res.stderr)
        if house is not None and _WHEELHOUSE_MISS in res.stderr:
            raise _offline_miss(job, _wheelhouse_missing(job, house, res.stderr))
        if offline and _is_offline_miss(res.stderr):
            missing = _missing(job, res.stderr)
            raise _offline_miss(job, missing)
        raise CommandError(res.describe(), code="sync.failed")
    _write_marker(job)
    out = res.stderr + res.stdout
    installed = len(_INSTALLED.findall(out))
    return SyncResult(
        venv=job.venv,
        duration=time.monotonic() - start,
        network_used=online,
        # uv reports "Prepared N packages" only when it had to fetch or build something.
        cache_hit=offline or "Prepared " not in out,
        installed=installed,
        removed=len(_REMOVED.findall(out)),
        already_synced=installed == 0 and not _REMOVED.search(out),
        warnings=tuple(warnings),
        command=tuple(ran),
        source="the index" if online else "the wheelhouse" if house is not None else "uv's cache",
    )


def _online_failure(
    job: _Job, res: proc.Result, attempt: Callable[[], proc.Result], warnings: list[str]
) -> proc.Result:
    """An online uv run failed. A certificate uv's built-in roots reject but the system
    store (what curl and install.sh trust) accepts: retry once with UV_SYSTEM_CERTS=1,
    kept for every later uv call of this run, and say so. A failure that is still the
    network's or TLS's: DownloadFailed (exit 10), never "bad input"."""
    from bootstrap import tls

    problem = tls.classify(res.stderr)
    if problem == "tls" and not tls.enabled(job.env):
        from bootstrap.net import system_store_trusts

        url = tls.failing_url(res.stderr)
        if url and system_store_trusts(url):
            tls.enable(job.env)
            tls.enable(os.environ)
            why = "uv's built-in roots reject the index's certificate, the system's store does not"
            warnings.append(tls.note(why))
            res = attempt()
            problem = None if res.ok else tls.classify(res.stderr)
    if res.ok or problem is None:
        return res
    said = [ln.strip() for ln in res.stderr.splitlines() if ln.strip()][-3:]
    if problem == "tls":
        raise DownloadFailed(
            f"uv could not verify the index's TLS certificate: {' | '.join(said)}",
            fix="if your organisation inspects TLS, put its CA in the system's certificate "
            "store (then `bootstrap up` uses it), or set [sync] system_certs = true in the "
            "profile; else check the index URL",
            code="net.tls",
        )
    raise DownloadFailed(
        f"uv could not reach the index: {' | '.join(said)}",
        fix="check the network (and HTTPS_PROXY), or run offline with a cache bundle: "
        "`bootstrap up --cache-bundle FILE`",
        code="net.unreachable",
    )


def _pylock_sync(job: _Job, argv: Sequence[str], *, timeout: float) -> proc.Result:
    if not _venv_python(job.venv).exists():
        made = _make_venv(job, job.venv, offline="--offline" in argv)
        if not made.ok:
            raise CommandError(made.describe(), code="sync.venv_failed")
    return proc.run(_command(job, argv), env=job.env, cwd=job.project, timeout=timeout)


def _make_venv(job: _Job, venv: Path, *, offline: bool, timeout: float = 300) -> proc.Result:
    """``uv venv`` for a ``uv pip sync`` (``uv sync`` makes its own)."""
    argv = [str(job.uv), "venv", *(["--offline"] if offline else []), str(venv)]
    if job.python:
        argv += ["--python", job.python]
    return proc.run(argv, env=job.env, cwd=job.project, timeout=timeout)


# -- from a wheelhouse -------------------------------------------------------------------

_WHEELHOUSE_MISS = "not found in the provided package locations"
_NOT_FOUND = re.compile(r"Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the provided")


def hashed_requirements(job: _Job) -> str:
    """The lock as a requirements file with the lock's hashes: what is installed and
    which bytes are accepted both come from the lock, never from a bundle. The packages
    built from the repository (the project, workspace members) are not in it: see
    :func:`local_requirements`."""
    if job.lock.kind == "pylock":
        from bootstrap.cache.locks import pylock_requirements

        return pylock_requirements(job.lock_path)
    hashed, _local = _split_export(_export(job))
    return hashed


def local_requirements(job: _Job) -> list[str]:
    """What ``uv sync`` builds from the repository for this selection, as ``uv export``
    names it: ``-e .``, ``-e ./packages/member`` (editable, uv's default), or a plain
    directory for a non-editable path dependency. Empty for a virtual project."""
    if job.lock.kind != "uv":
        return []
    return _split_export(_export(job))[1]


_EXPORTED: dict[tuple[str, ...], str] = {}


def _export(job: _Job) -> str:
    argv = [str(job.uv), "export", "--frozen", "--no-header", "--no-annotate"]
    argv += ["--format", "requirements-txt", "--project", str(job.project)]
    argv += job.lock.uv_flags()
    key = (*argv, _stamp(job.lock_path))
    if key in _EXPORTED:
        return _EXPORTED[key]
    res = proc.run(argv, env=job.env, cwd=job.project, timeout=CHECK_TIMEOUT)
    if not res.ok:
        raise CommandError(res.describe(), code="sync.export_failed")
    _EXPORTED[key] = res.stdout
    return res.stdout


def _split_export(text: str) -> tuple[str, list[str]]:
    """(the hashed requirements, the local packages) of ``uv export``'s output: each
    requirement is one logical line (continued with backslashes); a local one starts
    with ``-e`` or is a path (``./x``, ``../x``, ``file://``)."""
    hashed: list[str] = []
    local: list[str] = []
    for entry in re.split(r"(?m)(?<!\\)\n(?=\S)", text.strip()):
        first = entry.strip()
        if not first or first.startswith("#"):
            continue
        is_path = first.startswith(("./", "../", "file:", "/")) and "--hash" not in first
        if first.startswith(("-e ", "--editable ")) or is_path:
            local.append(first)
        else:
            hashed.append(entry.rstrip())
    return ("\n".join(hashed) + "\n" if hashed else ""), local


def _wheelhouse_sync(
    job: _Job, wheelhouse: Path, plan_argv: Sequence[str], *, timeout: float
) -> proc.Result:
    """Install the lock's selection from ``wheelhouse``, offline, as ``uv sync`` would:
    the locked distributions by hash (``plan_argv``, its placeholders filled in), then
    the packages built from the repository (editable) with their build backend from the
    wheelhouse, its every file required to match the repository's build lock (written by
    :mod:`bootstrap.policy.buildlock`)."""
    local = local_requirements(job)
    build_lock = None
    if local:
        from bootstrap.cache.locks import build_lock_required as required

        build_lock = required(job.project, job.lock_path)
    if not _venv_python(job.venv).exists():
        made = _make_venv(job, job.venv, offline=True)
        if not made.ok:
            raise CommandError(made.describe(), code="sync.venv_failed")
    with scratch_dir("req") as tmp:
        reqs = tmp / "requirements.txt"
        reqs.write_text(hashed_requirements(job))
        python = str(_venv_python(job.venv))
        filled = [str(wheelhouse) if a == WHEELHOUSE else a for a in plan_argv]
        deps = proc.run(
            _command(job, filled, source=reqs), env=job.env, cwd=job.project, timeout=timeout
        )
        if not deps.ok or build_lock is None:
            return deps
        from bootstrap.cache.locks import build_constraints as constraints

        built = tmp / "build-constraints.txt"
        built.write_text(constraints(build_lock))
        argv = [str(job.uv), "pip", "install", "--offline", "--no-index", "--no-deps"]
        argv += ["--find-links", str(wheelhouse), "--python", python]
        # Every build dependency must carry a hash, and only the build lock gives any.
        argv += ["--build-constraints", str(built), "--require-build-hashes"]
        argv += ["--preview-features", "build-dependency-hashes"]
        for entry in local:
            argv += shlex.split(entry)
        project = proc.run(argv, env=job.env, cwd=job.project, timeout=timeout)
        if not project.ok:
            raise _build_failure(job, build_lock, project)
        return proc.Result(
            argv=deps.argv,
            returncode=0,
            stdout=deps.stdout + project.stdout,
            stderr=deps.stderr + project.stderr,
            duration=deps.duration + project.duration,
        )


def wheelhouse_commands(job: _Job) -> list[str]:
    """The uv commands a sync from a wheelhouse runs, in words (the `[sync]` line)."""
    steps = ["uv pip sync --offline --no-index --require-hashes (the lock's pins)"]
    if local_requirements(job):
        steps.append("uv pip install -e (the project, with its locked build backend)")
    return steps


def _build_failure(job: _Job, build_lock: Path, res: proc.Result) -> BootstrapError:
    """Installing the project from the wheelhouse failed: name what uv said (every
    `error`/`cause` line) and the repair."""
    said = proc.error_causes(res.stderr)
    missing = sorted(set(_NOT_FOUND.findall(res.stderr)))
    if missing:
        return MissingDistributions(
            f"offline, building {job.project.name} needs its build backend, and the "
            f"wheelhouse lacks {', '.join(missing)} ({build_lock.name}); uv says: {said}",
            missing=missing,
            fix="pack the bundle again from this repository (it carries the wheels "
            f"{build_lock.name} pins): bootstrap cache pack --project {job.project}",
            code="sync.offline_miss",
        )
    if "Hash mismatch" in res.stderr or "no trusted hash" in res.stderr:
        return IntegrityError(
            f"the build backend in the wheelhouse does not match {build_lock}; refusing to "
            f"build {job.project.name}: {said}",
            fix="import a bundle packed from this repository again (`bootstrap up "
            "--cache-bundle FILE`), which replaces the wheelhouse's files",
            code="sync.build_hash",
        )
    return CommandError(
        f"installing {job.project.name} from the repository failed: {said}",
        fix="the lines above are uv's; fix the project's build (pyproject.toml) and run again",
        code="sync.project_failed",
    )


@contextlib.contextmanager
def scratch_dir(purpose: str) -> Iterator[Path]:
    """A private directory in the tool's own temporary area (never the user's project),
    removed afterwards. Named after this process, so the next call removes those that a
    killed run (kill -9) left behind."""
    import tempfile

    from bootstrap.paths import Paths

    area = Paths.from_env().tmp
    area.mkdir(parents=True, exist_ok=True)
    clean_stale(area)
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{purpose}-", dir=area))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_stale(area: Path) -> None:
    """Remove the scratch directories of processes that are gone."""
    for entry in area.iterdir() if area.is_dir() else []:
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not proc.pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


_HASH_MISMATCH = re.compile(r"Hash mismatch for `([^`=]+)==([^`]+)`")


def _poisoned(job: _Job, wheelhouse: Path, stderr: str) -> IntegrityError:
    """uv refused a wheelhouse file whose hash is not the lock's: a file changed after
    it was imported (the import checked it). Say which, and how to put it right."""
    name, version = _HASH_MISMATCH.findall(stderr)[0]
    files = sorted(
        p.name
        for p in (wheelhouse.iterdir() if wheelhouse.is_dir() else ())
        if _dist_key(p.name) == (_norm(name), normalize_version(version))
    )
    shown = ", ".join(str(wheelhouse / f) for f in files) or f"{name}=={version}"
    return IntegrityError(
        f"the wheelhouse holds a file for {name}=={version} whose SHA-256 is not the one "
        f"{job.lock.path} records ({shown}): it changed after it was imported; nothing "
        "was installed from it",
        fix="import a good bundle again, which replaces it (bootstrap cache import FILE, "
        "or bootstrap up --cache-bundle FILE), or delete that file; then run again",
        code="sync.wheelhouse_hash",
    )


def _dist_key(file_name: str) -> tuple[str, str] | None:
    """(normalized name, version) of a wheel or sdist file name; None for other files."""
    dist = dist_file(file_name)
    return (dist.name, dist.version) if dist else None


def _wheelhouse_missing(job: _Job, wheelhouse: Path, stderr: str) -> list[str]:
    """Every ``name==version`` the lock needs (unconditionally) that the wheelhouse has
    no file for, and whatever uv named."""
    from bootstrap.cache.locks import requirement_pins

    have = {_dist_key(p.name) for p in wheelhouse.iterdir()} if wheelhouse.is_dir() else set()
    named = {_norm(n) for n in _NOT_FOUND.findall(stderr)}
    out = []
    for name, version, _hashes, has_marker in requirement_pins(hashed_requirements(job)):
        if (_norm(name), normalize_version(version)) in have:
            continue
        if has_marker and _norm(name) not in named:
            continue  # its marker may exclude this Python or platform
        out.append(f"{name}=={version}")
    return out or sorted(named)


# -- cache location ----------------------------------------------------------------------


def uv_cache_dir(uv: Path, env: Mapping[str, str] | None = None) -> Path:
    """uv's cache directory as uv itself resolves it (UV_CACHE_DIR, config, default)."""
    e = os.environ if env is None else env
    if e.get("UV_CACHE_DIR"):
        return Path(e["UV_CACHE_DIR"])
    res = proc.run([str(uv), "cache", "dir"], env=e, timeout=CHECK_TIMEOUT, check=True)
    return Path(res.stdout.strip())


def uv_python_dir(uv: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where uv keeps managed Pythons (UV_PYTHON_INSTALL_DIR or uv's default)."""
    e = os.environ if env is None else env
    if e.get("UV_PYTHON_INSTALL_DIR"):
        return Path(e["UV_PYTHON_INSTALL_DIR"])
    res = proc.run([str(uv), "python", "dir"], env=e, timeout=CHECK_TIMEOUT, check=True)
    return Path(res.stdout.strip())


def _device(path: Path) -> int | None:
    p = path.absolute()
    while True:
        try:
            return p.stat().st_dev
        except FileNotFoundError:
            if p.parent == p:
                return None
            p = p.parent
        except OSError:
            return None


def same_filesystem(a: Path, b: Path) -> bool | None:
    """True when ``a`` and ``b`` (or their nearest existing parents) share a device."""
    da, db = _device(a), _device(b)
    if da is None or db is None:
        return None
    return da == db


def cache_warnings(job: _Job) -> list[str]:
    try:
        cache = uv_cache_dir(job.uv, job.env)
    except CommandError:
        return []
    # UV_LINK_MODE=copy says the copy is known and chosen (a devcontainer's cache volume).
    if same_filesystem(cache, job.venv) is False and job.env.get("UV_LINK_MODE") != "copy":
        return [
            f"uv's cache ({cache}) is on another filesystem than the environment "
            f"({job.venv}): uv must copy every file instead of hard-linking it, which is "
            "slower; set UV_CACHE_DIR to a directory on the same filesystem"
        ]
    return []


# -- what is missing ---------------------------------------------------------------------


def _is_offline_miss(stderr: str) -> bool:
    return any(cause in stderr for cause in _OFFLINE_CAUSES)


def parse_missing(stderr: str) -> list[str]:
    """The distributions uv says it could not find offline, as it names them."""
    found: list[str] = []
    for pattern in _MISS_PATTERNS:
        found += pattern.findall(stderr)
    building = _BUILDING.findall(stderr)
    suffix = f" (to build {building[0]})" if building else ""
    found += [name + suffix for name in _NOT_CACHED.findall(stderr)]
    return list(dict.fromkeys(found))


def _name(spec: str) -> str:
    return re.split(r"[=<>!~ @\[;]", spec, maxsplit=1)[0]


def _missing(job: _Job, stderr: str) -> list[str]:
    missing = parse_missing(stderr)
    if not missing:
        return []
    skip = _already_installed(job)
    with scratch_dir("probe") as probe_root:
        deadline = time.monotonic() + _PROBE_SECONDS
        for _ in range(_PROBE_LIMIT):
            if time.monotonic() > deadline:
                missing.append("(and possibly more: listing stopped early)")
                break
            more = _probe(job, probe_root, missing, skip)
            new = [m for m in more if m not in missing]
            if not new:
                break
            missing += new
    return missing


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _already_installed(job: _Job) -> set[str]:
    """Lock entries the environment already has at the locked version: the real sync
    does not need them, so the scratch probes skip them too."""
    site = [p for p in job.venv.glob("lib/python*/site-packages") if p.is_dir()]
    site += [p for p in [job.venv / "Lib" / "site-packages"] if p.is_dir()]
    have: set[tuple[str, str]] = set()
    for d in site:
        for info in d.glob("*.dist-info"):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            have.add((_norm(name), version))
    if not have:
        return set()
    from bootstrap.files import parse_toml

    try:
        data = parse_toml(job.lock_path.read_text())
    except (OSError, ValueError):
        return set()
    entries = data.get("package" if job.lock.kind == "uv" else "packages", [])
    return {
        str(e["name"])
        for e in entries
        if isinstance(e, dict)
        and "name" in e
        and (_norm(str(e["name"])), str(e.get("version", ""))) in have
    }


def _probe(job: _Job, root: Path, known: Sequence[str], skip: set[str]) -> list[str]:
    """One more offline attempt, into a scratch environment, without what is known to be
    missing or already installed. Returns what uv names next (nothing: the rest is in
    the cache)."""
    names = {_name(m) for m in known} | skip
    argv = sync_argv(job.lock, "offline")
    if job.lock.kind == "uv":
        env = dict(job.env)
        env["UV_PROJECT_ENVIRONMENT"] = str(root / "venv")
        argv = (*argv, "--no-install-project")
        for n in sorted(names):
            argv += ("--no-install-package", n)
        res = proc.run(_command(job, argv), env=env, cwd=job.project, timeout=600)
    else:
        reduced = root / "pylock.toml"
        reduced.write_text(_without_packages(job.lock_path.read_text(), names))
        scratch = _Job(job.uv, job.project, job.lock, root / "venv", job.env, job.python)
        if not _venv_python(scratch.venv).exists():
            _make_venv(job, scratch.venv, offline=True, timeout=120)
        res = proc.run(
            _command(scratch, argv, source=reduced), env=job.env, cwd=job.project, timeout=600
        )
    if res.ok or not _is_offline_miss(res.stderr):
        return []
    return parse_missing(res.stderr)


def _without_packages(text: str, names: set[str]) -> str:
    """A pylock text without the ``[[packages]]`` tables of ``names``. pylock files as uv
    writes them: each package is one ``[[packages]]`` table starting on its own line."""
    norm = {_norm(n) for n in names}
    head, *blocks = re.split(r"(?m)^(?=\[\[packages\]\])", text)
    kept = [head]
    for block in blocks:
        m = re.search(r'(?m)^name\s*=\s*"([^"]+)"', block)
        if m and _norm(m.group(1)) in norm:
            continue
        kept.append(block)
    return "".join(kept)


class MissingDistributions(OfflineMiss):
    """An OfflineMiss that carries the missing ``name==version`` list."""

    def __init__(self, message: str, *, missing: Sequence[str], fix: str, code: str) -> None:
        super().__init__(message, fix=fix, code=code)
        self.missing = tuple(missing)


def _offline_miss(job: _Job, found: list[str]) -> MissingDistributions:
    note = [m for m in found if m.startswith("(")]
    missing = sorted((m for m in found if not m.startswith("(")), key=str.lower) + note
    listed = ", ".join(missing) if missing else "(uv did not name them)"
    flags = "".join(f" {f}" for f in job.lock.uv_flags())
    return MissingDistributions(
        f"offline and uv's cache lacks {len(missing) or 'some'} distribution(s) that "
        f"{job.lock.path}{flags} needs: {listed}; the environment was left as it was",
        fix="import a cache bundle packed for this target (`bootstrap up --cache-bundle "
        "FILE`, made with `bootstrap cache pack`), or allow the network with `--online`",
        missing=missing,
        code="sync.offline_miss",
    )
