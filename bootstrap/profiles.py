"""Profiles: what a team's environment needs, as validated, frozen data.

A profile is a TOML file, ``<name>.toml``. :func:`load_profile` finds it (search order
below), merges the profiles it ``extends`` (tables deep-merged, arrays replaced),
checks every key against :data:`SCHEMA` and returns a :class:`Profile`. Every error is a
:class:`~bootstrap.errors.ConfigError` naming the file, the key path (``locks[1].extras``),
what was expected and what was found; unknown keys get a did-you-mean.

Search order for a name (the first hit wins):

1. an explicit path (anything ending in ``.toml`` or containing a path separator);
2. each directory in ``BOOTSTRAP_PROFILE_PATH`` (``os.pathsep``-separated);
3. the user config dir: ``<user_config_dir>/bootstrap/profiles`` (``$BOOTSTRAP_HOME/config/
   profiles`` when ``BOOTSTRAP_HOME`` is set);
4. the project's own profile, when its name matches: ``bootstrap.toml`` in the project
   directory, else the ``[tool.bootstrap]`` table of its ``pyproject.toml``;
5. the repository's ``profiles/`` directory (the shipped profiles).

With no name at all, a project's own profile is used (:func:`project_profile`); the
project's ``path`` defaults to the directory holding it.

The loader is the only part of profile handling that reads files: it resolves the
project path (relative to the profile file that set it), checks which lock files exist
and lists the per-target pylock files, so that the planner can stay pure.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import ConfigError
from bootstrap.profile_lookup import PROJECT_FILE, PYPROJECT_TABLE, project_profile

if TYPE_CHECKING:
    from bootstrap.lockchoice import LockChoice

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

REPO_PROFILES = Path(__file__).resolve().parent.parent / "profiles"
PATH_ENV = "BOOTSTRAP_PROFILE_PATH"

STRATEGIES = ("native", "wsl2", "devcontainer", "remote")
PYTHON_DOWNLOADS = ("never", "manual", "automatic")
GPU_NEEDS = ("none", "optional", "required")
KINDS = ("python", "ai")
# The time-to-first-run budget per kind of stack: 15 min pure Python, 45 min AI (the
# team standard's targets for a new machine).
DEFAULT_BUDGET = {"python": 900.0, "ai": 2700.0}
SINK_KINDS = ("file", "http-json", "pushgateway", "otlp-http")
ACCEL_RE = re.compile(r"^(cpu|cu\d{3}|rocm\d+\.\d+)$")
PLATFORM_RE = re.compile(r"^(linux|macos|windows|\*)(-(x86_64|arm64|\*))?$")
ALL_PLATFORMS = ("linux-x86_64", "linux-arm64", "macos-x86_64", "macos-arm64", "windows-x86_64")


# -- the data -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    path: str  # absolute: resolved against the profile file that set it (or the cwd)
    python: str | None = None  # a requirement: ">=3.11", "==3.12.*"
    python_downloads: str = "never"  # UV_PYTHON_DOWNLOADS


@dataclass(frozen=True)
class Variant:
    accel: str  # "cpu", "cu126", "cu130", "rocm6.2"
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # "<os>-<arch>" patterns it serves; () = the lock's
    # The rest of uv's selection (see SELECTION_KEYS), merged with the lock's own keys.
    all_extras: bool = False
    no_dev: bool = False
    no_default_groups: bool = False
    only_groups: tuple[str, ...] = ()
    all_groups: bool = False

    def lock_choice(self, path: str, kind: str) -> LockChoice:
        from bootstrap.lockchoice import LockChoice

        return LockChoice(
            path=path,
            kind=kind,
            extras=self.extras,
            groups=self.groups,
            all_extras=self.all_extras,
            no_dev=self.no_dev,
            no_default_groups=self.no_default_groups,
            only_groups=self.only_groups,
            all_groups=self.all_groups,
        )


@dataclass(frozen=True)
class LockSpec:
    kind: str  # "uv" | "pylock"
    path: str  # relative to the project: "uv.lock" or a pattern "pylock.{target}.toml"
    variants: tuple[Variant, ...] = ()
    platforms: tuple[str, ...] = ALL_PLATFORMS  # "<os>-<arch>" patterns it serves
    files: dict[str, str] = field(default_factory=dict)  # pylock: target key -> path
    # Read by the loader: does the uv lock exist; which pylock target files exist.
    exists: bool = True
    available: tuple[str, ...] = ()

    def serves(self, platform: str, variant: Variant | None = None) -> bool:
        patterns = (variant.platforms if variant and variant.platforms else ()) or self.platforms
        return any(fnmatch.fnmatchcase(platform, _pattern(p)) for p in patterns)

    def file_for(self, target: str) -> str:
        if self.kind == "uv":
            return self.path
        return self.files.get(target) or self.path.replace("{target}", target)


@dataclass(frozen=True)
class Needs:
    linux_only: bool = False  # the stack has Linux-only wheels (triton, vllm, ...)
    gpu: str = "none"  # "none" | "optional" | "required"
    min_memory_gb: float | None = None
    min_disk_gb: float | None = None  # environment + cache
    resources: str = "warn"  # "warn" | "fail": what a RAM/disk shortfall does
    accelerators: tuple[str, ...] = ()  # allowed accelerators; () = any the lock offers


@dataclass(frozen=True)
class Wsl2Settings:
    distro: str | None = None  # None: the default WSL2 distro
    directory: str | None = None  # where the project lives there; None: ~/src/<project>


@dataclass(frozen=True)
class DevcontainerSettings:
    image: str | None = None
    dockerfile: str | None = None  # relative to the devcontainer.json (instead of image)
    config: str | None = None  # the devcontainer.json, relative to the repository
    run_args: tuple[str, ...] = ()  # extra `docker run` arguments ("--network=none")


@dataclass(frozen=True)
class RemoteSettings:
    hosts: tuple[str, ...] = ()  # "user@host", "host", "host:port" or an ssh_config alias
    directory: str | None = None  # where the project lives there; None: ~/<repo name>
    accept_new_host_keys: bool = False  # StrictHostKeyChecking=accept-new instead of yes
    parallel: bool = False  # several hosts at once instead of one after another


@dataclass(frozen=True)
class StrategySettings:
    allowed: tuple[str, ...] = STRATEGIES
    order: tuple[str, ...] = ()  # preference; () = the decision table's order
    wsl2: Wsl2Settings = field(default_factory=Wsl2Settings)
    devcontainer: DevcontainerSettings = field(default_factory=DevcontainerSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)


@dataclass(frozen=True)
class FirstRun:
    command: tuple[str, ...] = ()  # argv, run in the environment from the project dir
    timeout_seconds: float = 600.0


@dataclass(frozen=True)
class SyncSettings:
    network: str = "offline"  # "offline" | "allow": may `up` use the index on a cache miss
    # uv trusts the system's certificate store (UV_SYSTEM_CERTS), e.g. behind a TLS-
    # inspecting proxy whose CA is there and not in uv's built-in roots.
    system_certs: bool = False


@dataclass(frozen=True)
class MetricsSink:
    kind: str  # "file" | "http-json" | "pushgateway" | "otlp-http"
    url: str | None = None
    path: str | None = None
    token_env: str | None = None
    job: str = "bootstrap"
    timeout_seconds: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Metrics:
    enabled: bool = True
    salt: str = ""
    sinks: tuple[MetricsSink, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    source: str  # the file it was loaded from
    project: ProjectSpec
    locks: tuple[LockSpec, ...]
    description: str = ""
    kind: str = "python"  # "python" | "ai"
    budget_seconds: float = 900.0
    extends: tuple[str, ...] = ()  # the files merged under this one, nearest first
    needs: Needs = field(default_factory=Needs)
    strategies: StrategySettings = field(default_factory=StrategySettings)
    first_run: FirstRun = field(default_factory=FirstRun)
    sync: SyncSettings = field(default_factory=SyncSettings)
    metrics: Metrics = field(default_factory=Metrics)
    # Pinned command-line tools, run with `uvx NAME@VERSION`: (name, version), sorted.
    tools: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        return self.source


# -- the schema, as data ----------------------------------------------------------------


class Spec:
    expected = "a value"

    def check(self, value: Any, where: _Where) -> None:
        raise NotImplementedError


@dataclass
class _Where:
    file: Path
    key: str

    def child(self, name: str) -> _Where:
        return _Where(self.file, f"{self.key}.{name}" if self.key else name)

    def item(self, index: int) -> _Where:
        return _Where(self.file, f"{self.key}[{index}]")

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

    def check(self, value: Any, where: _Where) -> None:
        if not isinstance(value, str) or (self.pattern and not self.pattern.match(value)):
            raise where.fail(self.expected, value)


class Bool(Spec):
    expected = "true or false"

    def check(self, value: Any, where: _Where) -> None:
        if not isinstance(value, bool):
            raise where.fail(self.expected, value)


class Num(Spec):
    def __init__(self, minimum: float = 0.0):
        self.minimum = minimum
        self.expected = f"a number > {minimum:g}" if minimum == 0 else f"a number >= {minimum:g}"

    def check(self, value: Any, where: _Where) -> None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or value < self.minimum or (self.minimum == 0 and value <= 0):
            raise where.fail(self.expected, value)


class Enum(Spec):
    def __init__(self, *values: str):
        self.values = values
        self.expected = "one of " + ", ".join(f'"{v}"' for v in values)

    def check(self, value: Any, where: _Where) -> None:
        if value not in self.values:
            hint = _suggest(str(value), self.values) if isinstance(value, str) else ""
            raise where.fail(self.expected + hint, value)


class List(Spec):
    def __init__(self, item: Spec, *, unique: bool = False, nonempty: bool = False):
        self.item = item
        self.unique = unique
        self.nonempty = nonempty
        self.expected = f"an array of {item.expected.removeprefix('a ').removeprefix('an ')}"
        if item.expected.startswith("one of"):
            self.expected = f"an array whose items are {item.expected}"

    def check(self, value: Any, where: _Where) -> None:
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

    def check(self, value: Any, where: _Where) -> None:
        from bootstrap.net import url_problem
        from bootstrap.redact import redact_url

        if not isinstance(value, str):
            raise where.fail(self.expected, value)
        problem = url_problem(value)
        if problem:
            raise where.fail(self.expected, redact_url(value), fix=problem)


class Command(Spec):
    expected = "a command: a non-empty string or an array of strings"

    def check(self, value: Any, where: _Where) -> None:
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

    def check(self, value: Any, where: _Where) -> None:
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

    def check(self, value: Any, where: _Where) -> None:
        if not isinstance(value, dict):
            raise where.fail(self.expected, value)
        for k, v in value.items():
            self.key.check(k, where.child(k))
            self.value.check(v, where.child(k))


class TableList(Spec):
    def __init__(self, table: Table):
        self.table = table
        self.expected = "an array of tables ([[...]])"

    def check(self, value: Any, where: _Where) -> None:
        if not isinstance(value, list):
            raise where.fail(self.expected, value)
        for i, item in enumerate(value):
            self.table.check(item, where.item(i))


def _unknown(where: _Where, key: str, known: Mapping[str, Any]) -> ConfigError:
    path = where.child(key).key
    return ConfigError(
        f"{where.file}: unknown key `{path}`{_suggest(key, known)}",
        fix=f"known keys in {_table_name(where.key)}: {', '.join(sorted(known))}",
        code="profile.unknown_key",
    )


def _suggest(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
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
            Str(re.compile(r"^(linux|macos|windows)-(x86_64|arm64)-[a-z0-9.]+$"), "a target key"),
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


# -- finding and loading ----------------------------------------------------------------


def user_profiles_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = env.get("BOOTSTRAP_HOME")
    if home:
        return Path(home).expanduser() / "config" / "profiles"
    import platformdirs

    return Path(platformdirs.user_config_dir("bootstrap", appauthor=False)) / "profiles"


def search_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where profile names are looked up, in order (after explicit paths)."""
    env = os.environ if environ is None else environ
    dirs = [Path(p).expanduser() for p in env.get(PATH_ENV, "").split(os.pathsep) if p]
    return [*dirs, user_profiles_dir(env), REPO_PROFILES]


