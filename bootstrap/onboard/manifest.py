"""The team manifest: the repositories a new hire needs, as a TOML file the team keeps.

::

    name = "payments"                  # the team; names the onboarding in reports
    jobs = 3                           # projects set up side by side (default: 3)

    [[projects]]
    git = "https://git.example.com/payments/api.git"
    ref = "main"                       # a branch, tag or commit (default: the remote's)
    profile = "gpu"                    # default: the profile the project keeps
    strategy = "native"                # a hint `up` gets as --strategy
    target = "linux-x86_64-cu124"      # a variant hint `up` gets as --target
    cache_bundle = "bundles/api.tar"   # relative to this file, or an https URL

Every key is checked like a profile's: an error names the file, the key and what was
expected. Project names (the checkout's directory, by default the repository's name)
must be unique.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.errors import ConfigError, UserError
from bootstrap.profiles.schema import List, Num, Str, Table, Where
from bootstrap.repos.source import GitSource, parse

DEFAULT_NAME = "onboard.toml"
DEFAULT_JOBS = 3
MAX_JOBS = 16
MAX_BYTES = 1 << 20

_NAME = Str(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"), "a name (letters, digits, . _ -)")
PROJECT = Table(
    {
        "git": Str(re.compile(r"^(git\+)?(https|ssh|http|git|file)://\S+$"), "a git URL"),
        "ref": Str(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$"), "a branch, tag or commit"),
        "name": _NAME,
        "profile": Str(expected="a profile name or a path inside the project"),
        "strategy": Str(re.compile(r"^[a-z][a-z0-9-]*$"), "a strategy name"),
        "target": Str(re.compile(r"^[a-z0-9]+-[a-z0-9_]+-[a-z0-9.]+$"), "a target key"),
        "cache_bundle": Str(expected="a bundle path (relative to the manifest) or an https URL"),
    },
    required=("git",),
)
SCHEMA = Table(
    {
        "name": _NAME,
        "jobs": Num(1),
        "projects": List(PROJECT, nonempty=True),
    },
    required=("projects",),
)


@dataclass(frozen=True)
class Project:
    name: str
    source: GitSource
    profile: str | None = None
    strategy: str | None = None
    target: str | None = None
    cache_bundle: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """What a swap file or a report may hold (the source without secrets)."""
        out: dict[str, Any] = {"name": self.name, "git": self.source.spec()}
        for key in ("profile", "strategy", "target"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    jobs: int
    projects: tuple[Project, ...]


def load(path: Path) -> Manifest:
    """Read and check ``path``; every problem is a :class:`ConfigError` naming it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"cannot read the manifest {path}: {exc.strerror or exc}",
            fix="pass the path of the team's manifest: bootstrap onboard PATH "
            f"(default ./{DEFAULT_NAME})",
            code="onboard.no_manifest",
        ) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"{path}: {len(raw)} bytes; a manifest is at most {MAX_BYTES}", code="onboard.too_large"
        )
    data = _toml(raw, path)
    SCHEMA.check(data, Where(path, ""))
    if data.get("jobs") is not None and (
        data["jobs"] != int(data["jobs"]) or data["jobs"] > MAX_JOBS
    ):
        raise Where(path, "jobs").fail(f"a whole number from 1 to {MAX_JOBS}", data["jobs"])
    projects = tuple(
        _project(item, path, Where(path, "projects").item(i))
        for i, item in enumerate(data["projects"])
    )
    seen: dict[str, int] = {}
    for i, project in enumerate(projects):
        if project.name in seen:
            raise (
                Where(path, "projects")
                .item(i)
                .fail(
                    f"a project name not used before (projects[{seen[project.name]}] is "
                    f"{project.name!r} too)",
                    project.name,
                    fix=f'give one of them `name = "..."` in {path.name}',
                )
            )
        seen[project.name] = i
    return Manifest(
        path=path,
        name=data.get("name") or path.resolve().parent.name,
        jobs=int(data.get("jobs", DEFAULT_JOBS)),
        projects=projects,
    )


def _project(item: dict[str, Any], path: Path, where: Where) -> Project:
    try:
        source = parse(item["git"], ref=item.get("ref"), where=f"{path}: `{where.key}.git`")
    except UserError as exc:
        raise ConfigError(str(exc), fix=exc.fix, code="profile.invalid") from None
    bundle = item.get("cache_bundle")
    if bundle and "://" not in bundle:
        bundle = str((path.parent / bundle).resolve())
    return Project(
        name=item.get("name") or source.name,
        source=source,
        profile=item.get("profile"),
        strategy=item.get("strategy"),
        target=item.get("target"),
        cache_bundle=bundle,
    )


def _toml(raw: bytes, path: Path) -> dict[str, Any]:
    from bootstrap.profiles.loader import toml_or_error

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8)", code="onboard.toml"
        ) from None
    return toml_or_error(text, path, code="onboard.toml")
