"""Check (c): every locked distribution is pinned by a hash.

uv.lock: a registry or URL package must carry a hash on each sdist and wheel; a git
source cannot (its commit is not a content hash of what gets installed); local
directories and editables are the project itself. A package with only an sdist is
called out too: it has to be built at install time, which an offline ``--no-build``
sync refuses. pylock files: the same, per ``[[packages]]`` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bootstrap.files import parse_toml
from bootstrap.policy.findings import Finding

LOCAL_SOURCES = ("editable", "virtual", "directory", "path")


def check_file(path: Path, shown: str) -> list[Finding]:
    text = path.read_text(encoding="utf-8")
    data = parse_toml(text)
    lines = text.splitlines()
    if "package" in data:  # uv.lock
        return [f for p in data["package"] for f in _uv_package(p, shown, lines)]
    return [f for p in data.get("packages", []) for f in _pylock_package(p, shown, lines)]


def _line_of(lines: list[str], name: str, version: str | None) -> int | None:
    for i, ln in enumerate(lines):
        if ln == f'name = "{name}"':
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if version is None or nxt == f'version = "{version}"':
                return i + 1
    return None


def _hashless(files: list[dict[str, Any]], key: str = "hash") -> list[dict[str, Any]]:
    out = []
    for f in files:
        value = f.get(key)
        if not value:
            out.append(f)
    return out


def _uv_package(p: dict[str, Any], shown: str, lines: list[str]) -> list[Finding]:
    name, version = str(p.get("name")), p.get("version")
    source = p.get("source", {})
    label = f"{name} {version}" if version else name
    line = _line_of(lines, name, version)
    if any(k in source for k in LOCAL_SOURCES):
        return []
    if "git" in source:
        return [
            Finding(
                "hashes",
                f"{label} comes from git ({source['git']}): a commit, not a hash of the files",
                f"publish {name} to the team's index (or build a wheel) and lock that",
                shown,
                line,
            )
        ]
    files = [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])]
    bad = _hashless(files)
    if not files or bad:
        return [
            Finding(
                "hashes",
                f"{label} has {len(bad) or 'no'} file(s) without a hash",
                f"re-lock from an index that serves hashes: `uv lock --refresh-package {name}`",
                shown,
                line,
            )
        ]
    if not p.get("wheels"):
        return [
            Finding(
                "hashes",
                f"{label} is sdist-only: it is built at install time, which an offline "
                "--no-build sync refuses",
                f"pin a version of {name} that publishes wheels, or build one into the "
                "team's index or cache bundle",
                shown,
                line,
            )
        ]
    return []


def _pylock_package(p: dict[str, Any], shown: str, lines: list[str]) -> list[Finding]:
    name, version = str(p.get("name")), p.get("version")
    label = f"{name} {version}" if version else name
    line = _line_of(lines, name, version)
    if "directory" in p:
        return []
    if "vcs" in p:
        return [
            Finding(
                "hashes",
                f"{label} comes from a VCS: a commit, not a hash of the files",
                f"publish {name} to the team's index (or build a wheel) and lock that",
                shown,
                line,
            )
        ]
    files = [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])]
    if "archive" in p:
        files.append(p["archive"])
    bad = _hashless(files, "hashes")
    if not files or bad:
        return [
            Finding(
                "hashes",
                f"{label} has {len(bad) or 'no'} file(s) without a hash",
                "regenerate the file from uv.lock: `bootstrap lock`",
                shown,
                line,
            )
        ]
    if not p.get("wheels"):
        return [
            Finding(
                "hashes",
                f"{label} is sdist-only: it is built at install time",
                f"pin a version of {name} that publishes wheels",
                shown,
                line,
            )
        ]
    return []
