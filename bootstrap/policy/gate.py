"""`bootstrap check`: the team's CI gate, checks (a) to (f), each naming file, finding and fix.

(a) uv.lock is current (``uv lock --check``, offline first, then with the index);
(b) the per-target locks are current (:mod:`bootstrap.policy.locks`);
(c) every locked distribution is pinned by a hash (:mod:`bootstrap.policy.hashes`);
(d) one uv version everywhere (:mod:`bootstrap.policy.pins`), and a sound interpreter pin
    (:mod:`bootstrap.policy.pythonpin`);
(e) no global installs (:mod:`bootstrap.policy.installs`);
(f) the offline proof (:mod:`bootstrap.policy.offline`).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc
from bootstrap.policy.findings import CheckResult, Finding
from bootstrap.policy.scan import rel
from bootstrap.profiles import Profile

TITLES = {
    "a": "uv.lock is current",
    "b": "per-target locks are current",
    "c": "every locked distribution is pinned by hash",
    "d": "one uv version everywhere",
    "e": "no global installs",
    "f": "offline proof: sync and first run with no network",
}
ALL = tuple(TITLES)


@dataclass(frozen=True)
class GateInput:
    profile: Profile
    root: Path  # the repository: where install.sh, the pin and the CI files live
    uv: Path
    bundle: str | None = None


def run(inp: GateInput, only: Sequence[str] = ALL) -> list[CheckResult]:
    checks: dict[str, Callable[[GateInput], CheckResult]] = {
        "a": _uv_lock,
        "b": _target_locks,
        "c": _hashes,
        "d": _pins,
        "e": _installs,
        "f": _offline,
    }
    return [checks[name](inp) for name in ALL if name in only]


def _project(inp: GateInput) -> Path:
    return Path(inp.profile.project.path)


def _shown(path: Path, inp: GateInput) -> str:
    return rel(path, inp.root)


def _uv_lock(inp: GateInput) -> CheckResult:
    project = _project(inp)
    lock = project / "uv.lock"
    if not any(lk.kind == "uv" for lk in inp.profile.locks):
        return CheckResult("a", TITLES["a"], skipped="the profile has no uv lock")
    shown = _shown(lock, inp)
    fix = f"uv lock --project {shlex.quote(_shown(project, inp) or '.')}   (then commit uv.lock)"
    if not lock.is_file():
        return CheckResult(
            "a", TITLES["a"], (Finding("uv-lock", "uv.lock does not exist", fix, shown),)
        )
    argv = [str(inp.uv), "lock", "--check", "--project", str(project)]
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    res = proc.run([*argv, "--offline"], env=env, cwd=project, timeout=300)
    note = "checked offline from the cache"
    if not res.ok and _needs_index(res.stderr):
        res = proc.run(argv, env=env, cwd=project, timeout=300)
        note = "checked against the index"
    if res.ok:
        return CheckResult("a", TITLES["a"], notes=(note,))
    tail = [ln for ln in res.stderr.strip().splitlines() if ln.strip()][-3:]
    message = "uv.lock does not match pyproject.toml" if "needs to be updated" in res.stderr else (
        "uv could not check uv.lock")  # fmt: skip
    return CheckResult(
        "a", TITLES["a"], (Finding("uv-lock", message, fix, shown, None, tuple(tail)),)
    )


def _needs_index(stderr: str) -> bool:
    return any(
        s in stderr
        for s in ("network connectivity is disabled", "Network connectivity is disabled",
                  "not found in the cache", "offline")
    )  # fmt: skip


def _target_locks(inp: GateInput) -> CheckResult:
    from bootstrap.policy import locks
    from bootstrap.policy.buildlock import BUILD_LOCK
    from bootstrap.policy.toollock import TOOLS_LOCK

    project = _project(inp)
    declared = any(lk.kind == "pylock" for lk in inp.profile.locks)
    pattern = locks.output_pattern(inp.profile)
    present = [
        p
        for p in project.glob(pattern.replace("{target}", "*"))
        if p.name not in (TOOLS_LOCK, BUILD_LOCK)
    ]
    fix = (
        f"bootstrap lock --profile {shlex.quote(inp.profile.name)}   (then commit the pylock files)"
    )
    if not declared and not present:
        # No per-target locks; the build backend's lock is checked all the same.
        drift = locks.build_drift(inp.uv, inp.profile)
        if not drift and not (project / BUILD_LOCK).is_file():
            return CheckResult("b", TITLES["b"], skipped="the profile declares no per-target locks")
    else:
        drift = locks.check(inp.uv, inp.profile)
    findings = tuple(
        Finding("target-locks", f"{d.target}: {d.status}", fix, _shown(project / d.file, inp),
                None, tuple(d.lines()))
        for d in drift
    )  # fmt: skip
    return CheckResult("b", TITLES["b"], findings)


def _hashes(inp: GateInput) -> CheckResult:
    from bootstrap.policy import hashes, locks

    project = _project(inp)
    files = [project / "uv.lock"] if (project / "uv.lock").is_file() else []
    pattern = locks.output_pattern(inp.profile)
    files += sorted(project.glob(pattern.replace("{target}", "*")))
    findings: list[Finding] = []
    for path in files:
        findings += hashes.check_file(path, _shown(path, inp))
    notes = tuple(_shown(p, inp) for p in files)
    return CheckResult("c", TITLES["c"], tuple(findings), notes=notes)


def _pins(inp: GateInput) -> CheckResult:
    from bootstrap.policy import pins

    version, source = pins.pinned_version(inp.root)
    findings = pins.check(inp.root, (_project(inp),))
    # The interpreter pin, checked like the uv pin (bootstrap.policy.pythonpin).
    from bootstrap.policy import pythonpin

    py_findings, py_notes = pythonpin.check(inp.root, inp.profile.project.python, inp.uv)
    return CheckResult(
        "d",
        TITLES["d"],
        tuple(findings + py_findings),
        notes=(f"uv {version} ({source})", *py_notes),
    )


def _installs(inp: GateInput) -> CheckResult:
    from bootstrap.policy import installs

    roots = [inp.root]
    project = _project(inp)
    if project.resolve() != inp.root.resolve() and not _inside(project, inp.root):
        roots.append(project)
    tools = dict(inp.profile.tools)
    findings: list[Finding] = []
    for r in roots:
        findings += [
            Finding(f.check, f.message, f.fix, _shown(r / f.file, inp) if f.file else None,
                    f.line)
            for f in installs.check(r, tools)
        ]  # fmt: skip
    return CheckResult("e", TITLES["e"], tuple(findings))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _offline(inp: GateInput) -> CheckResult:
    from bootstrap.policy import offline

    proof = offline.prove(inp.profile.source, inp.uv, inp.bundle)
    note = f"no network: {proof.how}"
    notes = (note, f"uv: {proof.uv}") if proof.uv else (note,)
    if proof.ok:
        return CheckResult("f", TITLES["f"], notes=(*notes, *proof.timing))
    src = f" --cache-bundle {inp.bundle}" if inp.bundle else ""
    return CheckResult(
        "f",
        TITLES["f"],
        (
            Finding(
                "offline-proof",
                f"`bootstrap up --profile {inp.profile.name}{src}` failed with no network "
                f"(exit {proof.exit_code})",
                "warm the cache on a machine with network (`bootstrap up --online`), or make a "
                "bundle: `bootstrap cache pack`; exit 4 above names what the cache lacks"
                + (
                    "; to need no download of uv, run the check with the uv stage 0 "
                    "installed (`sh install.sh --uv run bootstrap check`) or give the bundle"
                    if "not reused" in proof.uv
                    else ""
                ),
                inp.profile.source,
                None,
                ((f"uv: {proof.uv}",) if "not reused" in proof.uv else ()) + proof.tail,
            ),
        ),
        notes=notes,
    )
