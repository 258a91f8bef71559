"""The environments this machine set up, read back from the run records `up` keeps.

Every successful `bootstrap up` leaves a record in the state directory's ``runs/`` (the
no-op check reads it). Its ``report`` part says which profile, target and strategy the
plan chose, its ``selection`` the project's directory and the profile file; for older
records the project is the directory of the ``pyproject.toml`` among the files the
record watches. Records are this tool's own files, still read defensively: a record that
does not parse is skipped, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.paths import Paths

MAX_RECORD = 1 << 20


@dataclass(frozen=True)
class Environment:
    key: str  # the run record's name
    project: Path
    profile: str  # the profile's name, as the plan recorded it
    profile_path: str | None  # the file it came from ("" / None: unknown)
    target: str | None
    strategy: str | None
    venv: Path | None
    signature: str | None  # what the environment held at its last success


def environments(paths: Paths) -> list[Environment]:
    """Every environment with a recorded success here, one per (project, profile)."""
    out: dict[tuple[str, str], Environment] = {}
    runs = paths.runs
    for record in sorted(runs.glob("*.json")) if runs.is_dir() else []:
        env = _read(record)
        if env is not None:
            out[(str(env.project), env.profile)] = env
    return sorted(out.values(), key=lambda e: (str(e.project), e.profile))


def _read(record: Path) -> Environment | None:
    try:
        if record.stat().st_size > MAX_RECORD:
            return None
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    success = data.get("success") if isinstance(data, dict) else None
    if not isinstance(success, dict):
        return None
    basis = success.get("report")
    inputs = success.get("inputs")
    if not isinstance(basis, dict) or not isinstance(inputs, dict):
        return None
    # What the plan chose (`selection`, written by this version); older records: the
    # directory of the pyproject.toml the record watches.
    raw_chosen = success.get("selection")
    chosen: dict[str, Any] = raw_chosen if isinstance(raw_chosen, dict) else {}
    project = _str(chosen.get("project")) or _project_from(inputs)
    profile = _str(basis.get("profile"))
    if not project or not profile:
        return None
    raw_dists = inputs.get("dists")
    dists: dict[str, Any] = raw_dists if isinstance(raw_dists, dict) else {}
    venv = _str(dists.get("venv"))
    return Environment(
        key=record.stem,
        project=Path(project),
        profile=profile,
        profile_path=_str(chosen.get("profile_path")),
        target=_str(basis.get("target")),
        strategy=_str(basis.get("strategy")),
        venv=Path(venv) if venv else None,
        signature=_str(dists.get("signature")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _project_from(inputs: dict[str, Any]) -> str | None:
    files = inputs.get("files")
    if not isinstance(files, dict):
        return None
    found = [Path(f).parent for f in files if isinstance(f, str) and f.endswith("/pyproject.toml")]
    return str(found[0]) if len(found) == 1 else None


def python_version(venv: Path | None) -> str | None:
    """The environment's Python (``version_info`` in its ``pyvenv.cfg``)."""
    if venv is None:
        return None
    try:
        text = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version_info", "version"):
            return value.strip() or None
    return None
