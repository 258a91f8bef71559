"""Part of check (d): the interpreter pin (``bootstrap/python/pin.txt``) is sound.

Each line parses (a malformed one names its line); a pinned version satisfies the
profile's ``[project] python``; and an official python-build-standalone archive carries
the SHA-256 the pinned uv's own list publishes for it (read offline from the uv binary:
a hash typed in by hand, or a pin left behind by a moved uv, shows here).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap.errors import BootstrapError, ConfigError
from bootstrap.policy.findings import Finding
from bootstrap.policy.scan import rel

if TYPE_CHECKING:
    from bootstrap.python.pin import Interpreter

_FIX = "pin it again: bootstrap python pin VERSION --target KEY (then commit the pin)"


def check(root: Path, requirement: str | None, uv: Path | None) -> tuple[list[Finding], list[str]]:
    """(findings, notes) for the pin at ``root`` (else the tool's own)."""
    from bootstrap.python import pin as pinmod

    path = pinmod.pin_path(root=root)
    if not path.is_file():
        path = pinmod.pin_path()
    shown = rel(path, root)
    try:
        pin = pinmod.parse(path.read_text(encoding="utf-8"), shown) if path.is_file() else None
    except ConfigError as exc:
        line = _line_of(exc.message)
        return [Finding("python-pin", exc.message, _FIX, shown, line)], []
    if pin is None or not pin.interpreters:
        return [], [f"no interpreter pinned ({shown})"]
    findings: list[Finding] = []
    notes = [f"CPython {it.version} for {it.triple} ({shown})" for it in pin.interpreters]
    for it in pin.interpreters:
        if requirement and not _satisfies(it.version, requirement):
            findings.append(
                Finding(
                    "python-pin",
                    f"CPython {it.version} for {it.triple} does not satisfy the profile's "
                    f"[project] python = {requirement!r}",
                    _FIX,
                    shown,
                )
            )
    official = [it for it in pin.interpreters if "python-build-standalone" in it.url]
    if official and uv is not None:
        findings += _official(official, uv, shown, notes)
    return findings, notes


def _official(pinned: list[Interpreter], uv: Path, shown: str, notes: list[str]) -> list[Finding]:
    from bootstrap.python import official

    try:
        entries = official.embedded_list(uv)
    except BootstrapError as exc:
        notes.append(f"official archives not compared with uv's list: {exc.message}")
        return []
    out = []
    for it in pinned:
        try:
            want = official.find(entries, it.version, it.triple)
        except BootstrapError:
            notes.append(f"uv {uv.name} does not list CPython {it.version} for {it.triple}")
            continue
        if want.filename == it.filename and want.sha256 != it.sha256:
            out.append(
                Finding(
                    "python-pin",
                    f"{it.filename}: the pin says sha256 {it.sha256}, the pinned uv's list of "
                    f"official archives says {want.sha256}",
                    _FIX,
                    shown,
                )
            )
    return out


def _satisfies(version: str, requirement: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requirement).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True  # the profile check reports a bad requirement


def _line_of(message: str) -> int | None:
    import re

    m = re.search(r", line (\d+):", message)
    return int(m.group(1)) if m else None
