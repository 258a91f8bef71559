"""Install or verify the pinned uv: the Python twin of install.sh.

One directory per version (``Paths.uv_dir(version)``), filled in a temp directory on the
same filesystem and renamed into place, so an upgrade never breaks a running uv. The
``.verified`` marker (shared with install.sh) records the artifact's pinned checksum and
the binaries' own; a re-run trusts it unless a binary changed after it was written.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bootstrap.errors import BootstrapError, IntegrityError, NetworkError
from bootstrap.files import sha256_file
from bootstrap.paths import Paths
from bootstrap.uv.pin import Artifact, Pin, load
from bootstrap.uv.platform import detect_triple, exe

if TYPE_CHECKING:
    from bootstrap.uv import sources as source_config

# The archive modules, the HTTP client and the source configuration are imported where an
# install needs them: every `bootstrap up` asks `ensure`, which finds uv present (a stat
# and a marker read) far more often than it installs it.

MARKER = ".verified"


@dataclass(frozen=True)
class EnsureResult:
    path: Path  # the uv binary
    version: str
    action: str  # "present" | "installed"
    source: str | None  # where it came from when installed, e.g. "index https://..."
    triple: str


class InstallFailed(BootstrapError):
    """No configured source produced a verified uv."""


def _pinned(pin: Pin, triple: str) -> tuple[Artifact | None, Artifact | None]:
    return pin.for_triple(triple, "wheel"), pin.for_triple(triple, "archive")


def read_marker(directory: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = (directory / MARKER).read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        out[key] = value.strip()
    return out


def check_present(
    directory: Path, pin: Pin, triple: str, *, verify: bool = False
) -> tuple[bool, str]:
    """(ok, reason): is a verified uv for this pin already in ``directory``?"""
    uv, uvx = directory / exe("uv", triple), directory / exe("uvx", triple)
    marker = directory / MARKER
    if not (uv.is_file() and marker.is_file()):
        return False, "not installed"
    record = read_marker(directory)
    wanted = {a.sha256 for a in _pinned(pin, triple) if a is not None}
    if record.get("artifact") not in wanted:
        return False, f"uv in {directory} was not installed from a pinned artifact"
    mtime = marker.stat().st_mtime
    stale = any(p.exists() and p.stat().st_mtime > mtime for p in (uv, uvx))
    if verify or stale:
        for p, key in ((uv, "uv"), (uvx, "uvx")):
            if not p.is_file() or sha256_file(p) != record.get(key):
                return False, f"{p} does not match the checksum recorded when it was installed"
        marker.touch()
    return True, "present"


def _safe_name(name: str, origin: str) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise IntegrityError(f"{origin}: member {name!r} has an absolute path", code="uv.unsafe")
    if ".." in p.parts:
        raise IntegrityError(f"{origin}: member {name!r} climbs out with '..'", code="uv.unsafe")


def extract(artifact: Path, kind: str, version: str, triple: str, dest: Path) -> None:
    """Write uv and uvx from ``artifact`` into ``dest``, refusing unsafe members."""
    import tarfile
    import zipfile

    from bootstrap import net

    names = {exe("uv", triple), exe("uvx", triple)}
    origin = artifact.name
    dest.mkdir(parents=True, exist_ok=True)
    found: set[str] = set()
    try:
        if artifact.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(artifact) as zf:
                for info in zf.infolist():
                    _safe_name(info.filename, origin)
                    mode = info.external_attr >> 16
                    if stat.S_ISLNK(mode):
                        raise IntegrityError(
                            f"{origin}: member {info.filename!r} is a symbolic link",
                            code="uv.unsafe",
                        )
                prefix = f"uv-{version}.data/scripts/" if kind == "wheel" else ""
                for info in zf.infolist():
                    base = info.filename.rsplit("/", 1)[-1]
                    ok = info.filename == prefix + base or info.filename == f"uv-{triple}/{base}"
                    if base in names and ok and not info.is_dir():
                        with zf.open(info) as src, (dest / base).open("wb") as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                        found.add(base)
        else:
            with tarfile.open(artifact, "r:*") as tf:
                members = tf.getmembers()
                for m in members:
                    _safe_name(m.name, origin)
                    if m.issym() or m.islnk():
                        raise IntegrityError(
                            f"{origin}: member {m.name!r} is a link to {m.linkname!r}; "
                            "a uv artifact holds regular files only",
                            code="uv.unsafe",
                        )
                for m in members:
                    base = m.name.rsplit("/", 1)[-1]
                    if base in names and m.isfile() and m.name in (base, f"uv-{triple}/{base}"):
                        data = tf.extractfile(m)
                        if data is None:  # pragma: no cover - isfile() members have data
                            continue
                        with data, (dest / base).open("wb") as out:
                            shutil.copyfileobj(data, out, 1 << 20)
                        found.add(base)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        if net.is_no_space(exc):  # a full disk is not a broken artifact
            raise
        raise IntegrityError(f"{origin}: cannot unpack it: {exc}", code="uv.bad_artifact") from exc
    missing = names - found
    if missing:
        raise IntegrityError(
            f"{origin}: no {', '.join(sorted(missing))} inside", code="uv.bad_artifact"
        )
    for base in names:
        (dest / base).chmod(0o755)


def _install_candidate(file: Path, art: Artifact, job: _Job, target: Path) -> None:
    pin, triple, work = job.pin, job.triple, job.work
    got = sha256_file(file)
    if got != art.sha256:
        raise IntegrityError(
            f"checksum mismatch for {file.name}: pinned {art.sha256}, got {got}",
            code="uv.checksum_mismatch",
        )
    stage = work / "root"
    if stage.exists():
        shutil.rmtree(stage)
    extract(file, art.kind, pin.version, triple, stage)
    uv = stage / exe("uv", triple)
    if triple == detect_triple({}):  # a foreign triple's uv cannot run here
        from bootstrap import proc

        res = proc.run([uv, "--version"], timeout=30)
        words = res.stdout.split()
        if words[:2] != ["uv", pin.version]:
            raise IntegrityError(
                f"the uv inside {file.name} reports {res.stdout.strip() or res.describe()!r}, "
                f"not uv {pin.version}",
                code="uv.wrong_version",
            )
    lines = [f"artifact {art.sha256}"]
    lines += [f"{n} {sha256_file(stage / exe(n, triple))}" for n in ("uv", "uvx")]
    (stage / MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")
    place(stage, target, triple)


def place(stage: Path, target: Path, triple: str) -> None:
    """Move the verified binaries from ``stage`` into ``target``. Another stage 0 may be
    about to run ``target/uv`` this very moment (six first runs in one HOME), so the
    directory is never moved aside: each file is renamed over the old one (atomic on one
    filesystem; ``stage`` is under the same parent), uv after uvx, the marker last."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (exe("uvx", triple), exe("uv", triple), MARKER):
        (stage / name).replace(target / name)