def _is_path(name_or_path: str) -> bool:
    return name_or_path.endswith(".toml") or "/" in name_or_path or os.sep in name_or_path


def find_profile(
    name_or_path: str, *, skip: Path | None = None, project: Path | None = None
) -> Path:
    if _is_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if path.is_dir():
            raise ConfigError(
                f"profile {path} is a directory, not a .toml file",
                fix="give a profile file, or a profile name (`bootstrap profiles list`)",
                code="profile.directory",
            )
        if not path.is_file():
            raise ConfigError(
                f"profile file {path} does not exist",
                fix="check the path, or give a profile name (`bootstrap profiles list`)",
                code="profile.missing",
            )
        return path.resolve()
    dirs = search_dirs()
    # The project's own profile, by its name: --project DIR, else the current directory
    # (docs/profiles.md), so `--profile NAME` run in the project finds the one it keeps.
    here = project if project is not None else Path.cwd()
    for d in dirs:
        if d == REPO_PROFILES:
            own = _project_profile_named(name_or_path, here)
            if own is not None and own != skip:
                return own
        candidate = d / f"{name_or_path}.toml"
        if candidate.is_file() and candidate.resolve() != skip:
            return candidate.resolve()
    names = sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.toml")})
    places = [str(d) for d in dirs]
    places.insert(-1, f"{here / PROJECT_FILE} and [{PYPROJECT_TABLE}] in {here}")
    raise ConfigError(
        f"no profile named {name_or_path!r}{_suggest(name_or_path, names)}; looked in "
        + ", ".join(places),
        fix="known profiles: "
        + (", ".join(names) or "none")
        + f"; or pass a path to a .toml file, or add a directory to {PATH_ENV}",
        code="profile.missing",
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read profile {path}: {exc.strerror}", code="profile.unreadable"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8)",
            fix="a profile is a UTF-8 TOML file",
            code="profile.encoding",
        ) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            fix="fix the TOML syntax at the line and column shown",
            code="profile.toml",
        ) from None
    except RecursionError:
        # tomllib parses nested tables and arrays recursively.
        raise ConfigError(
            f"{path}: nested too deeply to read (thousands of levels of tables or arrays)",
            fix="a profile needs at most a few levels of tables",
            code="profile.toml",
        ) from None
    where = _Where(path, "")
    if path.name == "pyproject.toml":
        table = (
            data.get("tool", {}).get("bootstrap") if isinstance(data.get("tool"), dict) else None
        )
        if not isinstance(table, dict):
            raise ConfigError(
                f"{path}: no [{PYPROJECT_TABLE}] table: this pyproject.toml holds no profile",
                fix=f"add a [{PYPROJECT_TABLE}] table, or put the profile in {PROJECT_FILE}",
                code="profile.missing",
            )
        data, where = table, _Where(path, PYPROJECT_TABLE)
    SCHEMA.check(data, where)
    # Paths in [project] are relative to the file that sets them, even when inherited. A
    # profile kept in the project (bootstrap.toml, [tool.bootstrap]) is about that project.
    project = data.get("project")
    if is_project_file(path) and not (isinstance(project, dict) and "path" in project):
        project = data.setdefault("project", {})
        project["path"] = "."
    if isinstance(project, dict) and "path" in project:
        project["path"] = str((path.parent / project["path"]).resolve())
    if is_project_file(path) and "name" not in data:
        data["name"] = path.parent.resolve().name
    return data


