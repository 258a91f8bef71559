"""`swap check`: what differs between a swap file and this machine, as `brew bundle
check` does for packages: a project missing, cloned from elsewhere, not set up, set up
with another variant, or whose environment changed since its last setup. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bootstrap.paths import Paths
from bootstrap.repos.checkout import git
from bootstrap.repos.source import parse
from bootstrap.swap.file import SwapFile
from bootstrap.swap.machine import environments
from bootstrap.swap.restore import destination


@dataclass(frozen=True)
class Difference:
    name: str
    kind: str  # missing | other-origin | not-set-up | other-variant | drifted
    detail: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "detail": self.detail, "fix": self.fix}


def differences(swap: SwapFile, *, workspace: Path | None) -> list[Difference]:
    from bootstrap.steps.state import installed_signature

    envs = {e.project.resolve(): e for e in environments(Paths.from_env())}
    out: list[Difference] = []
    for entry in swap.projects:
        path = destination(entry, workspace)
        up = f"bootstrap up --project {path}"
        if not (path / ".git").exists():
            fix = "bootstrap swap restore FILE"
            out.append(Difference(entry.name, "missing", f"{path} is not there", fix))
            continue
        origin = git(path, "remote", "get-url", "origin").stdout.strip()
        wanted = parse(entry.git).shown
        if not origin or parse(origin, where="origin").shown != wanted:
            detail = f"{path} is a clone of {origin or 'nothing'}, not {wanted}"
            fix = f"move {path} away, then bootstrap swap restore FILE"
            out.append(Difference(entry.name, "other-origin", detail, fix))
            continue
        env = envs.get(path.resolve())
        if env is None:
            detail = f"{path} has no environment set up here"
            out.append(Difference(entry.name, "not-set-up", detail, up))
            continue
        if entry.target and env.target != entry.target:
            detail = f"{entry.target} in the file, {env.target} here"
            fix = f"{up} --target {entry.target} (if this machine can hold it)"
            out.append(Difference(entry.name, "other-variant", detail, fix))
        if env.venv is not None and env.signature != installed_signature(env.venv):
            detail = f"the environment in {env.venv} changed since it was set up"
            out.append(Difference(entry.name, "drifted", detail, f"{up} --refresh"))
    return out