def ensure(
    paths: Paths,
    *,
    sources: Sequence[str] | str | None = None,
    verify: bool = False,
    environ: Mapping[str, str] | None = None,
    pin: Pin | None = None,
    triple: str | None = None,
) -> EnsureResult:
    """Make sure the pinned uv is installed and verified; install it if not."""
    env = os.environ if environ is None else environ
    pin = pin or load(env)
    triple = triple or detect_triple(env)
    target = paths.uv_dir(pin.version)
    uv_path = target / exe("uv", triple)
    ok, why = check_present(target, pin, triple, verify=verify)
    if ok:
        return EnsureResult(uv_path, pin.version, "present", None, triple)
    from bootstrap import net
    from bootstrap.uv import sources as source_config

    wheel, archive = _pinned(pin, triple)
    if wheel is None and archive is None:
        raise InstallFailed(
            f"the uv pin has no artifact for {triple}",
            fix=f"pin one with: bootstrap uv pin {pin.version}",
            code="uv.no_artifact",
        )
    order = source_config.order(sources, env)
    reasons: list[str] = [] if why == "not installed" else [f"existing: {why}"]
    try:
        return _install(paths, pin, triple, order=order, reasons=reasons, env=env)
    except OSError as exc:
        if net.is_no_space(exc):
            raise net.no_space(paths.data / "uv") from None
        raise
    except BootstrapError as exc:
        if exc.code == "disk.no_space":  # named after the temp dir it was written in
            raise net.no_space(paths.data / "uv") from None
        raise