def is_project_file(path: Path) -> bool:
    """A profile kept in a project: its bootstrap.toml or its pyproject.toml."""
    return path.name in (PROJECT_FILE, "pyproject.toml")


def _project_profile_named(name: str, project: Path | None) -> Path | None:
    if project is None:
        return None
    found = project_profile(project)
    if found is None:
        return None
    try:
        data = _read(found)
    except ConfigError:
        return None
    return found if data.get("name") == name else None


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Tables deep-merged, everything else (arrays included) replaced by ``top``."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(
            f"{seen[-1]}: `extends` makes a cycle: {chain}",
            fix="remove `extends` from one of these profiles",
            code="profile.extends_cycle",
        )
    data = _read(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, [path]
    if _is_path(parent_name):
        parent_name = str(path.parent / Path(parent_name).expanduser())
    try:
        parent = find_profile(parent_name, skip=path)
    except ConfigError as exc:
        raise ConfigError(
            f"{path}: `extends`: expected the name of another profile, found {parent_name!r}"
            f", which does not exist ({exc.message})",
            fix=exc.fix,
            code="profile.extends_missing",
        ) from None
    base, files = _load_chain(parent, (*seen, path))
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, data), [path, *files]


def load_profile(name_or_path: str | None, *, project: str | Path | None = None) -> Profile:
    """Find, merge, validate and resolve a profile (see the module doc for the search).

    ``project``: the project directory (``--project``). With no name, its own profile is
    loaded; with a name, that profile is loaded for this project (its ``[project] path``
    replaced), and the project's own profile takes part in the name search."""
    proj = Path(project).expanduser().resolve() if project is not None else None
    if proj is not None and not proj.is_dir():
        raise ConfigError(
            f"project directory {proj} does not exist"
            if not proj.exists()
            else f"project {proj} is not a directory",
            fix="check the --project path: the directory holding the project's pyproject.toml",
            code="profile.no_project",
        )
    if not name_or_path:
        if proj is None:
            raise ConfigError(
                "no profile given and no project to take one from",
                fix="pass --profile NAME, or --project DIR for a project with its own profile",
                code="profile.missing",
            )
        own = project_profile(proj)
        if own is None:
            raise ConfigError(
                f"project {proj} keeps no profile: no {PROJECT_FILE} and no "
                f"[{PYPROJECT_TABLE}] in its pyproject.toml",
                fix=f"add {proj / PROJECT_FILE} (docs/profiles.md), or pass --profile NAME",
                code="profile.missing",
            )
        path = own
    else:
        path = find_profile(name_or_path, project=proj)
    data, files = _load_chain(path)
    if proj is not None and not is_project_file(path):
        data["project"] = {**data.get("project", {}), "path": str(proj)}
    return _build(data, path, files)


