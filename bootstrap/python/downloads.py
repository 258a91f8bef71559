"""The downloads list uv installs the pinned interpreter from, and the install itself.

uv 0.13 installs a managed Python from a custom list (``--python-downloads-json-url``):
a JSON object of entries (``name``, ``arch {family, variant}``, ``os``, ``libc``,
``major/minor/patch``, ``prerelease``, ``url``, ``sha256``, ``variant``, ``build``). The
list *replaces* uv's built-in one, and uv checks an archive only when its entry carries
``sha256`` (``null`` installs it unverified); the list itself is checked by nobody. So
the list is always written here, from the repository's pin, with a ``file://`` URL to
the archive already checked against that pin -- never taken from a bundle or the
environment -- and :func:`check_list` refuses any list without a hash per entry (or
with uv's rejected top-level ``"version"`` key) before uv reads it.

The environment is cleaned for the install: ``UV_PYTHON_INSTALL_MIRROR`` (and the PyPy
one) only rewrite GitHub URLs, enforce uv's built-in hashes and fail with a ``file://``
list; ``UV_PYTHON_DOWNLOADS_JSON_URL`` would name another list; ``UV_PYTHON_CACHE_DIR``
makes an offline install fail when the archive is not in it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.errors import BootstrapError, IntegrityError
from bootstrap.python.official import UV_KEYS
from bootstrap.python.pin import Interpreter

# Unset for the install (said once when one was set).
IGNORED_VARS = (
    "UV_PYTHON_INSTALL_MIRROR",
    "UV_PYPY_INSTALL_MIRROR",
    "UV_PYTHON_DOWNLOADS_JSON_URL",
    "UV_PYTHON_CACHE_DIR",
)
_SHA = re.compile(r"^[0-9a-f]{64}$")
_BUILD = re.compile(r"\+([0-9]{8})-")


def uv_key(it: Interpreter) -> str:
    os_, arch, libc = UV_KEYS[it.triple]
    return f"cpython-{it.version}-{os_}-{arch}-{libc}"


def entry(it: Interpreter, archive: Path) -> dict[str, Any]:
    os_, arch, libc = UV_KEYS[it.triple]
    major, minor, patch = (int(p) for p in it.version.split("."))
    build = _BUILD.search(it.filename)
    return {
        "name": "cpython",
        "arch": {"family": arch, "variant": None},
        "os": os_,
        "libc": libc,
        "major": major,
        "minor": minor,
        "patch": patch,
        "prerelease": "",
        # as_uri() percent-encodes the `+` official names carry.
        "url": archive.resolve().as_uri(),
        "sha256": it.sha256,
        "variant": None,
        "build": build.group(1) if build else "0",
    }


def make_list(it: Interpreter, archive: Path) -> dict[str, Any]:
    return {uv_key(it): entry(it, archive)}


def check_list(body: object, origin: str) -> None:
    """Refuse a downloads list uv would install from without checking a hash."""

    def bad(what: str) -> IntegrityError:
        return IntegrityError(
            f"{origin}: {what}",
            fix="let the tool write the list from bootstrap/python/pin.txt",
            code="python.list_unsafe",
        )

    if not isinstance(body, dict) or not body:
        raise bad("a downloads list is a non-empty JSON object of entries")
    for key, value in body.items():
        if not isinstance(value, dict):
            raise bad(f"{key!r} is not an entry (a top-level {key!r} key is not uv's format)")
        sha = value.get("sha256")
        if not isinstance(sha, str) or not _SHA.match(sha):
            raise bad(f"entry {key!r} has no sha256 (uv would install it unverified)")
        url = value.get("url")
        if not isinstance(url, str) or not url.startswith("file:///"):
            raise bad(f"entry {key!r} does not point at a local file:// archive")


def write_list(it: Interpreter, archive: Path, dest: Path) -> Path:
    body = make_list(it, archive)
    check_list(body, str(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    tmp.replace(dest)
    return dest


def install_env(env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """``env`` without the variables that would change what uv installs, and their names."""
    dropped = [k for k in IGNORED_VARS if env.get(k)]
    clean = {k: v for k, v in env.items() if k not in IGNORED_VARS}
    clean.pop("UV_PYTHON_DOWNLOADS", None)  # the list is explicit; never "never" here
    return clean, dropped


class PythonInstallFailed(BootstrapError):
    pass


@dataclass(frozen=True)
class Installed:
    python: str  # the managed interpreter's path
    duration: float
    dropped: tuple[str, ...]  # environment variables left out of the install


def install(
    uv: str, it: Interpreter, archive: Path, list_path: Path, env: Mapping[str, str]
) -> Installed:
    """Install the pinned interpreter from ``archive`` with uv, offline, and find it."""
    from bootstrap import proc

    start = time.monotonic()
    write_list(it, archive, list_path)
    clean, dropped = install_env(env)
    url = list_path.resolve().as_uri()
    # --no-bin: nothing is put into ~/.local/bin (the tool never touches PATH unasked).
    res = proc.run(
        [
            uv,
            "--offline",
            "python",
            "install",
            "--no-bin",
            "--python-downloads-json-url",
            url,
            it.version,
        ],
        env=clean,
        timeout=600,
    )
    if not res.ok:
        # A refused archive can leave a half-made install behind; none was there before
        # (an installed version makes `python install` a no-op), so it goes.
        proc.run([uv, "python", "uninstall", it.version], env=clean, timeout=60)
        said = [ln.strip() for ln in res.stderr.splitlines() if ln.strip()][-8:]
        raise PythonInstallFailed(
            f"uv could not install the pinned CPython {it.version} from {archive.name} "
            f"(exit {res.returncode}): " + (" | ".join(said) or res.describe()),
            fix="check the archive against bootstrap/python/pin.txt (bootstrap cache verify)",
            code="python.install_failed",
        )
    return Installed(find(uv, it, clean), time.monotonic() - start, tuple(dropped))


def find(uv: str, it: Interpreter, env: Mapping[str, str]) -> str:
    """The uv-managed interpreter of exactly the pinned version, or raise."""
    from bootstrap import proc

    look = dict(env, UV_PYTHON_DOWNLOADS="never")
    res = proc.run(
        [uv, "python", "find", "--managed-python", "--no-project", it.version],
        env=look,
        timeout=30,
    )
    path = res.stdout.strip().splitlines()[-1] if res.ok and res.stdout.strip() else ""
    if not path:
        raise PythonInstallFailed(
            f"uv installed no managed CPython {it.version} it can find: {res.describe()}",
            code="python.install_failed",
        )
    return path
