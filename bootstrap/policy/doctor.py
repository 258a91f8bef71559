"""`bootstrap doctor`: what is wrong with this machine for a profile, each with a fix.

Every probe only reads (files, PATH, a ``--version``, one ``uv sync --check``, one run of
the environment's own Python printing its ``sys.path``) and nothing is written anywhere:
the tests compare a hash of the project, the state dir and the home directory before and
after. Probes are small functions in :data:`PROBES`, run in that order.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap import proc
from bootstrap.paths import Paths

if TYPE_CHECKING:
    from bootstrap.host.sources import Source
    from bootstrap.lockchoice import LockChoice
    from bootstrap.policy.lastplan import LastPlan
from bootstrap.policy.findings import Finding
from bootstrap.profiles import LockSpec, Profile, Variant, is_project_file

SHIM_MARKERS = {
    "pyenv": ("/.pyenv/shims/",),
    "asdf": ("/.asdf/shims/",),
    "mise": ("/mise/shims/", "/.local/share/mise/shims/"),
    "conda": ("/conda/bin/", "/miniconda3/bin/", "/anaconda3/bin/", "/miniforge3/bin/"),
}
SLOW_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "drvfs",
                    "fuse.rclone", "afs"}  # fmt: skip
GB = 1024**3

_SYS_PATH = (
    "import json, site, sys; print(json.dumps({'path': sys.path, 'prefix': sys.prefix, "
    "'base': sys.base_prefix, 'user_site': bool(site.ENABLE_USER_SITE), "
    "'version': '%d.%d' % sys.version_info[:2]}))"
)


@dataclass(frozen=True)
class Machine:
    """What the probes look at, gathered once (tests point it at a temporary world)."""

    profile: Profile
    paths: Paths
    env: dict[str, str]
    pinned_uv: str
    uv: Path | None  # the pinned uv, if installed

    @property
    def project(self) -> Path:
        return Path(self.profile.project.path)

    @property
    def venv(self) -> Path:
        from bootstrap.sync import venv_path

        return venv_path(self.project, None, self.env)


Probe = Callable[[Machine], list[Finding]]


def _find(check: str, message: str, fix: str, file: str | None = None) -> Finding:
    return Finding(check, message, fix, file)


def uv_on_path(m: Machine) -> list[Finding]:
    found = shutil.which("uv", path=m.env.get("PATH"))
    if found is None:
        return []
    res = proc.run([found, "--version"], timeout=10, env=m.env)
    words = res.stdout.split()
    version = words[1] if res.ok and len(words) > 1 else "unknown"
    if version == m.pinned_uv:
        return []
    origin = _origin(Path(found))
    return [
        _find(
            "uv-on-path",
            f"the uv first on PATH is {version}, not the pinned {m.pinned_uv} ({found}, {origin})",
            "run uv through the bootstrapper (`./install.sh --uv ...`), or put the pinned uv "
            "first: `./install.sh --modify-path` (`bootstrap uv which` shows where it is)",
            found,
        )
    ]


# Where a uv binary came from, by a piece of its resolved path.
UV_ORIGINS = (
    ("/.cargo/bin/", "cargo install"),
    ("/pipx/", "pipx"),
    ("/Cellar/", "Homebrew"),
    ("/linuxbrew/", "Homebrew"),
    ("/site-packages/", "pip"),
    ("/.local/bin/", "the standalone installer or pip --user"),
    ("/usr/bin/", "the system package manager"),
    ("/snap/", "snap"),
)


def _origin(path: Path) -> str:
    text = str(path.resolve())
    for piece, hint in UV_ORIGINS:
        if piece in text:
            return f"from {hint}"
    return f"resolves to {text}"


def python_shims(m: Machine) -> list[Finding]:
    out = []
    for exe in ("python3", "python"):
        found = shutil.which(exe, path=m.env.get("PATH"))
        if found is None:
            continue
        for tool, markers in SHIM_MARKERS.items():
            if any(mk in found.replace("\\", "/") for mk in markers):
                out.append(
                    _find(
                        "python-shim",
                        f"`{exe}` on PATH is a {tool} shim ({found}): it picks a Python by "
                        "its own rules, not the project's",
                        "run the project's Python through `uv run` (or the environment's own "
                        f"bin/python); `{tool}` shims stay for other projects",
                        found,
                    )
                )
                break
        break  # only the first Python on PATH shadows
    if m.env.get("CONDA_PREFIX") and m.env.get("CONDA_DEFAULT_ENV", "base") != "":
        out.append(
            _find(
                "python-shim",
                f"a conda environment is active ({m.env.get('CONDA_DEFAULT_ENV', '?')}): its "
                "python and packages come first",
                "`conda deactivate` before working on the project",
            )
        )
    return out


def leaks(m: Machine) -> list[Finding]:
    py = _venv_python(m.venv)
    if not py.exists():
        return []
    res = proc.run([str(py), "-c", _SYS_PATH], timeout=20, env=m.env, cwd=m.project)
    if not res.ok:
        refresh = shlex.join(["bootstrap", "up", "--profile", m.profile.name, "--refresh"])
        return [_find("leak", f"the environment's Python does not start: {res.describe()}",
                      refresh, str(py))]  # fmt: skip
    info = json.loads(res.stdout)
    prefix = Path(info["prefix"]).resolve()
    base = Path(info["base"]).resolve()
    out = []
    for entry in info["path"]:
        if not entry:
            continue
        p = Path(entry).resolve()
        if _under(p, prefix) or (_under(p, base) and "site-packages" not in p.parts):
            continue
        dists = sorted(d.name.split("-")[0] for d in _dist_infos(p))
        if not dists:
            continue
        where = _leak_kind(p, base, m.env)
        shown = ", ".join(dists[:8]) + (f" and {len(dists) - 8} more" if len(dists) > 8 else "")
        out.append(
            _find(
                "leak",
                f"{len(dists)} package(s) from {where} ({p}) are importable in the project: "
                f"{shown}",
                _leak_fix(where),
                str(p),
            )
        )
    return out


def _dist_infos(p: Path) -> list[Path]:
    try:
        return [d for d in p.iterdir() if d.suffix in (".dist-info", ".egg-info")]
    except OSError:
        return []


def _leak_kind(p: Path, base: Path, env: dict[str, str]) -> str:
    pythonpath = [Path(x).resolve() for x in env.get("PYTHONPATH", "").split(os.pathsep) if x]
    if p in pythonpath:
        return "PYTHONPATH"
    if _under(p, base):
        return "the base interpreter"
    return "the user site"


def _leak_fix(where: str) -> str:
    if where == "PYTHONPATH":
        return "unset PYTHONPATH (the environment has everything the lock names)"
    if where == "the base interpreter":
        return "set `include-system-site-packages = false` in the environment's pyvenv.cfg "
    return "remove them (`pip uninstall --user NAME`), or keep the environment isolated from " + (
        "the user site (`include-system-site-packages = false`)"
    )


def _under(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
    except ValueError:
        return False
    return True


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_matches_lock(m: Machine) -> list[Finding]:
    """The environment against the selection the last `bootstrap up` chose for it (its
    run record's), else against the profile's default variant: uv's own check."""
    from bootstrap.errors import UserError
    from bootstrap.sync import is_synced

    if m.uv is None or not _venv_python(m.venv).exists():
        return []
    last = last_plan(m)
    lock = next((lk for lk in m.profile.locks if lk.kind == "uv"), None)
    if last is not None and (m.project / last.lock.path).is_file():
        choice, what = last.lock, last.described()
    elif lock is not None and (m.project / lock.path).is_file():
        variant = _variant(lock)
        choice = variant.lock_choice(lock.path, "uv")  # every uv selection key, as `up` syncs
        what = f"{variant.accel} variant"
        last = None
    else:
        return []
    # uv's own check: `uv sync --frozen --offline --check` compares and changes nothing
    # in the environment, but uv caches what it learnt about the interpreter in its cache:
    # doctor reads only, so uv gets a throw-away cache, removed right after.
    import tempfile

    try:
        with tempfile.TemporaryDirectory(prefix="bootstrap-doctor-uv-") as scratch:
            env = {**m.env, "UV_CACHE_DIR": scratch}
            if is_synced(m.uv, m.project, choice, venv=m.venv, env=env):
                return []
            changes = _changes(m, choice, env) if last is not None else ()
    except UserError as exc:  # the lock itself no longer satisfies pyproject.toml
        return [_find("lock-outdated", exc.message, exc.fix or "uv lock", choice.path)]
    if last is None:
        return [
            _find(
                "venv-drift",
                f"the environment {m.venv} does not match {choice.path} ({what}): "
                "packages were added, removed or changed by hand",
                shlex.join(["bootstrap", "up", "--profile", m.profile.name, "--refresh"]),
                str(m.venv),
            )
        ]
    shown = _changed_text(changes)
    return [
        _find(
            "venv-drift",
            f"the environment {m.venv} no longer matches the {what} of {choice.path}, "
            "which `bootstrap up` chose here"
            + (f": {shown}" if shown else "")
            + "; a plain `uv run` or `uv sync` installs uv's default selection instead",
            f"{_again(m)}   (puts the {last.variant} variant back; then type "
            f"`bootstrap run CMD` in {shlex.quote(str(m.project))}, which keeps it, "
            "instead of a plain `uv run CMD`)",
            str(m.venv),
        )
    ]


def last_plan(m: Machine) -> LastPlan | None:
    """The selection the newest successful `up` of this profile recorded for this
    environment (None when no `up` recorded one: an older record, or none)."""
    from bootstrap.policy.lastplan import newest

    return newest(_run_records(m), m.venv)


def _changes(m: Machine, choice: LockChoice, env: dict[str, str]) -> tuple[str, ...]:
    from bootstrap.sync import sync_changes

    return sync_changes(m.uv or Path("uv"), m.project, choice, venv=m.venv, env=env)


def _changed_text(changes: tuple[str, ...], limit: int = 4) -> str:
    """uv's "- a==1" / "+ a==2" lines as prose: "a 1 is installed where it locks 2"."""
    removed: dict[str, str] = {}
    added: dict[str, str] = {}
    for change in changes:
        name, _, version = change[2:].partition("==")
        (removed if change.startswith("-") else added)[name] = version or "?"
    parts = []
    for name in sorted(set(removed) | set(added)):
        if name in removed and name in added:
            parts.append(
                f"{name} {removed[name]} is installed where the variant locks {added[name]}"
            )
        elif name in added:
            parts.append(f"{name} {added[name]} is missing")
        else:
            parts.append(f"{name} {removed[name]} is not in the selection")
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _variant(lock: LockSpec) -> Variant:
    cpu = next((v for v in lock.variants if v.accel == "cpu"), None)
    return cpu or (lock.variants[0] if lock.variants else Variant("cpu"))


def slow_path(m: Machine) -> list[Finding]:
    project = str(m.project.resolve())
    out = []
    if _is_wsl() and project.startswith("/mnt/") and len(project) > 6 and project[6] in "/":
        out.append(
            _find(
                "slow-path",
                f"the project is on the Windows drive ({project}): file access through /mnt "
                "is many times slower than the WSL file system",
                "clone it under your WSL home (~/src/...) and run there",
                project,
            )
        )
        return out
    fs = _filesystem(Path(project))
    if fs in SLOW_FILESYSTEMS:
        out.append(
            _find(
                "slow-path",
                f"the project is on a network file system ({fs}): installs and imports are slow",
                "clone it onto a local disk",
                project,
            )
        )
    return out


def _is_wsl(src: Source | None = None, kernel: str | None = None) -> bool:
    """Whether this runs inside WSL, by detection's own rule (the kernel release, then
    /proc/version, then WSL's variables and interop marker); ``src`` and ``kernel`` are
    the live machine's unless given."""
    import platform

    from bootstrap.host.probes import wsl_generation
    from bootstrap.host.sources import Source

    if src is None:
        if platform.system() != "Linux":
            return False
        src = Source()
    return wsl_generation(src, platform.release() if kernel is None else kernel)[0] is not None


def _filesystem(path: Path) -> str | None:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, fs = -1, None
    target = str(path)
    for ln in mounts:
        parts = ln.split()
        if len(parts) < 3:
            continue
        mnt = parts[1].replace("\\040", " ")
        if (target == mnt or target.startswith(mnt.rstrip("/") + "/")) and len(mnt) > best:
            best, fs = len(mnt), parts[2]
    return fs


def disk(m: Machine) -> list[Finding]:
    need = m.profile.needs.min_disk_gb
    if not need:
        return []
    probe = m.project if m.project.exists() else Path.home()
    free = shutil.disk_usage(probe).free / GB
    if free >= need:
        return []
    return [
        _find(
            "disk",
            f"{free:.1f} GB free where the project lives; profile {m.profile.name!r} needs "
            f"{need:g} GB (environment + cache)",
            "free space (`uv cache prune` drops unused cache entries) or use a bigger disk",
            str(probe),
        )
    ]


def spool(m: Machine) -> list[Finding]:
    directory = m.paths.spool
    try:
        entries = [p for p in directory.rglob("*.json") if p.is_file()]
    except OSError:
        return []
    if not entries:
        return []
    return [
        _find(
            "spool",
            f"{len(entries)} timing report(s) wait in the spool, not yet delivered",
            "bootstrap report flush",
            str(directory),
        )
    ]


def _run_records(m: Machine) -> list[Path]:
    """The records `up` keeps for this profile's runs. A record's name starts with the
    profile's name, its file's stem, or -- for a profile kept in the project, run with
    no --profile -- the project directory's name (bootstrap.app._state_key); a record
    whose last success was another directory's environment is not this one's."""
    runs = m.paths.runs
    if not runs.is_dir():
        return []
    stems = {Path(m.profile.source).stem, m.profile.name, m.project.name}
    found: list[Path] = []
    for path in sorted({p for s in stems for p in runs.glob(f"{s}-*.json")}):
        with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
            dists = json.loads(path.read_text())["success"]["inputs"]["dists"]
            if isinstance(dists, dict) and dists.get("venv") not in (None, str(m.venv)):
                continue
        found.append(path)
    return found


def _again(m: Machine) -> str:
    """The `up` that repeats this profile's run from any directory."""
    if is_project_file(Path(m.profile.source)):
        return f"bootstrap up --project {shlex.quote(str(m.project))}"
    return f"bootstrap up --profile {shlex.quote(m.profile.name)}"


def run_state(m: Machine) -> list[Finding]:
    out = []
    for path in _run_records(m):
        try:
            data = json.loads(path.read_text())
            steps = dict(data["steps"])
        except (OSError, ValueError, KeyError, TypeError):
            message = f"the last run's record is unreadable ({path.name})"
            fix = f"{_again(m)} --refresh"
            out.append(_find("run-state", message, fix, str(path)))
            continue
        stopped = [name for name, rec in steps.items() if rec.get("status") != "done"]
        if stopped:
            out.append(
                _find(
                    "run-state",
                    f"the last run stopped at {', '.join(stopped)} "
                    f"({steps[stopped[0]].get('status')})",
                    f"{_again(m)}   (it resumes)",
                    str(path),
                )
            )
        success = data.get("success") or {}
        files = (success.get("inputs") or {}).get("files") or {}
        gone = [f for f, digest in files.items() if digest != "absent" and not Path(f).exists()]
        if gone:
            out.append(
                _find(
                    "run-state",
                    "the last successful run's environment is gone: " + ", ".join(gone[:3]),
                    _again(m),
                    str(path),
                )
            )
    return out


def tls(m: Machine) -> list[Finding]:
    """uv cannot verify the index with its own roots here while the system store can
    (stage 0 found that out and remembered it, or the profile says so), and the shell
    that runs uv by hand does not tell uv to use the system store: `uv add`, `uv lock`
    and `uvx` fail there with UnknownIssuer. Reads a marker file and the environment."""
    from bootstrap import tls as tls_mod

    learnt = (m.paths.data / "tls-system-certs").is_file()
    if not (learnt or m.profile.sync.system_certs) or tls_mod.enabled(m.env):
        return []
    why = (
        "stage 0 found that uv's own certificate roots reject the index while the "
        "system's certificate store trusts it (a TLS-inspecting proxy's CA)"
        if learnt
        else "the profile sets [sync] system_certs = true"
    )
    return [
        _find(
            "tls",
            f"uv run by hand will fail TLS here (invalid peer certificate: UnknownIssuer): {why}; "
            "`bootstrap up` sets it for its own uv calls, your shell does not",
            "add `export UV_SYSTEM_CERTS=1` to your shell's profile (or `system-certs = true` "
            "in uv.toml)",
            str(m.paths.data / "tls-system-certs") if learnt else None,
        )
    ]


PROBES: dict[str, Probe] = {
    "uv-on-path": uv_on_path,
    "python-shim": python_shims,
    "leak": leaks,
    "venv-drift": venv_matches_lock,
    "slow-path": slow_path,
    "disk": disk,
    "spool": spool,
    "run-state": run_state,
    "tls": tls,
}


def machine(profile: Profile, env: dict[str, str] | None = None) -> Machine:
    from bootstrap.uv.pin import load

    e = dict(os.environ if env is None else env)
    paths = Paths.from_env(e)
    version = load(e).version
    uv = _pinned_uv(paths, version, e)
    return Machine(profile, paths, e, version, uv)


def pinned_uv(paths: Paths, env: dict[str, str]) -> Path | None:
    """The pinned uv as stage 0 installed it (or as ``uv run`` names it), if any."""
    from bootstrap.uv.pin import load

    return _pinned_uv(paths, load(env).version, env)


def _pinned_uv(paths: Paths, version: str, env: dict[str, str]) -> Path | None:
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    for candidate in (
        paths.uv_dir(version) / exe,
        Path(env.get("UV", "")) if env.get("UV") else None,
    ):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def run(m: Machine) -> list[Finding]:
    out: list[Finding] = []
    for probe in PROBES.values():
        out += probe(m)
    return out


# -- --verify ------------------------------------------------------------------------------


def verify(m: Machine) -> list[Finding]:
    """Re-hash every installed file against its wheel's RECORD: name each file changed
    or removed since install (the lock's versions are checked by ``venv-drift``)."""
    out = []
    for site in _site_packages(m.venv):
        for record in sorted(site.glob("*.dist-info/RECORD")):
            changed, missing = _check_record(site, record)
            if not changed and not missing:
                continue
            dist = record.parent.name.removesuffix(".dist-info")
            details = tuple([f"changed: {p}" for p in changed] + [f"missing: {p}" for p in missing])
            out.append(
                Finding(
                    "verify",
                    f"{dist}: {len(changed)} file(s) changed and {len(missing)} missing since "
                    "install",
                    f"reinstall it: `uv sync --frozen --reinstall-package "
                    f"{shlex.quote(dist.rsplit('-', 1)[0])}` (or `bootstrap up --profile "
                    f"{shlex.quote(m.profile.name)} "
                    "--refresh`)",
                    str(record),
                    None,
                    details[:50],
                )
            )
    return out


def _site_packages(venv: Path) -> list[Path]:
    if os.name == "nt":
        return [venv / "Lib" / "site-packages"]
    return sorted(venv.glob("lib/python*/site-packages"))


def _check_record(site: Path, record: Path) -> tuple[list[str], list[str]]:
    import base64
    import csv
    import hashlib

    changed, missing = [], []
    with record.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) < 2 or not row[1].startswith("sha256="):
                continue  # RECORD itself, .pyc files: no hash to hold them to
            path = (site / row[0]).resolve()
            try:
                digest = hashlib.sha256(path.read_bytes()).digest()
            except FileNotFoundError:
                missing.append(row[0])
                continue
            want = row[1].removeprefix("sha256=")
            got = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if got != want:
                changed.append(row[0])
    return changed, missing