def check_pyproject(project: str | Path) -> None:
    """Raise a ConfigError naming ``project``'s pyproject.toml and the TOML error when it
    exists and does not parse: uv would fail on it with its own command line, and a drift
    check or `doctor` would blame the lock or the environment."""
    path = Path(project) / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})",
            fix="make it a readable UTF-8 TOML file",
            code="project.pyproject",
        ) from None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            fix="fix the TOML syntax at the line and column shown, then re-run",
            code="project.pyproject",
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read", code="project.pyproject") from None


def check_project(profile: Profile) -> list[ConfigError]:
    """What `profiles validate` adds to the schema: the project directory and its uv
    lock exist (a pylock lock is checked per target by the planner). Not part of
    loading: a plan can be printed for a project this machine does not hold."""
    project = Path(profile.project.path)
    where = f"{profile.source}: `project.path`"
    if not project.is_dir():
        return [
            ConfigError(
                f"{where}: the project directory {project} does not exist",
                fix="clone the project there, or set [project] path (relative to the profile "
                "file) to where it is",
                code="profile.no_project",
            )
        ]
    out = []
    for i, lock in enumerate(profile.locks):
        if lock.kind == "uv" and not lock.exists:
            out.append(
                ConfigError(
                    f"{profile.source}: `locks[{i}].path`: the lock {project / lock.path} "
                    "does not exist",
                    fix=f"run `uv lock` in {shlex.quote(str(project))} and commit uv.lock, or "
                    f"fix `locks[{i}].path`",
                    code="profile.no_lock",
                )
            )
        if lock.kind == "pylock" and not lock.exists:
            out.append(
                ConfigError(
                    f"{profile.source}: `locks[{i}].path`: no file matches {project / lock.path}",
                    fix=f"export the per-target locks into {project}, or fix `locks[{i}].path`",
                    code="profile.no_lock",
                )
            )
    return out


