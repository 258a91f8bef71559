"""Pinned tools: the profile's ``[tools]`` (``ruff = "0.6.9"``), run as ``uvx NAME@VERSION``.

``warm`` runs each once (``uvx NAME@VERSION --version``) so that uv's cache holds it and
the same command works offline afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc
from bootstrap.profiles import Profile


@dataclass(frozen=True)
class Tool:
    name: str
    version: str

    @property
    def command(self) -> str:
        return f"uvx {self.name}@{self.version}"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "command": self.command}


def tools(profile: Profile) -> list[Tool]:
    return [Tool(name, version) for name, version in profile.tools]


@dataclass(frozen=True)
class Warmed:
    tool: Tool
    ok: bool
    detail: str


def warm(
    uv: Path, profile: Profile, *, offline: bool = False, env: Mapping[str, str] | None = None
) -> list[Warmed]:
    run_env = dict(os.environ if env is None else env)
    out = []
    for t in tools(profile):
        argv = [str(uv), "tool", "run"]
        if offline:
            argv.append("--offline")
        argv += [f"{t.name}@{t.version}", "--version"]
        res = proc.run(argv, env=run_env, timeout=600)
        detail = (res.stdout.strip().splitlines() or [""])[0] if res.ok else res.describe()
        out.append(Warmed(t, res.ok, detail))
    return out
