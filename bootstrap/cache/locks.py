"""What the repository vouches for: the distribution files its lock files name, by hash.

A bundle's own checksums only catch accidents: anyone who can change a bundle can change
its SHA256SUMS and manifest too. So every distribution file a bundle carries is checked
against a hash from a lock file in the repository (``uv.lock`` or ``pylock.*.toml``):
the project's lock and the bootstrapper's own ``uv.lock``.

Both formats name each file by URL (or name) beside its SHA-256:

* uv.lock: ``wheels = [{ url = ".../six-1.17.0-py2.py3-none-any.whl", hash =
  "sha256:..." }]`` and ``sdist = { url = "...", hash = "sha256:..." }``;
* pylock (PEP 751): ``wheels = [{ name = "...whl", url = "...", hashes = { sha256 =
  "..." } }]`` and ``sdist = { ... }``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bootstrap.errors import ConfigError, UserError
from bootstrap.files import read_toml

# The lock of a profile's pinned tools, beside the project's lock (written by
# bootstrap.policy.toollock); a bundle's tool wheels are checked against it.
TOOLS_LOCK = "pylock.tools.toml"
# The lock of the build backend of a project uv.lock builds, beside it (written by
# bootstrap.policy.buildlock); the bundle's build wheels are checked against it.
BUILD_LOCK = "pylock.build.toml"


@dataclass(frozen=True)
class LockedFile:
    name: str  # the distribution's file name: six-1.17.0-py2.py3-none-any.whl
    sha256: str
    package: str
    version: str
    lock: Path  # the lock file that vouches for it


def _toml(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = read_toml(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the lock file ({exc})", code="lock.read") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not a TOML lock file ({exc})", code="lock.parse") from exc
    return data


def _file_name(entry: Mapping[str, Any]) -> str | None:
    name = entry.get("name")
    if isinstance(name, str) and name:
        return name
    url = entry.get("url") or entry.get("path")
    if not isinstance(url, str) or not url:
        return None
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None


def _sha256(entry: Mapping[str, Any]) -> str | None:
    digest = entry.get("hash")  # uv.lock
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest[len("sha256:") :].lower()
    hashes = entry.get("hashes")  # pylock
    if isinstance(hashes, Mapping) and isinstance(hashes.get("sha256"), str):
        return str(hashes["sha256"]).lower()
    return None


def locked_files(lock: Path) -> list[LockedFile]:
    """Every distribution file ``lock`` names with a SHA-256 (wheels and sdists)."""
    data = _toml(lock)
    entries = data.get("package") if "package" in data else data.get("packages", [])
    out: list[LockedFile] = []
    for pkg in entries if isinstance(entries, list) else []:
        if not isinstance(pkg, Mapping):
            continue
        files: list[Any] = list(pkg.get("wheels") or [])
        if isinstance(pkg.get("sdist"), Mapping):
            files.append(pkg["sdist"])
        for f in files:
            if not isinstance(f, Mapping):
                continue
            name, digest = _file_name(f), _sha256(f)
            if name and digest:
                out.append(
                    LockedFile(name, digest, str(pkg.get("name")), str(pkg.get("version")), lock)
                )
    return out


@dataclass(frozen=True)
class Trust:
    """File name -> the locked files of that name (the same name in two locks must have
    the same bytes, or the file is refused)."""

    files: Mapping[str, tuple[LockedFile, ...]]
    locks: tuple[Path, ...]

    def known(self, name: str, source: str) -> tuple[LockedFile, ...]:
        """The locked files named ``name``, or IntegrityError: no lock names it."""
        from bootstrap.errors import IntegrityError

        known = self.files.get(name, ())
        if not known:
            where = ", ".join(str(p) for p in self.locks) or "no lock file"
            shown = name if len(name) <= 120 else name[:120] + "..."
            raise IntegrityError(
                f"{source}: {shown} is not in the lock ({where}); refusing the bundle",
                fix="pack the bundle again from this repository's locks: bootstrap cache pack",
                code="bundle.not_locked",
            )
        return known

    def check(self, name: str, sha256: str, source: str) -> LockedFile:
        """The locked file ``name`` with content ``sha256``, or IntegrityError naming it."""
        from bootstrap.errors import IntegrityError

        known = self.known(name, source)
        for f in known:
            if f.sha256 != sha256:
                raise IntegrityError(
                    f"{source}: {name} does not match {f.lock} (sha256 {sha256}, the lock "
                    f"says {f.sha256}); refusing the bundle",
                    fix="never use this bundle; pack a new one from this repository",
                    code="bundle.lock_hash",
                )
        return known[0]


def trust(locks: Iterable[Path], *, pinned: Mapping[str, str] | None = None) -> Trust:
    """What ``locks`` vouch for; ``pinned``: more file names and their SHA-256 from a pin
    the repository holds (the bootstrapper's own wheel, from the uv pin's ``self`` line)."""
    files: dict[str, list[LockedFile]] = {}
    seen: list[Path] = []
    for lock in locks:
        if lock in seen:
            continue
        seen.append(lock)
        for f in locked_files(lock):
            files.setdefault(f.name, []).append(f)
    for name, digest in (pinned or {}).items():
        parts = name.split("-")
        version = parts[1] if len(parts) > 1 else ""
        files.setdefault(name, []).append(
            LockedFile(name, digest, parts[0], version, Path("the uv pin (self)"))
        )
    return Trust({k: tuple(v) for k, v in files.items()}, tuple(seen))


# -- pylock -> hashed requirements ------------------------------------------------------------


def pylock_requirements(lock: Path) -> str:
    """A requirements file with ``--hash`` lines for every package of a pylock file, for
    ``uv pip sync --require-hashes --no-index --find-links DIR``: the pins, the markers and
    the hashes all come from the lock."""
    data = _toml(lock)
    lines: list[str] = []
    for pkg in data.get("packages", []):
        if not isinstance(pkg, Mapping) or "name" not in pkg or "version" not in pkg:
            continue
        digests = sorted({d for f in _files(pkg) if (d := _sha256(f)) is not None})
        if not digests:
            continue
        spec = f"{pkg['name']}=={pkg['version']}"
        marker = pkg.get("marker")
        if isinstance(marker, str) and marker.strip():
            spec += f" ; {marker}"
        lines.append(spec + "".join(f" \\\n    --hash=sha256:{d}" for d in digests))
    return "\n".join(lines) + "\n"


def _files(pkg: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    files = [f for f in pkg.get("wheels") or [] if isinstance(f, Mapping)]
    if isinstance(pkg.get("sdist"), Mapping):
        files.append(pkg["sdist"])
    return files


_REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def requirement_pins(text: str) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """(name, version, sha256s, has_marker) for each requirement of a hashed requirements
    file as ``uv export`` or :func:`pylock_requirements` write it."""
    out: list[tuple[str, str, tuple[str, ...], bool]] = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for raw in joined.splitlines():
        m = _REQ.match(raw.strip())
        if not m:
            continue
        body = raw.split("--hash", 1)[0]
        out.append(
            (
                m.group(1),
                m.group(2).rstrip(";"),
                tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", raw)),
                ";" in body,
            )
        )
    return out


def lock_digests(paths: Sequence[Path]) -> str:
    """One digest over the content of ``paths`` (what an import was checked against)."""
    import hashlib

    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.name).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# -- the build lock (bootstrap.policy.buildlock writes it) ---------------------------------


def local_packages(project: Path, lock: Path | None = None) -> list[Path]:
    """The directories ``uv.lock`` builds (editable or directory sources), the project's
    first; empty for a virtual project without path dependencies."""
    path = lock or project / "uv.lock"
    if not path.is_file():
        return []
    try:
        data = read_toml(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the lock ({exc})", code="lock.parse") from exc
    found: list[Path] = []
    for pkg in data.get("package", []):
        source = pkg.get("source") if isinstance(pkg, dict) else None
        if not isinstance(source, dict):
            continue
        rel = source.get("editable", source.get("directory"))
        if isinstance(rel, str):
            found.append((project / rel).resolve())
    return sorted(set(found), key=lambda p: (p != project.resolve(), str(p)))


def build_constraints(lock: Path) -> str:
    """The build lock as hashed build constraints for uv (``--build-constraints``)."""
    return pylock_requirements(lock)


def build_lock_required(project: Path, lock: Path) -> Path:
    """The build lock a sync from a wheelhouse needs for ``project``; UserError (with the
    command that writes it) when the repository has none."""
    path = project / BUILD_LOCK
    if path.is_file():
        return path
    built = ", ".join(p.name for p in local_packages(project, lock)) or project.name
    raise UserError(
        f"{path}: not found; {built} is installed from the repository (editable, as `uv "
        "sync` does), which runs its build backend, and offline nothing in the repository "
        "pins the backend's wheels",
        fix=f"lock it and commit it: bootstrap lock --project {project} (needs the index "
        "once), then pack the bundle again",
        code="sync.no_build_lock",
    )