def duplicate_names() -> dict[str, list[Path]]:
    """Profile names that more than one file in the search defines (by file name or by
    its `name` key): the first file wins, the others are shadowed."""
    seen: dict[str, list[Path]] = {}
    for d in search_dirs():
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.toml")):
            names = {p.stem}
            try:
                named = tomllib.loads(p.read_text(encoding="utf-8")).get("name")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                named = None
            if isinstance(named, str):
                names.add(named)
            for n in names:
                seen.setdefault(n, [])
                if p.resolve() not in seen[n]:
                    seen[n].append(p.resolve())
    return {n: files for n, files in sorted(seen.items()) if len(files) > 1}


def list_profiles() -> list[tuple[str, Path]]:
    """Every profile name the search finds, with the file that wins for it: the one the
    current directory keeps included, where the search looks for it."""
    found: dict[str, Path] = {}
    for d in search_dirs():
        if d == REPO_PROFILES:
            own = project_profile(Path.cwd())
            if own is not None:
                try:
                    name = str(_read(own).get("name"))
                except ConfigError:
                    name = own.parent.resolve().name  # listed, and shown as invalid
                found.setdefault(name, own.resolve())
        if d.is_dir():
            for p in sorted(d.glob("*.toml")):
                found.setdefault(p.stem, p.resolve())
    return sorted(found.items())


