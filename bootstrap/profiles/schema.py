"""The profile schema, as data: every key a profile may hold, what it expects, and the
error that names the file, the key path and what was found."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import ConfigError
from bootstrap.platforms import EXPECTED, TARGET_RE
from bootstrap.profiles.model import (
    ACCEL_RE,
    GPU_NEEDS,
    KINDS,
    PLATFORM_RE,
    PYTHON_DOWNLOADS,
    SINK_KINDS,
    STRATEGIES,
)

if TYPE_CHECKING:
    pass


# -- the schema, as data ----------------------------------------------------------------


class Spec:
    expected = "a value"

    def check(self, value: Any, where: Where) -> None:
        raise NotImplementedError


@dataclass
class Where:
    file: Path
    key: str

    def child(self, name: str) -> Where:
        return Where(self.file, f"{self.key}.{name}" if self.key else name)

    def item(self, index: int) -> Where:
        return Where(self.file, f"{self.key}[{index}]")

    def missing(self, expected: str) -> ConfigError:
        parent, _, key = self.key.rpartition(".")
        return ConfigError(
            f"{self.file}: `{self.key}` is missing: expected {expected}",
            fix=f"add `{key} = ...` to {_table_name(parent)} in {self.file.name}",
            code="profile.missing_key",
        )

    def fail(self, expected: str, found: Any, fix: str | None = None) -> ConfigError:
        return ConfigError(
            f"{self.file}: `{self.key}`: expected {expected}, found {_show(found)}",
            fix=fix or f"set `{self.key}` to {expected} in {self.file.name}",
            code="profile.invalid",
        )


def _show(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array {value!r}" if len(repr(value)) < 60 else "an array"
    return f"{names.get(type(value), type(value).__name__)} {value!r}"


class Str(Spec):
    def __init__(self, pattern: re.Pattern[str] | None = None, expected: str = "a string"):
        self.pattern = pattern
        self.expected = expected

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, str) or (self.pattern and not self.pattern.match(value)):
            raise where.fail(self.expected, value)


class Bool(Spec):
    expected = "true or false"

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, bool):
            raise where.fail(self.expected, value)


class Num(Spec):
    def __init__(self, minimum: float = 0.0):
        self.minimum = minimum
        self.expected = f"a number > {minimum:g}" if minimum == 0 else f"a number >= {minimum:g}"

    def check(self, value: Any, where: Where) -> None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or value < self.minimum or (self.minimum == 0 and value <= 0):
            raise where.fail(self.expected, value)


class Enum(Spec):
    def __init__(self, *values: str):
        self.values = values
        self.expected = "one of " + ", ".join(f'"{v}"' for v in values)

    def check(self, value: Any, where: Where) -> None:
        if value not in self.values:
            hint = suggest(str(value), self.values) if isinstance(value, str) else ""
            raise where.fail(self.expected + hint, value)


class List(Spec):
    def __init__(self, item: Spec, *, unique: bool = False, nonempty: bool = False):
        self.item = item
        self.unique = unique
        self.nonempty = nonempty
        self.expected = f"an array of {item.expected.removeprefix('a ').removeprefix('an ')}"
        if item.expected.startswith("one of"):
            self.expected = f"an array whose items are {item.expected}"

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, list) or (self.nonempty and not value):
            expected = self.expected
            if self.nonempty:
                expected = "a non-empty " + expected.removeprefix("an ").removeprefix("a ")
            raise where.fail(expected, value)
        for i, item in enumerate(value):
            self.item.check(item, where.item(i))
        if self.unique:
            dupes = sorted({str(v) for v in value if value.count(v) > 1})
            if dupes:
                raise where.fail(self.expected + " without repeats", value)


class Url(Spec):
    expected = "an https URL (plain http only to 127.0.0.1/localhost)"

    def check(self, value: Any, where: Where) -> None:
        from bootstrap.net import url_problem
        from bootstrap.redact import redact_url

        if not isinstance(value, str):
            raise where.fail(self.expected, value)
        problem = url_problem(value)
        if problem:
            raise where.fail(self.expected, redact_url(value), fix=problem)


class Command(Spec):
    expected = "a command: a non-empty string or an array of strings"

    def check(self, value: Any, where: Where) -> None:
        if isinstance(value, str) and value.strip():
            import shlex

            try:
                shlex.split(value)
            except ValueError as exc:  # "No closing quotation", "No escaped character"
                raise where.fail(
                    f"a command line with balanced quotes ({str(exc).lower()})",
                    value,
                    fix="close the quote, or write the command as an array of strings",
                ) from None
            return
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return
        raise where.fail(self.expected, value)


class Table(Spec):
    expected = "a table"

    def __init__(self, fields: Mapping[str, Spec], required: Sequence[str] = ()):
        self.fields = dict(fields)
        self.required = tuple(required)

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, dict):
            raise where.fail(self.expected, value)
        for key, item in value.items():
            spec = self.fields.get(key)
            if spec is None:
                raise _unknown(where, key, self.fields)
            spec.check(item, where.child(key))
        for key in self.required:
            if key not in value:
                raise ConfigError(
                    f"{where.file}: `{where.child(key).key}` is missing: expected "
                    f"{self.fields[key].expected}",
                    fix=f"add `{key} = ...` to {_table_name(where.key)} in {where.file.name}",
                    code="profile.missing_key",
                )


class Map(Spec):
    """A table with free-form keys (checked by ``key``) and one kind of value."""

    def __init__(self, key: Str, value: Spec):
        self.key = key
        self.value = value
        self.expected = f"a table whose keys are {key.expected}"

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, dict):
            raise where.fail(self.expected, value)
        for k, v in value.items():
            self.key.check(k, where.child(k))
            self.value.check(v, where.child(k))


class TableList(Spec):
    def __init__(self, table: Table):
        self.table = table
        self.expected = "an array of tables ([[...]])"

    def check(self, value: Any, where: Where) -> None:
        if not isinstance(value, list):
            raise where.fail(self.expected, value)
        for i, item in enumerate(value):
            self.table.check(item, where.item(i))


def _unknown(where: Where, key: str, known: Mapping[str, Any]) -> ConfigError:
    path = where.child(key).key
    return ConfigError(
        f"{where.file}: unknown key `{path}`{suggest(key, known)}",
        fix=f"known keys in {_table_name(where.key)}: {', '.join(sorted(known))}",
        code="profile.unknown_key",
    )


def suggest(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _table_name(key: str) -> str:
    return f"[{key}]" if key else "the top level"


_PLATFORM = Str(PLATFORM_RE, 'a platform "<os>-<arch>" (e.g. "linux-x86_64", "macos-*")')
_ACCEL = Str(ACCEL_RE, 'an accelerator ("cpu", "cu126", "rocm6.2")')
_NAME = Str(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"), "a name (letters, digits, . _ -)")

# What a uv lock installs, as uv's flags have it: each key is one flag of `uv sync`
# (extras -> --extra, groups -> --group, only_groups -> --only-group, all_groups ->
# --all-groups, no_default_groups -> --no-default-groups, no_dev -> --no-dev,
# all_extras -> --all-extras). Allowed on a [[locks]] table and on each variant.
SELECTION: dict[str, Spec] = {
    "extras": List(_NAME, unique=True),
    "all_extras": Bool(),
    "groups": List(_NAME, unique=True),
    "no_default_groups": Bool(),
    "only_groups": List(_NAME, unique=True, nonempty=True),
    "all_groups": Bool(),
    "no_dev": Bool(),
}
SELECTION_KEYS = tuple(SELECTION)
# Pairs uv itself refuses together (`uv sync` exits 2 on them).
SELECTION_CONFLICTS = (
    ("only_groups", "groups"),
    ("only_groups", "all_groups"),
    ("all_extras", "extras"),
)

VARIANT = Table({**SELECTION, "platforms": List(_PLATFORM)})
LOCK = Table(
    {
        **SELECTION,
        "kind": Enum("uv", "pylock"),
        "path": Str(expected="a path relative to the project"),
        "variants": Map(_ACCEL, VARIANT),
        "platforms": List(_PLATFORM, nonempty=True),
        "files": Map(
            Str(TARGET_RE, f"a target key {EXPECTED}"),
            Str(expected="a path relative to the project"),
        ),
    },
    required=("kind",),
)
SINK = Table(
    {
        "kind": Enum(*SINK_KINDS),
        "url": Url(),
        "path": Str(),
        "token_env": Str(re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$"), "an environment variable name"),
        "job": _NAME,
        "timeout_seconds": Num(),
    },
    required=("kind",),
)
SCHEMA = Table(
    {
        "name": _NAME,
        "description": Str(),
        "extends": Str(
            re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*|.+\.toml)$"),
            "a profile name or a path to a .toml file",
        ),
        "kind": Enum(*KINDS),
        "budget_seconds": Num(),
        "project": Table(
            {
                "path": Str(expected="a directory, relative to this profile file"),
                "git": Str(
                    re.compile(r"^(git\+)?(https|ssh|http|git|file)://\S+$"),
                    'a git URL ("https://git.example.com/team/svc.git", "ssh://git@...")',
                ),
                "ref": Str(
                    re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$"), "a branch, tag or commit"
                ),
                "python": Str(
                    re.compile(r"^\s*(==|>=|<=|~=|!=|<|>)?\s*\d"),
                    'a version requirement (">=3.11")',
                ),
                "python_downloads": Enum(*PYTHON_DOWNLOADS),
            }
        ),
        "locks": TableList(LOCK),
        "needs": Table(
            {
                "linux_only": Bool(),
                "gpu": Enum(*GPU_NEEDS),
                "min_memory_gb": Num(),
                "min_disk_gb": Num(),
                "resources": Enum("warn", "fail"),
                "accelerators": List(_ACCEL, unique=True),
            }
        ),
        "strategies": Table(
            {
                "allowed": List(Enum(*STRATEGIES), unique=True, nonempty=True),
                "order": List(Enum(*STRATEGIES), unique=True),
                "wsl2": Table(
                    {
                        "distro": _NAME,
                        "directory": Str(
                            re.compile(r"^(~/|/|[A-Za-z]:\\)[^\0\n]*$"),
                            "an absolute path, one under ~/, or a Windows path (C:\\...)",
                        ),
                    }
                ),
                "devcontainer": Table(
                    {
                        "image": Str(),
                        "dockerfile": Str(expected="a path relative to the devcontainer.json"),
                        "config": Str(expected="a path relative to the repository"),
                        "run_args": List(Str()),
                    }
                ),
                "remote": Table(
                    {
                        "hosts": List(
                            Str(re.compile(r"^([^@\s]+@)?[^@\s:]+(:\d+)?$"), '"user@host"')
                        ),
                        "directory": Str(
                            re.compile(r"^(~/|/)[^\0\n]*$"), "an absolute path or one under ~/"
                        ),
                        "accept_new_host_keys": Bool(),
                        "parallel": Bool(),
                    }
                ),
            }
        ),
        "first_run": Table({"command": Command(), "timeout_seconds": Num()}),
        "sync": Table({"network": Enum("offline", "allow"), "system_certs": Bool()}),
        "metrics": Table({"enabled": Bool(), "salt": Str(), "sinks": TableList(SINK)}),
        "tools": Map(
            Str(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"), "a package name (ruff, pre-commit)"),
            Str(
                re.compile(r"^\d+(\.\d+)*([a-z]+\d+)?(\.post\d+)?(\.dev\d+)?$"),
                'an exact version ("0.6.9"), not a range',
            ),
        ),
    }
)
