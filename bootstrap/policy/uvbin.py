"""Which uv the policy commands run, and whether the uv running them is the pinned one.

The policy commands run the uv stage 0 handed over (``UV``, set by ``uv run``), else the
pinned uv, installed and verified like `bootstrap uv ensure`.

The offline proof of `bootstrap check` needs the pinned uv inside its temporary home; on
a CI runner whose ``BOOTSTRAP_HOME`` is fresh it would have to download it, with no
network. It reuses the uv that runs the check instead, when :func:`verify` ties that
binary to the pin: the pin holds the SHA-256 of the *artifacts* (wheel, release
archive), not of the binary inside, so the binary is held to the record stage 0 wrote
when it installed it (``.verified`` beside it: the pinned artifact's SHA-256, which
stage 0 checked before unpacking, and the SHA-256 of the uv it unpacked). The binary
must hash to that record, the record's artifact must be one the pin lists for this
platform, and the binary must say it is the pinned version. A uv from elsewhere
(setup-uv, pip, a package manager) has no such record: its bytes cannot be tied to the
pin offline -- uv's own cache keeps wheels unpacked, not the archive bytes the pin
hashes -- so it is not reused, and the proof says so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc


def policy_uv(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    handed = os.environ.get("UV")
    if handed and Path(handed).is_file():
        return Path(handed)
    running = running_uv(os.environ)
    if running.ok:
        return running.path
    from bootstrap.paths import Paths
    from bootstrap.uv import ensure

    return ensure(Paths.from_env()).path


@dataclass(frozen=True)
class Running:
    """A uv found running this command (or about to), and whether it is the pinned one."""

    path: Path
    ok: bool
    why: str  # how it was verified, or why it was not
    uvx: Path | None = None  # its uvx, when that matches the same record too


def candidates(env: Mapping[str, str]) -> list[Path]:
    """The uv running this: ``UV`` (``uv run`` sets it), ``BOOTSTRAP_UV`` (stage 0 sets
    it), else the first ``uv`` on PATH."""
    found = [Path(env[v]) for v in ("UV", "BOOTSTRAP_UV") if env.get(v)]
    on_path = shutil.which("uv", path=env.get("PATH"))
    if on_path:
        found.append(Path(on_path))
    out: list[Path] = []
    for p in found:
        if p.is_file() and p not in out:
            out.append(p)
    return out


def running_uv(env: Mapping[str, str], uv: Path | None = None) -> Running:
    """The first candidate (or ``uv``) that :func:`verify` ties to the pin; else the
    first one tried, with why it was not."""
    tried = [uv] if uv is not None else candidates(env)
    first: Running | None = None
    for path in tried:
        result = verify(path, env)
        if result.ok:
            return result
        first = first or result
    return first or Running(Path("uv"), False, "no uv runs this check (UV, BOOTSTRAP_UV, PATH)")


def verify(uv: Path, env: Mapping[str, str]) -> Running:
    """Whether ``uv`` is the pinned uv, by the record stage 0 wrote when it installed it
    from a pinned artifact (see the module's docstring for why that record)."""
    from bootstrap.files import sha256_file
    from bootstrap.uv.install import read_marker
    from bootstrap.uv.pin import load
    from bootstrap.uv.platform import detect_triple, exe

    pin = load(env)
    triple = detect_triple(env)
    try:
        binary = uv.resolve(strict=True)
    except OSError:
        return Running(uv, False, f"{uv} does not exist")
    res = proc.run([str(binary), "--version"], timeout=30, env=dict(env))
    words = res.stdout.split()
    if not res.ok or words[:2] != ["uv", pin.version]:
        said = " ".join(words[:2]) or res.describe()
        return Running(uv, False, f"{uv} is {said!r}, not the pinned uv {pin.version}")
    record = read_marker(binary.parent)
    if not record:
        return Running(
            uv,
            False,
            f"{uv} is uv {pin.version}, but no record of a verified install is beside it "
            "(stage 0 writes one): its bytes cannot be tied to the pin",
        )
    pinned = {
        a.sha256: a.filename
        for a in (pin.for_triple(triple, k) for k in ("wheel", "archive"))
        if a is not None
    }
    artifact = record.get("artifact", "")
    if artifact not in pinned:
        return Running(uv, False, f"{uv} was installed from an artifact the pin does not list")
    if sha256_file(binary) != record.get("uv"):
        return Running(uv, False, f"{uv} does not match the SHA-256 recorded when it was installed")
    uvx = binary.parent / exe("uvx", triple)
    good_uvx = uvx if uvx.is_file() and sha256_file(uvx) == record.get("uvx") else None
    return Running(
        uv,
        True,
        f"{uv}: uv {pin.version}, the binary stage 0 unpacked from the pinned "
        f"{pinned[artifact]} (sha256 {artifact[:12]}...)",
        good_uvx,
    )