# -- building the frozen data -----------------------------------------------------------


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if value else ()


def _devcontainer_settings(raw: Mapping[str, Any]) -> DevcontainerSettings:
    data = dict(raw)
    data["run_args"] = _tuple(data.get("run_args", ()))
    return DevcontainerSettings(**data)


def _build(data: dict[str, Any], path: Path, files: list[Path]) -> Profile:
    where = _Where(path, "")
    project_raw = data.get("project", {})
    project = ProjectSpec(
        path=project_raw.get("path") or str(Path.cwd()),
        python=project_raw.get("python"),
        python_downloads=project_raw.get("python_downloads", "never"),
    )
    needs_raw = data.get("needs", {})
    needs = Needs(
        linux_only=needs_raw.get("linux_only", False),
        gpu=needs_raw.get("gpu", "none"),
        min_memory_gb=needs_raw.get("min_memory_gb"),
        min_disk_gb=needs_raw.get("min_disk_gb"),
        resources=needs_raw.get("resources", "warn"),
        accelerators=_tuple(needs_raw.get("accelerators")),
    )
    locks_raw = data.get("locks") or [{"kind": "uv"}]
    locks = tuple(
        _build_lock(raw, where.child("locks").item(i), Path(project.path), needs)
        for i, raw in enumerate(locks_raw)
    )
    st = data.get("strategies", {})
    allowed = _tuple(st.get("allowed")) or STRATEGIES
    order = _tuple(st.get("order"))
    stray = [s for s in order if s not in allowed]
    if stray:
        expected = "strategies that are also in `strategies.allowed` " + repr(list(allowed))
        raise where.child("strategies").child("order").fail(expected, list(order))
    strategies = StrategySettings(
        allowed=allowed,
        order=order,
        wsl2=Wsl2Settings(**st.get("wsl2", {})),
        devcontainer=_devcontainer_settings(st.get("devcontainer", {})),
        remote=RemoteSettings(
            hosts=_tuple(st.get("remote", {}).get("hosts")),
            directory=st.get("remote", {}).get("directory"),
            accept_new_host_keys=bool(st.get("remote", {}).get("accept_new_host_keys", False)),
            parallel=bool(st.get("remote", {}).get("parallel", False)),
        ),
    )
    fr = data.get("first_run", {})
    command = fr.get("command", ())
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)  # SCHEMA checked that it splits
    kind = data.get("kind", "python")
    metrics_raw = data.get("metrics", {})
    sinks = []
    for i, s in enumerate(metrics_raw.get("sinks", [])):
        sw = where.child("metrics").child("sinks").item(i)
        if s["kind"] == "file" and not s.get("path"):
            raise sw.child("path").missing("a file or directory path (a file sink needs one)")
        if s["kind"] != "file" and not s.get("url"):
            raise sw.child("url").missing(f"an http(s) URL (a {s['kind']} sink needs one)")
        sinks.append(MetricsSink(**s))
    return Profile(
        name=data.get("name") or path.stem,
        source=str(path),
        description=data.get("description", ""),
        kind=kind,
        budget_seconds=float(data.get("budget_seconds", DEFAULT_BUDGET[kind])),
        extends=tuple(str(f) for f in files[1:]),
        project=project,
        locks=locks,
        needs=needs,
        strategies=strategies,
        first_run=FirstRun(
            command=tuple(command), timeout_seconds=float(fr.get("timeout_seconds", 600.0))
        ),
        sync=SyncSettings(**data.get("sync", {})),
        metrics=Metrics(
            enabled=metrics_raw.get("enabled", True),
            salt=metrics_raw.get("salt", ""),
            sinks=tuple(sinks),
        ),
        tools=tuple(sorted(data.get("tools", {}).items())),
    )


