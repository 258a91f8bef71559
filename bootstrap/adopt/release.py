"""The bootstrapper as a pinned artifact: build its wheel and pin it like uv.

A release is three files written in this order, so that an interrupted release leaves
nothing half-pinned:

1. the runtime lock the wheel carries inside it (``bootstrap/runtime.txt``, hashed
   requirements for stage 0's ``uv pip install --require-hashes``, and
   ``bootstrap/runtime.pylock.toml``, the same pins by file name, which vouch for the
   runtime wheels of a cache bundle), exported from the checkout's ``uv.lock``;
2. the wheel, built by the pinned uv (``uv build --wheel``) into ``dist/``, its build
   backend constrained by the hashes of ``pylock.build.toml``;
3. the ``self`` line of the pin (version, file name, SHA-256 of that wheel), then the
   installers' embedded copies.

Stage 0 in a team's repository fetches that file, checks it against the ``self`` line its
own ``install.sh`` carries (never against what a server says), and installs the runtime
lock found inside it: the wheel's checksum vouches for the lock it brings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import UserError
from bootstrap.files import sha256_file
from bootstrap.paths import atomic_write
from bootstrap.uv import pin as pinmod

RUNTIME_TXT = Path("bootstrap") / "runtime.txt"
RUNTIME_PYLOCK = Path("bootstrap") / "runtime.pylock.toml"
DIST = "dist"
BUILD_TIMEOUT = 600.0

_RUNTIME_HEADER = (
    "# The bootstrapper's runtime lock, carried inside its wheel: written by `bootstrap "
    "release`\n# from uv.lock (uv export --no-dev --no-emit-project); do not edit.\n"
)


@dataclass(frozen=True)
class Release:
    wheel: Path
    artifact: pinmod.SelfArtifact
    changed: tuple[Path, ...]  # the files the release wrote (the wheel aside)


def _uv(uv: Path, args: list[str], repo: Path, what: str) -> str:
    from bootstrap import proc

    res = proc.run([str(uv), *args], cwd=repo, timeout=BUILD_TIMEOUT)
    if not res.ok:
        raise UserError(
            f"{what} failed: {res.describe()}",
            fix="run it by hand in the checkout to see uv's full message",
            code="release.uv_failed",
        )
    return res.stdout


def export_runtime(uv: Path, repo: Path) -> list[Path]:
    """Write the runtime lock files from ``uv.lock``; returns the files that changed."""
    common = ["export", "-q", "--frozen", "--no-dev", "--no-emit-project", "--project", str(repo)]
    req = _uv(uv, [*common, "--no-header", "--no-annotate"], repo, "uv export (requirements)")
    pylock = _uv(uv, [*common, "--format", "pylock.toml"], repo, "uv export (pylock.toml)")
    # uv's own header names the command line; ours says where the file comes from.
    pylock = "".join(ln for ln in pylock.splitlines(keepends=True) if not ln.startswith("#"))
    changed: list[Path] = []
    for rel, body in ((RUNTIME_TXT, req), (RUNTIME_PYLOCK, pylock)):
        path = repo / rel
        text = _RUNTIME_HEADER + body
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text.encode())
            changed.append(path)
    return changed


def _build_constraints(repo: Path, out: Path) -> list[str]:
    """``--build-constraint FILE --require-hashes`` from pylock.build.toml, when the
    checkout pins its build backend."""
    from bootstrap.cache.locks import BUILD_LOCK

    lock = repo / BUILD_LOCK
    if not lock.is_file():
        return []
    from bootstrap.cache.locks import pylock_requirements

    out.write_text(pylock_requirements(lock), encoding="utf-8")
    return ["--build-constraint", str(out), "--require-hashes"]


def build_wheel(uv: Path, repo: Path, *, offline: bool = False) -> Path:
    """``uv build --wheel`` of the checkout into ``dist/``; the wheel's path."""
    name, version = project_name_version(repo)
    dist = repo / DIST
    dist.mkdir(exist_ok=True)
    wheel = dist / f"{name}-{version}-py3-none-any.whl"
    constraints = _build_constraints(repo, dist / ".build-constraints.txt")
    args = ["build", "--wheel", "--out-dir", str(dist), *constraints, str(repo)]
    _uv(uv, [*args, *(["--offline"] if offline else [])], repo, "uv build --wheel")
    if not wheel.is_file():
        raise UserError(
            f"uv build did not write {wheel}",
            fix="check [project] name and version in pyproject.toml",
            code="release.no_wheel",
        )
    return wheel


def project_name_version(repo: Path) -> tuple[str, str]:
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.MULTILINE)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not name or not version:
        raise UserError(
            f"{repo / 'pyproject.toml'}: no [project] name and version",
            code="release.pyproject",
        )
    # The wheel's file name spells the name as PEP 427 normalises it.
    return re.sub(r"[-_.]+", "_", name.group(1)).lower(), version.group(1)


def with_self(pin: pinmod.Pin, artifact: pinmod.SelfArtifact) -> pinmod.Pin:
    """``pin`` whose only ``self`` line is ``artifact``: one bootstrapper is pinned."""
    return pinmod.Pin(pin.version, pin.artifacts, (artifact,), pin.origin)


def write_self(repo: Path, artifact: pinmod.SelfArtifact | None) -> list[Path]:
    """Put ``artifact`` as the ``self`` line into the checkout's pin (None: no ``self``
    line) and regenerate the installers' embedded copies; returns the files changed."""
    from bootstrap.uv import publish

    pin_file = repo / "bootstrap" / "uv" / "pin.txt"
    current = pinmod.parse(pin_file.read_text(encoding="utf-8"), str(pin_file))
    if artifact is None:
        fresh = pinmod.Pin(current.version, current.artifacts, (), current.origin)
    else:
        fresh = with_self(current, artifact)
    text = pinmod.HEADER + pinmod.render(fresh)
    changed: list[Path] = []
    if pin_file.read_text(encoding="utf-8") != text:
        atomic_write(pin_file, text.encode())
        changed.append(pin_file)
    return changed + publish.sync_installers(repo)


INSTALLERS = Path("bootstrap") / "adopt" / "installers"


def copy_installers(repo: Path) -> None:
    """install.sh and install.ps1 into the package (git ignores the copies; hatch's
    ``artifacts`` puts them into the wheel), for `bootstrap init` run from the wheel."""
    dest = repo / INSTALLERS
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("install.sh", "install.ps1"):
        atomic_write(dest / name, (repo / name).read_bytes())


def release(uv: Path, repo: Path, *, offline: bool = False) -> Release:
    names = (RUNTIME_TXT, RUNTIME_PYLOCK, Path("bootstrap/uv/pin.txt"), Path("install.sh"))
    watched = [repo / rel for rel in (*names, Path("install.ps1"))]
    before = {p: p.read_bytes() if p.is_file() else None for p in watched}
    export_runtime(uv, repo)
    # The wheel is built from a pin without a `self` line: it cannot carry its own
    # checksum, and with the last release's line inside it a re-run would build another
    # file. So the same checkout always builds the same bytes (hatchling's wheels are
    # reproducible), and `bootstrap release` twice pins the same SHA-256.
    write_self(repo, None)
    copy_installers(repo)
    wheel = build_wheel(uv, repo, offline=offline)
    _, version = project_name_version(repo)
    artifact = pinmod.SelfArtifact(version, wheel.name, sha256_file(wheel))
    write_self(repo, artifact)
    changed = [p for p in watched if (p.read_bytes() if p.is_file() else None) != before[p]]
    return Release(wheel, artifact, tuple(changed))
