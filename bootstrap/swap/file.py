"""The swap file: every environment one machine set up, for the next machine.

JSON, written by ``bootstrap swap export`` and read by ``swap restore`` / ``swap check``.
It travels (a USB stick, a chat message, a shared drive), so it holds nothing secret
(git URLs without credentials, sinks without tokens) and no raw host or user name
(paths under the home directory are written ``~/...``); and it is read as untrusted
input: bounded in size, parsed strictly, every field checked, text stripped of control
characters. A cache bundle it names is checked against the SHA-256 the file records and
then, as every bundle is, against the project's own lock.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bootstrap.errors import ConfigError

SWAP_VERSION = 1
MAX_BYTES = 4 << 20
MAX_PROJECTS = 500
_TEXT = 4096
_SHA = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
_TARGET = re.compile(r"^[a-z0-9]+-[a-z0-9_]+-[a-z0-9.]+$")
_BUNDLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.tar(\.gz)?$")


@dataclass(frozen=True)
class Bundle:
    target: str
    file: str  # a file name beside the swap file (in its ``<name>.bundles/`` directory)
    sha256: str


@dataclass(frozen=True)
class Entry:
    name: str
    path: str  # "~/..." under the home directory, else absolute
    git: str  # git+URL, no credentials
    branch: str | None  # None: a detached HEAD (``commit`` says where)
    commit: str
    profile: str | None = None  # None: the profile the project keeps
    strategy: str | None = None
    target: str | None = None  # what the old machine's plan chose
    python: str | None = None
    tools: tuple[tuple[str, str], ...] = ()
    sinks: tuple[str, ...] = ()  # "kind url" without credentials
    bundles: tuple[Bundle, ...] = ()
    unpushed: tuple[dict[str, str], ...] = ()  # what export was told to let through

    def local_path(self) -> Path:
        return Path(self.path).expanduser()


@dataclass(frozen=True)
class SwapFile:
    projects: tuple[Entry, ...]
    created_at: str
    tool_version: str
    source: dict[str, str] = field(default_factory=dict)  # os, arch, accel of the old machine

    def to_json(self) -> str:
        body = {
            "swap_version": SWAP_VERSION,
            "created_at": self.created_at,
            "tool_version": self.tool_version,
            "source": self.source,
            "projects": [asdict(e) for e in self.projects],
        }
        return json.dumps(body, indent=2) + "\n"


def home_relative(path: Path) -> str:
    """``path`` as ``~/...`` when it is under the home directory (no user name)."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