def _install(
    paths: Paths,
    pin: Pin,
    triple: str,
    *,
    order: Sequence[str],
    reasons: list[str],
    env: Mapping[str, str],
) -> EnsureResult:
    import tempfile

    from bootstrap.uv import sources as source_config

    wheel, archive = _pinned(pin, triple)
    target = paths.uv_dir(pin.version)
    uv_path = target / exe("uv", triple)
    (paths.data / "uv").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=paths.data / "uv", prefix=".tmp-") as tmp:
        job = _Job(pin, triple, wheel, archive, Path(tmp), env)
        for name in order:
            src = source_config.configured(name, env)
            if src is None:
                continue
            try:
                got = _from_source(src, job)
                if got is None:
                    reasons.append(f"{name}: skipped, the pin has no checksum for its artifact")
                    continue
                file, art = got
                _install_candidate(file, art, job, target)
            except (NetworkError, IntegrityError) as exc:
                reasons.append(f"{name}: {exc.message}")
                continue
            return EnsureResult(uv_path, pin.version, "installed", f"{name} {src.location}", triple)
    wanted = (wheel or archive).filename  # type: ignore[union-attr]
    raise InstallFailed(
        f"could not install uv {pin.version} for {triple}; nothing was changed:\n  - "
        + "\n  - ".join(reasons or ["no source is configured"]),
        fix=f"set BOOTSTRAP_UV_LOCAL to a directory holding {wanted}, or "
        "BOOTSTRAP_UV_INDEX_URL / BOOTSTRAP_UV_MIRROR_URL to a reachable source",
        code="uv.install_failed",
    )


@dataclass(frozen=True)
class _Job:
    pin: Pin
    triple: str
    wheel: Artifact | None
    archive: Artifact | None
    work: Path
    env: Mapping[str, str]


def _from_source(src: source_config.Source, job: _Job) -> tuple[Path, Artifact] | None:
    from bootstrap.uv import fetch

    pin, wheel, archive, work, env = job.pin, job.wheel, job.archive, job.work, job.env
    if src.name == "local":
        path = Path(src.location).expanduser()
        if path.is_dir():
            for art in (wheel, archive):
                if art is not None and (path / art.filename).is_file():
                    path = path / art.filename
                    break
        if not path.is_file():
            raise IntegrityError(
                f"no {(wheel or archive).filename} in {path}",  # type: ignore[union-attr]
                code="uv.local_missing",
            )
        copy = work / path.name
        shutil.copyfile(path, copy)  # the file checked is the file extracted
        got = sha256_file(copy)
        for art in (wheel, archive):
            if art is not None and art.sha256 == got:
                return copy, art
        pinned = " or ".join(a.sha256 for a in (wheel, archive) if a is not None)
        raise IntegrityError(
            f"checksum mismatch for {path.name}: pinned {pinned}, got {got}",
            code="uv.checksum_mismatch",
        )
    if src.name in ("mirror", "release"):
        if archive is None:
            return None
        url = f"{src.location.rstrip('/')}/{pin.version}/{archive.filename}"
        dest = work / archive.filename
        fetch.download(url, dest, environ=env)
        return dest, archive
    if wheel is None:
        return None
    url = fetch.index_url_for(src.location, "uv", wheel.filename, work, env)
    dest = work / wheel.filename
    fetch.download(url, dest, environ=env)
    return dest, wheel
