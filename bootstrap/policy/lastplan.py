"""What the last successful `bootstrap up` chose for an environment, read from its record.

`up` keeps one run record per (profile, project) under the state dir (``runs/*.json``,
written by ``bootstrap.steps.state``); a success records the plan's selection beside it:
the lock, the variant's extras and groups (uv's switches too), the accelerator, the
project, the environment and whether uv may use the network. ``bootstrap doctor``
compares the environment with that selection (not with the profile's default variant:
on a GPU machine `up` chose a CUDA variant), and ``bootstrap run`` runs commands with it.

A record is a file on this machine that other versions of the tool wrote too: anything
missing, of the wrong type or unreadable means "no selection recorded", never a crash.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.lockchoice import SELECTION_SWITCHES, LockChoice
from bootstrap.paths import Paths

_MAX_RECORD = 1 << 20  # a run record is a few kilobytes; anything bigger is not one


@dataclass(frozen=True)
class LastPlan:
    lock: LockChoice
    variant: str  # the accelerator of the plan's target: "cpu", "cu124", "rocm6.2"
    target: str  # "<os>-<arch>-<accel>"
    profile: str
    project: Path
    venv: Path
    network: str  # offline | fallback | online, as the plan had it
    at: float  # when that `up` succeeded (seconds since the epoch)
    record: Path  # the run record it was read from
    uv: Path | None = None  # the (pinned) uv that synced the environment

    def described(self) -> str:
        """ "cu124 variant (--extra cu124)": the selection as uv's flags, when any."""
        flags = self.lock.selection_text()
        return f"{self.variant} variant" + (f" ({flags})" if flags else "")


def read(path: Path) -> LastPlan | None:
    """The selection a run record's last success holds; None when it holds none."""
    try:
        if path.stat().st_size > _MAX_RECORD:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    success = data.get("success") if isinstance(data, dict) else None
    chosen = success.get("selection") if isinstance(success, dict) else None
    if not isinstance(chosen, dict):
        return None
    with contextlib.suppress(TypeError, ValueError, KeyError):
        return LastPlan(
            lock=_lock(chosen["lock"]),
            variant=_text(chosen["variant"]),
            target=_text(chosen["target"]),
            profile=_text(chosen["profile"]),
            project=Path(_text(chosen["project"])),
            venv=Path(_text(chosen["venv"])),
            network=_text(chosen.get("network", "offline")),
            at=float(success.get("at", 0.0)),  # type: ignore[union-attr]
            record=path,
            uv=Path(_text(chosen["uv"])) if "uv" in chosen else None,
        )
    return None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(value)
    return value


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TypeError(value)
    return tuple(value)


def _lock(data: Any) -> LockChoice:
    if not isinstance(data, dict) or data.get("kind") not in ("uv", "pylock"):
        raise TypeError(data)
    for key in ("extras", "groups", "only_groups"):
        _names(data.get(key, []))
    if not all(isinstance(data.get(k, False), bool) for k in SELECTION_SWITCHES):
        raise TypeError(data)
    path = _text(data.get("path"))
    if Path(path).is_absolute() or ".." in Path(path).parts:
        raise ValueError(path)  # a lock lives inside its project
    return LockChoice.from_dict(data)


def newest(records: Iterable[Path], venv: Path | None = None) -> LastPlan | None:
    """The most recent recorded selection among ``records`` (for ``venv`` when given)."""
    found = [p for p in map(read, records) if p is not None]
    if venv is not None:
        want = str(venv.absolute())
        found = [p for p in found if str(p.venv) == want]
    return max(found, key=lambda p: p.at, default=None)


def for_directory(paths: Paths, where: Path) -> LastPlan | None:
    """The selection recorded for the project that holds ``where`` (the directory itself
    or one above it; the deepest such project wins, then the most recent run)."""
    try:
        records = sorted(paths.runs.glob("*.json"))
    except OSError:
        return None
    here = where.resolve()
    best: LastPlan | None = None
    for plan in filter(None, map(read, records)):
        if not _within(here, plan.project):
            continue
        if (
            best is None
            or len(plan.project.parts) > len(best.project.parts)
            or (plan.project == best.project and plan.at > best.at)
        ):
            best = plan
    return best


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