def _build_lock(raw: dict[str, Any], where: _Where, project: Path, needs: Needs) -> LockSpec:
    kind = raw["kind"]
    default_path = "uv.lock" if kind == "uv" else "pylock.{target}.toml"
    path = raw.get("path", default_path)
    if kind == "pylock" and "{target}" not in path and not raw.get("files"):
        raise where.child("path").fail(
            'a pattern containing "{target}" (e.g. "pylock.{target}.toml"), or a `files` table',
            path,
        )
    if kind == "uv" and raw.get("files"):
        raise where.child("files").fail("no `files` table for a uv lock (one uv.lock)", "a table")
    default_platforms = ("linux-*",) if needs.linux_only else ALL_PLATFORMS
    variants_raw: dict[str, Any] = raw.get("variants") or {"cpu": {}}
    if kind == "pylock":
        for key, value in [("", raw), *((f"variants.{k}", v) for k, v in variants_raw.items())]:
            chosen = [k for k in SELECTION_KEYS if k in value]
            if chosen:
                w = where
                for part in key.split(".") if key else []:
                    w = w.child(part)
                raise w.child(chosen[0]).fail(
                    "no extras or groups for a pylock lock (each target has its own file)",
                    value[chosen[0]],
                    fix=f"remove `{chosen[0]}`: a pylock file already holds one selection",
                )
    variants = tuple(
        _variant(accel, raw, v, where.child("variants").child(accel))
        for accel, v in variants_raw.items()
    )
    if kind == "uv":
        _check_selection(variants, project, where)
    files = dict(raw.get("files", {}))
    available: tuple[str, ...] = ()
    exists = True
    if kind == "uv":
        exists = (project / path).is_file()
    else:
        found = set(files)
        if "{target}" in path:
            rx = re.compile(
                re.escape(path).replace(re.escape("{target}"), r"([a-z0-9]+-[a-z0-9_]+-[a-z0-9.]+)")
                + "$"
            )
            glob = path.replace("{target}", "*")
            for p in sorted(project.glob(glob)) if project.is_dir() else []:
                m = rx.match(p.relative_to(project).as_posix())
                if m:
                    found.add(m.group(1))
        available = tuple(sorted(t for t in found if (project / _file(path, files, t)).is_file()))
        exists = bool(available)
        # Variants default to the accelerators the files exist for.
        if "variants" not in raw:
            accels = sorted({t.rsplit("-", 1)[1] for t in (available or tuple(files))}) or ["cpu"]
            variants = tuple(Variant(accel=a) for a in accels)
    return LockSpec(
        kind=kind,
        path=path,
        variants=variants,
        platforms=_tuple(raw.get("platforms")) or default_platforms,
        files=files,
        exists=exists,
        available=available,
    )