def load(path: Path) -> SwapFile:
    """Read and check a swap file; anything wrong is one :class:`ConfigError` (exit 2)
    naming the file and the field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the swap file {path}: {exc.strerror or exc}",
            fix="pass the file `bootstrap swap export` wrote",
            code="swap.unreadable",
        ) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"{path}: {len(raw)} bytes; a swap file is at most {MAX_BYTES}", code="swap.too_large"
        )
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(
            f"{path}: not a swap file (not valid JSON: {str(exc)[:120]})", code="swap.bad_json"
        ) from None
    check = _Checker(path)
    check.obj(data, "", {"swap_version", "created_at", "tool_version", "source", "projects"})
    if data.get("swap_version") != SWAP_VERSION:
        raise check.fail(
            "swap_version", f"{SWAP_VERSION} (this version reads that)", data.get("swap_version")
        )
    projects = data.get("projects")
    if not isinstance(projects, list) or not 0 < len(projects) <= MAX_PROJECTS:
        raise check.fail("projects", f"a list of 1 to {MAX_PROJECTS} projects", projects)
    source = data.get("source", {})
    check.obj(source, "source", {"os", "arch", "accel"})
    return SwapFile(
        projects=tuple(check.entry(p, f"projects[{i}]") for i, p in enumerate(projects)),
        created_at=check.text(data.get("created_at"), "created_at"),
        tool_version=check.text(data.get("tool_version"), "tool_version"),
        source={k: check.text(v, f"source.{k}") for k, v in source.items()},
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, expected: str, found: object) -> ConfigError:
        shown = (
            repr(found)[:80]
            if isinstance(found, (str, int, float, type(None)))
            else type(found).__name__
        )
        return ConfigError(
            f"{self.path}: `{key}`: expected {expected}, found {shown}",
            fix="export it again with `bootstrap swap export`",
            code="swap.invalid",
        )

    def obj(self, value: object, key: str, allowed: set[str]) -> None:
        if not isinstance(value, dict):
            raise self.fail(key or "the file", "an object", value)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0], "no such field", unknown[0]
            )

    def text(self, value: object, key: str, pattern: re.Pattern[str] | None = None) -> str:
        from bootstrap.sanitize import clean_text

        if not isinstance(value, str) or not value or len(value) > _TEXT:
            raise self.fail(key, f"a string of 1 to {_TEXT} characters", value)
        if clean_text(value) != value or "\n" in value:
            raise self.fail(key, "text without control characters", value)
        if pattern is not None and not pattern.match(value):
            raise self.fail(key, f"a value matching {pattern.pattern}", value)
        return value

    def optional(
        self, value: object, key: str, pattern: re.Pattern[str] | None = None
    ) -> str | None:
        return None if value is None else self.text(value, key, pattern)

    def entry(self, raw: object, key: str) -> Entry:
        from bootstrap.errors import UserError
        from bootstrap.repos.source import parse

        fields = set(Entry.__dataclass_fields__)
        self.obj(raw, key, fields)
        assert isinstance(raw, dict)  # noqa: S101 - checked just above
        git = self.text(raw.get("git"), f"{key}.git")
        try:
            parse(git, where=f"{self.path}: `{key}.git`")
        except UserError as exc:
            raise ConfigError(str(exc), fix=exc.fix, code="swap.invalid") from None
        name = self.text(
            raw.get("name"), f"{key}.name", re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
        )
        path = self.text(raw.get("path"), f"{key}.path")
        parts = Path(path).parts
        if not (path.startswith("~/") or Path(path).is_absolute()) or ".." in parts:
            raise self.fail(f"{key}.path", "~/DIR or /DIR, with no ..", path)
        return Entry(
            name=name,
            path=path,
            git=git,
            branch=self.optional(raw.get("branch"), f"{key}.branch", _BRANCH),
            commit=self.text(raw.get("commit"), f"{key}.commit", _COMMIT),
            profile=self.optional(raw.get("profile"), f"{key}.profile"),
            strategy=self.optional(
                raw.get("strategy"), f"{key}.strategy", re.compile(r"^[a-z][a-z0-9-]*$")
            ),
            target=self.optional(raw.get("target"), f"{key}.target", _TARGET),
            python=self.optional(
                raw.get("python"), f"{key}.python", re.compile(r"^\d+\.\d+(\.\d+)?\S*$")
            ),
            tools=tuple(self._pairs(raw.get("tools", []), f"{key}.tools")),
            sinks=tuple(self._texts(raw.get("sinks", []), f"{key}.sinks")),
            bundles=tuple(self._bundles(raw.get("bundles", []), f"{key}.bundles")),
            unpushed=tuple(self._unpushed(raw.get("unpushed", []), f"{key}.unpushed")),
        )

    def _list(self, value: object, key: str) -> list[Any]:
        if not isinstance(value, list) or len(value) > 100:
            raise self.fail(key, "a list of at most 100 items", value)
        return value

    def _pairs(self, value: object, key: str) -> list[tuple[str, str]]:
        out = []
        for i, item in enumerate(self._list(value, key)):
            if not (isinstance(item, list) and len(item) == 2):
                raise self.fail(f"{key}[{i}]", "[name, version]", item)
            out.append((self.text(item[0], f"{key}[{i}][0]"), self.text(item[1], f"{key}[{i}][1]")))
        return out

    def _texts(self, value: object, key: str) -> list[str]:
        return [self.text(v, f"{key}[{i}]") for i, v in enumerate(self._list(value, key))]

    def _bundles(self, value: object, key: str) -> list[Bundle]:
        out = []
        for i, item in enumerate(self._list(value, key)):
            where = f"{key}[{i}]"
            self.obj(item, where, {"target", "file", "sha256"})
            assert isinstance(item, dict)  # noqa: S101
            out.append(
                Bundle(
                    target=self.text(item.get("target"), f"{where}.target", _TARGET),
                    file=self.text(item.get("file"), f"{where}.file", _BUNDLE_NAME),
                    sha256=self.text(item.get("sha256"), f"{where}.sha256", _SHA),
                )
            )
        return out

    def _unpushed(self, value: object, key: str) -> list[dict[str, str]]:
        out = []
        for i, item in enumerate(self._list(value, key)):
            where = f"{key}[{i}]"
            self.obj(item, where, {"kind", "detail", "fix"})
            assert isinstance(item, dict)  # noqa: S101
            out.append(
                {k: self.text(item.get(k), f"{where}.{k}") for k in ("kind", "detail", "fix")}
            )
        return out
