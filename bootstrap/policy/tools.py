"""Pinned tools: the profile's ``[tools]`` (``ruff = "0.6.9"``), run as ``uvx NAME@VERSION``.

``warm`` runs each once (``uvx NAME@VERSION --version``) so that uv's cache holds it and
the same command works offline afterwards.

A tool that came in a cache bundle sits in the wheelhouse, not on an index: uv resolves
``uvx --offline NAME@VERSION`` only from index pages it has cached, and a bundle never
writes uv's cache, so on a machine that never had network the command that works is
``uvx --offline --find-links <wheelhouse> NAME@VERSION`` (the wheelhouse holds only files
checked against the repository's locks, ``pylock.tools.toml`` for the tools).
"""

from __future__ import annotations

import os
import re
import shlex
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

    def command_with(self, wheelhouse: Path | None) -> str:
        """The command that runs it here: from the wheelhouse when a bundle brought it."""
        if wheelhouse is None or not self.in_wheelhouse(wheelhouse):
            return self.command
        return (
            f"uvx --offline --find-links {shlex.quote(str(wheelhouse))} {self.name}@{self.version}"
        )

    def in_wheelhouse(self, wheelhouse: Path) -> bool:
        from bootstrap.platforms import dist_file, normalize_version

        want = (re.sub(r"[-_.]+", "-", self.name).lower(), normalize_version(self.version))
        try:
            dists = [dist_file(p.name) for p in wheelhouse.iterdir()]
        except OSError:
            return False
        return any(d is not None and d.is_wheel and (d.name, d.version) == want for d in dists)

    def to_dict(self, wheelhouse: Path | None = None) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "command": self.command_with(wheelhouse),
        }


def tools(profile: Profile) -> list[Tool]:
    return [Tool(name, version) for name, version in profile.tools]


def run_argv(uv: Path, tool: Tool, *, offline: bool, wheelhouse: Path | None) -> list[str]:
    """``uv tool run [--offline] [--find-links WHEELHOUSE] NAME@VERSION``."""
    argv = [str(uv), "tool", "run"]
    if offline:
        argv.append("--offline")
    if wheelhouse is not None and tool.in_wheelhouse(wheelhouse):
        argv += ["--find-links", str(wheelhouse)]
    return [*argv, f"{tool.name}@{tool.version}"]


@dataclass(frozen=True)
class Warmed:
    tool: Tool
    ok: bool
    detail: str


def warm(
    uv: Path,
    profile: Profile,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
    wheelhouse: Path | None = None,
) -> list[Warmed]:
    run_env = dict(os.environ if env is None else env)
    out = []
    for t in tools(profile):
        argv = [*run_argv(uv, t, offline=offline, wheelhouse=wheelhouse), "--version"]
        res = proc.run(argv, env=run_env, timeout=600)
        detail = (res.stdout.strip().splitlines() or [""])[0] if res.ok else res.describe()
        out.append(Warmed(t, res.ok, detail))
    return out