def _variant(accel: str, lock: Mapping[str, Any], raw: Mapping[str, Any], where: _Where) -> Variant:
    """A variant's selection: the lock's keys, then the variant's (lists add to the
    lock's; a switch the variant sets wins over the lock's)."""
    merged: dict[str, Any] = {}
    for key in SELECTION_KEYS:
        if isinstance(SELECTION[key], List):
            both = [*lock.get(key, ()), *raw.get(key, ())]
            merged[key] = tuple(dict.fromkeys(both))
        else:
            merged[key] = bool(raw.get(key, lock.get(key, False)))
    for a, b in SELECTION_CONFLICTS:
        if merged[a] and merged[b]:
            key = where.key if (a in raw or b in raw) else where.key.rsplit(".variants.", 1)[0]
            raise ConfigError(
                f"{where.file}: `{key}`: expected at most one of `{a}` and `{b}` "
                "(uv refuses them together), found both",
                fix=f"keep `{a}` or `{b}` (on the lock or on variant {accel!r}), not both",
                code="profile.invalid",
            )
    return Variant(accel=accel, platforms=_tuple(raw.get("platforms")), **merged)


def _check_selection(variants: Sequence[Variant], project: Path, where: _Where) -> None:
    """Every extra and group a variant names exists in the project's pyproject.toml
    (when there is one to read): uv would refuse the sync, later and less clearly."""
    try:
        data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    proj = data.get("project") if isinstance(data.get("project"), dict) else {}
    extras = set((proj or {}).get("optional-dependencies") or {})
    groups = set(data.get("dependency-groups") or {})
    uv_tool = (data.get("tool") or {}).get("uv") or {}
    if isinstance(uv_tool, dict) and uv_tool.get("dev-dependencies"):
        groups.add("dev")  # uv's legacy [tool.uv] dev-dependencies is the group "dev"
    norm = {_norm_name(n) for n in extras}, {_norm_name(n) for n in groups}
    for v in variants:
        vw = where.child("variants").child(v.accel)
        for key, names, known, label in (
            ("extras", v.extras, norm[0], "[project.optional-dependencies]"),
            ("groups", v.groups, norm[1], "[dependency-groups]"),
            ("only_groups", v.only_groups, norm[1], "[dependency-groups]"),
        ):
            for name in names:
                if _norm_name(name) not in known:
                    choices = sorted(extras if key == "extras" else groups)
                    raise ConfigError(
                        f"{vw.file}: `{vw.child(key).key}`: expected a name from {label} in "
                        f"{project / 'pyproject.toml'}, found {name!r}{_suggest(name, choices)}",
                        fix=f"use one of: {', '.join(choices) or '(none defined)'}",
                        code="profile.unknown_selection",
                    )


def _norm_name(name: str) -> str:
    # PEP 685 / PEP 735: extras and group names compare normalized.
    return re.sub(r"[-_.]+", "-", name).lower()


def _file(pattern: str, files: Mapping[str, str], target: str) -> str:
    return files.get(target) or pattern.replace("{target}", target)


def _pattern(platform: str) -> str:
    return platform if "-" in platform else platform + "-*"


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The resolved profile as JSON-ready data (``bootstrap profiles show --json``)."""
    from dataclasses import asdict

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    out: dict[str, Any] = dict(clean(asdict(profile)))
    return out
